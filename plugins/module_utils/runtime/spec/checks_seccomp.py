# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks for config.json ``linux.seccomp``: the container's syscall filter.

seccomp(2) filters decide, per syscall and optionally per argument value,
whether a call is allowed, fails with an errno, kills the caller, or is
forwarded to a supervisor (SCMP_ACT_NOTIFY, seccomp_unotify(2)). Names follow
libseccomp's seccomp.h, as config-linux.md "Seccomp" requires.
"""

from .checks_common import (
    absolute_path, check_object, child, choice, fail, int_range, item, list_of,
    nonempty_string, object_of, section, string, uint32, uint64,
)
from .names import (
    SECCOMP_ACTIONS, SECCOMP_ACTIONS_WITH_ERRNO, SECCOMP_ARCHES,
    SECCOMP_FILTER_FLAGS, SECCOMP_MAX_ARG_INDEX, SECCOMP_OPERATORS,
)

_ARG = object_of({
    "index": int_range(0, SECCOMP_MAX_ARG_INDEX),
    "value": uint64,
    "valueTwo": uint64,
    "op": choice(SECCOMP_OPERATORS),
}, required=("index", "value", "op"))

_SYSCALL = object_of({
    "names": list_of(nonempty_string, nonempty=True,
                     description="a non-empty list of syscall names"),
    "action": choice(SECCOMP_ACTIONS),
    "errnoRet": uint32,
    "args": list_of(_ARG),
}, required=("names", "action"))

_SECCOMP_MEMBERS = {
    "defaultAction": choice(SECCOMP_ACTIONS),
    "defaultErrnoRet": uint32,
    "architectures": list_of(choice(SECCOMP_ARCHES, noun="seccomp architecture")),
    "flags": list_of(choice(SECCOMP_FILTER_FLAGS, noun="seccomp flag")),
    "listenerPath": absolute_path,
    "listenerMetadata": string,
    "syscalls": list_of(_SYSCALL),
}


def _check_errno_action(rule, action_key, errno_key, path):
    # config-linux.md: an errno for an action that cannot return one MUST fail.
    if errno_key in rule and rule[action_key] not in SECCOMP_ACTIONS_WITH_ERRNO:
        fail(child(path, errno_key), "is only valid with %s, not %s"
             % (" or ".join(SECCOMP_ACTIONS_WITH_ERRNO), rule[action_key]))


def check_seccomp(config, for_create):
    path = "linux.seccomp"
    seccomp = section(config, "linux").get("seccomp")
    if seccomp is None:
        return
    check_object(seccomp, path, _SECCOMP_MEMBERS, required=("defaultAction",))
    # A notifying default would also trap the runtime's own syscalls between
    # loading the filter and execve(2), with no agent connected yet to answer.
    if seccomp["defaultAction"] == "SCMP_ACT_NOTIFY":
        fail(child(path, "defaultAction"), "SCMP_ACT_NOTIFY cannot be the default action")
    _check_errno_action(seccomp, "defaultAction", "defaultErrnoRet", path)
    notify_used = False
    for index, rule in enumerate(seccomp.get("syscalls", [])):
        _check_errno_action(rule, "action", "errnoRet", item(child(path, "syscalls"), index))
        notify_used = notify_used or rule["action"] == "SCMP_ACT_NOTIFY"
        if rule["action"] == "SCMP_ACT_NOTIFY" and "sendmsg" in (rule.get("names") or ()):
            # The init sends the notify fd to `start` with sendmsg(2) after loading the
            # filter (security/seccomp_filter.py): it would wait for an agent that has no fd yet.
            # runc refuses write(2), which its own init uses there, for the same reason.
            fail(child(item(child(path, "syscalls"), index), "names"),
                 "SCMP_ACT_NOTIFY cannot be used for sendmsg, which the runtime needs to hand the notify fd over")
    # The notify fd has to be handed to an agent through listenerPath, and a
    # listener without a notifying rule would never get anything (as runc: an error).
    if notify_used and not seccomp.get("listenerPath"):
        fail(child(path, "listenerPath"), "is required when a syscall uses SCMP_ACT_NOTIFY")
    if seccomp.get("listenerPath") and not notify_used:
        fail(child(path, "listenerPath"), "is set but no syscall rule uses SCMP_ACT_NOTIFY")
    # config-linux.md: listenerMetadata MUST NOT be set without listenerPath.
    if "listenerMetadata" in seccomp and "listenerPath" not in seccomp:
        fail(child(path, "listenerMetadata"), "must not be set without listenerPath")
