# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Switching the container init to the configured user and capabilities.

capabilities(7), "Effect of user ID changes on capabilities": when a thread
whose user IDs include 0 sets all of them to non-zero, the kernel clears its
permitted, effective and ambient sets - unless PR_SET_KEEPCAPS is on, which
keeps permitted (effective is still cleared). So the order is fixed:

1. shrink the bounding set while we still hold CAP_SETPCAP (PR_CAPBSET_DROP);
2. PR_SET_KEEPCAPS 1 so the permitted set survives the uid change;
3. setgroups, setresgid, setresuid (groups and gid first: after the uid
   change CAP_SETGID is no longer effective);
4. PR_SET_KEEPCAPS 0 so later uid changes inside the container behave as usual;
5. capset(effective, permitted, inheritable) from the kept permitted set;
6. ambient set: clear it, then raise each configured capability (prctl(2):
   only a capability that is permitted and inheritable can be raised).
"""

import errno

from ..errors import SecurityError, SyscallError
from ..syscalls import consts as C
from .capabilities import CapabilitySets, capability_name, numbers_in, read_last_cap

# (uid_t)-1 means "leave unchanged" to setresuid(2)/setresgid(2), so it cannot be an id.
_MAX_ID = 2 ** 32 - 2


def _checked_id(value, field):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_ID:
        raise SecurityError("%s: must be an integer from 0 to %d, got %r" % (field, _MAX_ID, value))
    return value


def user_ids(process_cfg):
    """(uid, gid, additional_gids) from ``process.user``; absent means root (0/0)."""
    user = process_cfg.get("user")
    if user is None:
        user = {}
    if not isinstance(user, dict):
        raise SecurityError("process.user: must be an object, got %s" % type(user).__name__)
    uid = _checked_id(user.get("uid", 0), "process.user.uid")
    gid = _checked_id(user.get("gid", 0), "process.user.gid")
    extra = user.get("additionalGids")
    if extra is None:
        extra = []
    if not isinstance(extra, list):
        raise SecurityError("process.user.additionalGids: must be an array, got %s"
                            % type(extra).__name__)
    gids = [_checked_id(g, "process.user.additionalGids[%d]" % i) for i, g in enumerate(extra)]
    return uid, gid, gids


def consistency_problems(caps):
    """Config combinations the kernel would refuse, found before changing anything."""
    problems = []
    for number in numbers_in(caps.effective & ~caps.permitted):
        # capset(2): EPERM if the new effective set is not a subset of the new permitted set.
        problems.append("process.capabilities.effective: %s is not in the permitted set"
                        % capability_name(number))
    # Ambient capabilities outside permitted+inheritable are not an error:
    # the kernel cannot raise them, and runc (whose default spec long listed
    # ambient caps without inheritable ones) skips them; so do we.
    return problems


def _setgroups_denied(proc_root):
    """True in a user namespace whose /proc/self/setgroups is "deny" (user_namespaces(7))."""
    try:
        with open(proc_root.rstrip("/") + "/self/setgroups") as handle:
            return handle.read().strip() == "deny"
    except (IOError, OSError):
        return False


def _step(description, field, call, *args, **kwargs):
    """Run one syscall; turn its failure into a SecurityError naming step and field."""
    try:
        return call(*args)
    except SyscallError as exc:
        raise _failed(description, field, exc, kwargs.get("eperm_hint"))


def _failed(description, field, exc, eperm_hint=None):
    hint = ""
    if exc.errno == errno.EPERM:
        hint = " (%s)" % (eperm_hint or "the runtime lacks the privilege for it")
    return SecurityError("%s: %s failed: %s%s" % (field, description, exc, hint))


def apply_identity(process_cfg, syscalls=None, caps=None, proc_root="/proc"):
    """Become ``process.user`` keeping exactly ``process.capabilities``.

    ``caps`` may be a CapabilitySets computed earlier (e.g. before pivot_root,
    while /proc/sys/kernel/cap_last_cap was still readable); otherwise it is
    computed here. Returns the CapabilitySets applied (see its ``warnings``).
    """
    if syscalls is None:
        from ..syscalls.host import real
        syscalls = real()
    uid, gid, gids = user_ids(process_cfg)
    if caps is None:
        caps = CapabilitySets.from_config(process_cfg.get("capabilities"),
                                          last_cap=read_last_cap(proc_root, syscalls))
    elif caps.last_cap is None:
        caps.last_cap = read_last_cap(proc_root, syscalls)
    problems = consistency_problems(caps)
    if problems:
        raise SecurityError("; ".join(problems))

    # 1. bounding set: it can only shrink, and only with CAP_SETPCAP, which we lose at step 3.
    # Some 35 drops for a default container: the message is built only on failure.
    for number in range(caps.last_cap + 1):
        if not caps.bounding & (1 << number):
            try:
                syscalls.prctl(C.PR_CAPBSET_DROP, number, 0, 0, 0)
            except SyscallError as exc:
                raise _failed("dropping %s from the bounding set (PR_CAPBSET_DROP)" % capability_name(number),
                              "process.capabilities.bounding", exc)

    # 2. keep the permitted set across the uid change.
    _step("PR_SET_KEEPCAPS 1", "process.user", syscalls.prctl, C.PR_SET_KEEPCAPS, 1, 0, 0, 0)

    # 3. groups, gid, uid. setgroups is called even for an empty list: otherwise the
    # runtime's own supplementary groups (root's) would leak into the container.
    try:
        syscalls.setgroups(gids)
    except SyscallError as exc:
        # In a user namespace with setgroups "deny" the call is impossible; with no
        # groups asked for, there is nothing to set (the groups map to nobody anyway).
        if not (exc.errno == errno.EPERM and not gids and _setgroups_denied(proc_root)):
            raise SecurityError("process.user.additionalGids: setgroups(%s) failed: %s"
                                % (gids, exc))
    _step("setresgid(%d)" % gid, "process.user.gid", syscalls.setresgid, gid, gid, gid)
    _step("setresuid(%d)" % uid, "process.user.uid", syscalls.setresuid, uid, uid, uid)

    # 4. later uid changes by the container's own programs get the normal semantics.
    _step("PR_SET_KEEPCAPS 0", "process.user", syscalls.prctl, C.PR_SET_KEEPCAPS, 0, 0, 0, 0)

    # 5. the three per-thread sets.
    _step("capset(effective=%#x, permitted=%#x, inheritable=%#x)"
          % (caps.effective, caps.permitted, caps.inheritable),
          "process.capabilities", syscalls.capset, caps.effective, caps.permitted, caps.inheritable,
          eperm_hint="capset(2): permitted must be within the runtime's own permitted set and "
                     "inheritable within the bounding set")

    # 6. ambient set (Linux 4.3+). Clearing first drops any ambient capability inherited
    # from the runtime's caller.
    try:
        syscalls.prctl(C.PR_CAP_AMBIENT, C.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    except SyscallError as exc:
        # EINVAL: the kernel has no ambient capabilities, so there is nothing to clear.
        if exc.errno != errno.EINVAL or caps.ambient:
            raise SecurityError("process.capabilities.ambient: PR_CAP_AMBIENT_CLEAR_ALL failed: %s%s"
                                % (exc, " (ambient capabilities need Linux 4.3+)"
                                   if exc.errno == errno.EINVAL else ""))
    for number in numbers_in(caps.ambient & caps.permitted & caps.inheritable):
        _step("raising %s in the ambient set (PR_CAP_AMBIENT_RAISE)" % capability_name(number),
              "process.capabilities.ambient", syscalls.prctl,
              C.PR_CAP_AMBIENT, C.PR_CAP_AMBIENT_RAISE, number, 0, 0)
    return caps
