# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""runc's command-line grammar, parsed by hand.

runc accepts ``--flag value``, ``--flag=value``, single-dash long flags
(``-bundle``) and short aliases (``-b``); tools written for runc use all of
them. argparse handles only some of these and costs more to import than a
whole `state` call should take.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ..errors import RuntimeFailure


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
    "state": {},
    "kill": {"all": (False, ("a",))},
    "delete": {"force": (False, ("f",))},
    "list": {"format": (True, ("f",)), "quiet": (False, ("q",))},
    "spec": {"bundle": (True, ("b",)), "rootless": (False, ())},
}

# command -> (minimum, maximum) positional arguments, and their names for messages
POSITIONALS = {
    "create": (1, 1, "container id"), "run": (1, 1, "container id"), "start": (1, 1, "container id"),
    "state": (1, 1, "container id"), "kill": (1, 2, "container id"), "delete": (1, 1, "container id"),
    "list": (0, 0, ""), "spec": (0, 0, ""),
}


def _lookup(table, name):
    for key, (takes_value, aliases) in table.items():
        if name == key or name in aliases:
            return key, takes_value
    return None, None


def _parse_flags(argv, table, stop_at_positional):
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
                    raise UsageError("unknown global option %s" % arg)
                raise UsageError("unknown option %s" % arg)
            if takes_value and not eq:
                i += 1
                if i >= len(argv):
                    raise UsageError("option %s needs a value" % arg)
                value = argv[i]
            elif not takes_value:
                value = True if not eq else value.lower() not in ("false", "0", "no")
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
    command = rest[0]
    if command not in COMMAND_FLAGS:
        raise UsageError("unknown command %r" % command)
    flags, positionals = _parse_flags(rest[1:], COMMAND_FLAGS[command], stop_at_positional=False)
    low, high, what = POSITIONALS[command]
    if len(positionals) < low:
        raise UsageError("%s: missing %s" % (command, what))
    if len(positionals) > high:
        raise UsageError("%s: unexpected argument %r" % (command, positionals[high]))
    return global_flags, command, flags, positionals
