# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Linux capabilities: from the names in config.json to the five kernel masks.

capabilities(7) splits root's power into numbered capabilities. Each thread has
five sets of them, each a 64-bit mask with bit N for capability N:

* bounding    - the ceiling: no capability outside it can ever be gained again,
                not even by executing a set-user-ID or file-capability program;
* permitted   - what the thread may make effective;
* effective   - what the kernel checks on each privileged operation;
* inheritable - what survives execve(2) for programs with matching file caps;
* ambient     - what survives execve(2) of ordinary programs (Linux 4.3+).

config.md lists them in ``process.capabilities`` by name ("CAP_CHOWN"). An
absent object or an absent set means an empty set. The kernel may know fewer
capabilities than this table (/proc/sys/kernel/cap_last_cap); like runc we drop
those with a warning instead of failing, so one config works on old kernels.
"""

import errno

from ..errors import SecurityError, SyscallError
from ..spec import names
from ..syscalls import consts as C

SET_NAMES = ("bounding", "effective", "permitted", "inheritable", "ambient")

# Name -> number (<linux/capability.h>); the spec room owns the table so that the
# validator and this room accept exactly the same names.
CAPABILITIES = names.CAPABILITIES

_NAMES_BY_NUMBER = dict((number, name) for name, number in CAPABILITIES.items())


def capability_name(number):
    """"CAP_KILL" for 5; "capability 63" for a number this table does not know."""
    return _NAMES_BY_NUMBER.get(number, "capability %d" % number)


def mask_of(numbers):
    """Bit mask with bit N set for each capability number N."""
    mask = 0
    for number in numbers:
        mask |= 1 << number
    return mask


def numbers_in(mask):
    """The capability numbers whose bits are set in mask, ascending."""
    return [bit for bit in range(64) if mask & (1 << bit)]


def read_last_cap(proc_root="/proc", syscalls=None):
    """The highest capability number the running kernel knows.

    /proc/sys/kernel/cap_last_cap exists since Linux 3.2. When /proc is not
    readable (e.g. after pivot_root into a rootfs without /proc) we probe the
    bounding set instead: prctl(PR_CAPBSET_READ, n) fails with EINVAL for the
    first number the kernel does not know (prctl(2)).
    """
    try:
        with open(proc_root.rstrip("/") + "/sys/kernel/cap_last_cap") as handle:
            return int(handle.read().strip())
    except (IOError, OSError, ValueError):
        pass
    if syscalls is None:
        from ..syscalls.host import real
        syscalls = real()
    number = 0
    while number < 64:
        try:
            syscalls.prctl(C.PR_CAPBSET_READ, number, 0, 0, 0)
        except SyscallError as exc:
            if exc.errno == errno.EINVAL:
                break
            raise SecurityError("cannot find the highest capability the kernel knows: %s" % exc)
        number += 1
    if number == 0:
        raise SecurityError("cannot find the highest capability the kernel knows: "
                            "/proc/sys/kernel/cap_last_cap is unreadable and "
                            "PR_CAPBSET_READ knows no capability")
    return number - 1


class CapabilitySets(object):
    """The five capability masks a container process gets, plus the warnings
    about capabilities that were dropped because the kernel does not know them."""

    def __init__(self, bounding=0, effective=0, permitted=0, inheritable=0, ambient=0,
                 last_cap=None, warnings=None):
        self.bounding = bounding
        self.effective = effective
        self.permitted = permitted
        self.inheritable = inheritable
        self.ambient = ambient
        self.last_cap = last_cap
        self.warnings = list(warnings or [])

    @classmethod
    def from_config(cls, capabilities_cfg, last_cap=None):
        """Masks from ``process.capabilities``; ``last_cap`` None reads it from the kernel."""
        if last_cap is None:
            last_cap = read_last_cap()
        sets = cls(last_cap=last_cap)
        if capabilities_cfg is None:
            return sets
        if not isinstance(capabilities_cfg, dict):
            raise SecurityError("process.capabilities: must be an object, got %s"
                                % type(capabilities_cfg).__name__)
        for set_name in SET_NAMES:
            names = capabilities_cfg.get(set_name)
            if names is None:
                continue
            setattr(sets, set_name, sets._mask_from_names(set_name, names))
        return sets

    def _mask_from_names(self, set_name, names):
        field = "process.capabilities.%s" % set_name
        if not isinstance(names, list):
            raise SecurityError("%s: must be an array of capability names, got %s"
                                % (field, type(names).__name__))
        mask = 0
        for index, name in enumerate(names):
            number = CAPABILITIES.get(name) if isinstance(name, str) else None
            if number is None:
                raise SecurityError("%s[%d]: unknown capability %r" % (field, index, name))
            if number > self.last_cap:
                # runc behaviour: a newer capability on an older kernel is skipped,
                # not fatal, so the same config runs on both.
                self.warnings.append(
                    "%s[%d]: %s (%d) is unknown to this kernel (cap_last_cap %d); ignored"
                    % (field, index, name, number, self.last_cap))
                continue
            mask |= 1 << number
        return mask

    def ambient_problems(self):
        """Messages for ambient capabilities the kernel would refuse to raise.

        prctl(2) PR_CAP_AMBIENT_RAISE: EPERM unless the capability is in both the
        permitted and the inheritable set.
        """
        problems = []
        for number in numbers_in(self.ambient):
            missing = [set_name for set_name in ("permitted", "inheritable")
                       if not getattr(self, set_name) & (1 << number)]
            if missing:
                problems.append("process.capabilities.ambient: %s is not in the %s set%s; "
                                "an ambient capability must be permitted and inheritable"
                                % (capability_name(number), " and ".join(missing),
                                   "s" if len(missing) > 1 else ""))
        return problems

    def as_dict(self):
        return dict((set_name, getattr(self, set_name)) for set_name in SET_NAMES)

    def __repr__(self):
        return "CapabilitySets(%s)" % ", ".join(
            "%s=%#x" % (set_name, getattr(self, set_name)) for set_name in SET_NAMES)
