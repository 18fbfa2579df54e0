# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Signal names and numbers as `runc kill` accepts them.

"TERM", "SIGTERM", "sigterm", "15", "RTMIN+3" and "SIGRTMIN+3" all work;
signal(7) lists the names.

The names come from ``_signal``, the C module behind ``signal``: it holds
this platform's SIG* constants, and ``signal`` itself only adds enums on
top, whose import (enum, functools, collections) costs kill and delete
about 7 ms. Where one number has two names (SIGIOT and SIGABRT, SIGCLD and
SIGCHLD, SIGPOLL and SIGIO) the canonical name is the one signal.Signals
picks: the first in sort order.
"""

import _signal

from .errors import RuntimeFailure

SIGKILL = _signal.SIGKILL
SIGTERM = _signal.SIGTERM
SIGRTMIN = _signal.SIGRTMIN
SIGRTMAX = _signal.SIGRTMAX

# name -> number for every SIG* constant (SIG_DFL, SIG_IGN and SIG_BLOCK.. are not signals).
_NUMBERS = dict((name, value) for name, value in vars(_signal).items()
                if name.startswith("SIG") and not name.startswith("SIG_") and isinstance(value, int))
_NAMES = {}
for _name in sorted(_NUMBERS):
    _NAMES.setdefault(_NUMBERS[_name], _name)
del _name


class SignalError(RuntimeFailure):
    pass


def parse_signal(value, probe=False):
    """Return the signal number for ``value`` or raise SignalError.

    ``probe``: also accept 0, which sends nothing and only checks that the
    process exists (kill(2)); `kill` takes it, a stop signal may not.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = str(value).strip()
        if text.isdigit():
            number = int(text)
        else:
            name = text.upper()
            if not name.startswith("SIG"):
                name = "SIG" + name
            number = _by_name(name)
            if number is None:
                raise SignalError("unknown signal %r" % (value,))
    lowest = 0 if probe else 1
    if not lowest <= number <= SIGRTMAX:
        raise SignalError("invalid signal number %r: must be %d..%d" % (value, lowest, SIGRTMAX))
    return number


def _by_name(name):
    for base, number in (("SIGRTMIN", SIGRTMIN), ("SIGRTMAX", SIGRTMAX)):
        if name == base or name.startswith(base + "+") or name.startswith(base + "-"):
            offset = name[len(base):]
            try:
                delta = int(offset) if offset else 0
            except ValueError:
                return None
            return number + delta
    return _NUMBERS.get(name)


def signal_name(number):
    name = _NAMES.get(number)
    if name is not None:
        return name
    if SIGRTMIN < number < SIGRTMAX:
        return "SIGRTMIN+%d" % (number - SIGRTMIN)
    return "SIG%d" % number
