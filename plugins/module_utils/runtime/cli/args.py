# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""runc's command-line grammar, parsed by hand.

runc accepts ``--flag value``, ``--flag=value``, single-dash long flags
(``-bundle``) and short aliases (``-b``); tools written for runc use all of
them. argparse handles only some of these and costs more to import than a
whole `state` call should take.
"""

from ..errors import RuntimeFailure
from ..pathcheck import path_problem


class UsageError(RuntimeFailure):
    pass


# name -> (takes a value, aliases)
GLOBAL_FLAGS = {
    "root": (True, ()), "log": (True, ()), "log-format": (True, ()), "debug": (False, ()),
    "version": (False, ("v",)), "help": (False, ("h",)), "systemd-cgroup": (False, ()),
    "rootless": (True, ()), "criu": (True, ()),
}

COMMAND_FLAGS = {
    "create": {"bundle": (True, ("b",)), "pid-file": (True, ()), "console-socket": (True, ()),
               "no-pivot": (False, ()), "no-new-keyring": (False, ()), "preserve-fds": (True, ())},
    "run": {"bundle": (True, ("b",)), "pid-file": (True, ()), "console-socket": (True, ()),
            "detach": (False, ("d",)), "no-pivot": (False, ()), "no-new-keyring": (False, ()),
            "preserve-fds": (True, ()), "keep": (False, ())},
    "start": {},
    "boot": {},
    "state": {},
    "kill": {"all": (False, ("a",))},
    "delete": {"force": (False, ("f",))},
    "list": {"format": (True, ("f",)), "quiet": (False, ("q",))},
    "spec": {"bundle": (True, ("b",)), "rootless": (False, ())},
    "update": {"memory": (True, ()), "memory-swap": (True, ()), "memory-reservation": (True, ()),
               "kernel-memory": (True, ()), "kernel-memory-tcp": (True, ()), "pids-limit": (True, ()),
               "cpu-quota": (True, ()), "cpu-period": (True, ()), "cpu-shares": (True, ("cpu-share",)),
               "cpu-weight": (True, ()), "cpu-rt-period": (True, ()), "cpu-rt-runtime": (True, ()),
               "cpuset-cpus": (True, ()), "cpuset-mems": (True, ()), "blkio-weight": (True, ()),
               "resources": (True, ("r",))},
    "pause": {},
    "resume": {},
    "ps": {"format": (True, ("f",))},
    "events": {"stats": (False, ()), "interval": (True, ())},
    "exec": {"detach": (False, ("d",)), "pid-file": (True, ()), "process": (True, ("p",)),
             "env": (True, ("e",)), "cwd": (True, ()), "user": (True, ("u",)),
             "additional-gids": (True, ("g",)), "cap": (True, ("c",)), "no-new-privs": (False, ()),
             "tty": (False, ("t",)), "console-socket": (True, ()), "preserve-fds": (True, ()),
             "apparmor": (True, ()), "process-label": (True, ()), "ignore-paused": (False, ()),
             "cgroup": (True, ())},
}

# Flags that name files (on the host; --cwd in the container): checked before the
# command runs (pathcheck.py). An empty value means "not given", as in runc.
PATH_FLAGS = ("root", "log", "criu", "bundle", "pid-file", "console-socket", "process", "resources", "cwd")

# Flags that may be given several times; their value is the list of values.
REPEATABLE = ("env", "additional-gids", "cap", "cgroup")
# Commands whose flags end at the first positional: after the id comes the
# process's own argv (`exec ID sh -c ...`: -c is sh's, not --cap), as in runc.
ARGV_AFTER_ID = ("exec", "ps")

# command -> (minimum, maximum) positional arguments, and their names for messages
POSITIONALS = {
    "create": (1, 1, "container id"), "run": (1, 1, "container id"), "start": (1, 1, "container id"),
    "state": (1, 1, "container id"), "kill": (1, 2, "container id"), "delete": (1, 1, "container id"),
    "list": (0, 0, ""), "spec": (0, 0, ""), "exec": (1, None, "container id"),
    "update": (1, 1, "container id"), "pause": (1, 1, "container id"), "resume": (1, 1, "container id"),
    "ps": (1, None, "container id"), "events": (1, 1, "container id"), "boot": (0, 0, ""),
}


def _lookup(table, name):
    for key, (takes_value, aliases) in table.items():
        if name == key or name in aliases:
            return key, takes_value
    return None, None


def _parse_flags(argv, table, stop_at_positional, noun="global option"):
    flags, rest = {}, []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            rest.extend(argv[i + 1:])
            break
        if arg.startswith("-") and len(arg) > 1:
            body = arg.lstrip("-")
            name, eq, value = body.partition("=")
            key, takes_value = _lookup(table, name)
            if key is None:
                if stop_at_positional:
                    raise UsageError("unknown %s %s" % (noun, arg))
                raise UsageError("unknown option %s" % arg)
            if takes_value and not eq:
                i += 1
                if i >= len(argv):
                    raise UsageError("option %s needs a value" % arg)
                value = argv[i]
            elif not takes_value:
                value = True if not eq else value.lower() not in ("false", "0", "no")
            if key in REPEATABLE:
                flags.setdefault(key, []).append(value)
            else:
                flags[key] = value
        else:
            if stop_at_positional:
                rest.extend(argv[i:])
                break
            rest.append(arg)
        i += 1
    return flags, rest


def parse(argv):
    """Return (global flags, command or None, command flags, positionals)."""
    global_flags, rest = _parse_flags(argv, GLOBAL_FLAGS, stop_at_positional=True)
    if not rest:
        return global_flags, None, {}, []
    try:
        command = rest[0]
        if command not in COMMAND_FLAGS:
            raise UsageError("unknown command %r" % command)
        flags, positionals = _parse_flags(rest[1:], COMMAND_FLAGS[command], command in ARGV_AFTER_ID, "option")
        for given in (global_flags, flags):
            for name in PATH_FLAGS:
                value = given.get(name)
                problem = path_problem(value) if isinstance(value, str) and value else None
                if problem:
                    raise UsageError("--%s: %s" % (name, problem))
        low, high, what = POSITIONALS[command]
        if len(positionals) < low:
            raise UsageError("%s: missing %s" % (command, what))
        if high is not None and len(positionals) > high:
            raise UsageError("%s: unexpected argument %r" % (command, positionals[high]))
    except UsageError as e:
        # The global flags parsed fine: --log still gets the error (cli/main.py).
        e.global_flags = global_flags
        raise
    return global_flags, command, flags, positionals
