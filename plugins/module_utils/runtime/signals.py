# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Signal names and numbers as `runc kill` accepts them.

"TERM", "SIGTERM", "sigterm", "15", "RTMIN+3" and "SIGRTMIN+3" all work;
signal(7) lists the names.
"""

import signal

from .errors import RuntimeFailure


class SignalError(RuntimeFailure):
    pass


def parse_signal(value):
    """Return the signal number for ``value`` or raise SignalError."""
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
    if not 0 < number <= signal.SIGRTMAX:
        raise SignalError("invalid signal number %r: must be 1..%d" % (value, signal.SIGRTMAX))
    return number


def _by_name(name):
    for base, sign in (("SIGRTMIN", 1), ("SIGRTMAX", -1)):
        if name == base or name.startswith(base + "+") or name.startswith(base + "-"):
            offset = name[len(base):]
            try:
                delta = int(offset) if offset else 0
            except ValueError:
                return None
            return getattr(signal, base) + delta
    sig = signal.Signals.__members__.get(name)
    return int(sig) if sig is not None else None


def signal_name(number):
    try:
        return signal.Signals(number).name
    except ValueError:
        if signal.SIGRTMIN < number < signal.SIGRTMAX:
            return "SIGRTMIN+%d" % (number - signal.SIGRTMIN)
        return "SIG%d" % number
