# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks for config.json ``process``: the program the container runs.

``process`` describes one execve(2) and the credentials and limits it runs
with: argv and environment, working directory, uid/gid/groups, the five
capability sets (capabilities(7)), rlimits (setrlimit(2)), no_new_privs
(prctl(2)), the OOM score, I/O priority (ioprio_set(2)) and scheduling policy
(sched_setattr(2)). ``validate_process`` is also used for the process.json of
``exec``, which has the same schema (runtime.md "exec").
"""

from .checks_common import (
    absolute_path, boolean, child, choice, check_object, cpu_list, env_list, fail,
    int32, int_range, item, kernel_string, list_of, object_of, string, uint32,
    uint64,
)
from .names import (
    CAPABILITIES, CAPABILITY_SETS, IOPRIO_CLASSES, RLIMITS, SCHED_FLAGS,
    SCHED_POLICIES,
)

_ARGS = list_of(kernel_string, nonempty=True, description="a non-empty list of strings")

# config.md "User": uid/gid are REQUIRED, the rest optional; username is Windows-only.
_USER = object_of({
    "uid": uint32,
    "gid": uint32,
    "umask": uint32,
    "additionalGids": list_of(uint32),
    "username": string,
}, required=("uid", "gid"))

_CONSOLE_SIZE = object_of({"height": uint32, "width": uint32}, required=("height", "width"))

_CAPABILITY_LIST = list_of(choice(CAPABILITIES, noun="capability"),
                           description="a list of capability names")
_CAPABILITIES = object_of(dict((name, _CAPABILITY_LIST) for name in CAPABILITY_SETS))

_RLIMIT = object_of({
    "type": choice(RLIMITS, noun="rlimit type"),
    "soft": uint64,
    "hard": uint64,
}, required=("type", "soft", "hard"))

# ioprio_set(2): levels 0 (highest) to 7 within the RT and BE classes.
_IO_PRIORITY = object_of({
    "class": choice(IOPRIO_CLASSES),
    "priority": int_range(0, 7),
}, required=("class", "priority"))

# sched_setattr(2): nice is -20..19; runtime/deadline/period are nanoseconds.
_SCHEDULER = object_of({
    "policy": choice(SCHED_POLICIES),
    "nice": int_range(-20, 19),
    "priority": int32,
    "flags": list_of(choice(SCHED_FLAGS, noun="scheduler flag")),
    "runtime": uint64,
    "deadline": uint64,
    "period": uint64,
}, required=("policy",))

_EXEC_CPU_AFFINITY = object_of({"initial": cpu_list, "final": cpu_list})


def _check_rlimits(value, path):
    list_of(_RLIMIT)(value, path)
    first_seen = {}
    for index, rlimit in enumerate(value):
        here = item(path, index)
        # setrlimit(2) fails with EINVAL when rlim_cur > rlim_max.
        if rlimit["soft"] > rlimit["hard"]:
            fail(child(here, "soft"), "must not be greater than hard (%d > %d)"
                 % (rlimit["soft"], rlimit["hard"]))
        # config.md: duplicated rlimit types MUST be an error.
        if rlimit["type"] in first_seen:
            fail(child(here, "type"), "duplicate rlimit %s (already set at %s)"
                 % (rlimit["type"], first_seen[rlimit["type"]]))
        first_seen[rlimit["type"]] = here


_PROCESS_MEMBERS = {
    "terminal": boolean,
    "consoleSize": _CONSOLE_SIZE,
    "user": _USER,
    "args": _ARGS,
    "commandLine": string,  # Windows only; accepted and ignored on Linux.
    "env": env_list,
    "cwd": absolute_path,
    "capabilities": _CAPABILITIES,
    "rlimits": _check_rlimits,
    "noNewPrivileges": boolean,
    # proc(5) /proc/pid/oom_score_adj accepts -1000..1000.
    "oomScoreAdj": int_range(-1000, 1000),
    "apparmorProfile": string,
    "selinuxLabel": string,
    "ioPriority": _IO_PRIORITY,
    "scheduler": _SCHEDULER,
    "execCPUAffinity": _EXEC_CPU_AFFINITY,
}


def validate_process(process, path="process", for_create=True):
    """Check a ``process`` object; args and cwd are required when ``for_create``."""
    required = ("args", "cwd") if for_create else ()
    check_object(process, path, _PROCESS_MEMBERS, required)
    args = process.get("args")
    if args and args[0] == "":
        fail(item(child(path, "args"), 0), "the executable must not be an empty string")


def check_process(config, for_create):
    """config.md: ``process`` is REQUIRED when the runtime starts a container.

    So create accepts a config without it (the container is built and waits),
    and start is where its absence is an error (runtime.md "start":
    lifecycle/start.py).
    """
    if "process" not in config:
        return
    validate_process(config["process"], "process", for_create)
