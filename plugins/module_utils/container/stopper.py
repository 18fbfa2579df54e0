# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stop a container: its stop signal, a grace period, then SIGKILL.

Private to this collection. pid_namespaces(7): the init of a pid namespace
gets, from its ancestors, only the signals it has a handler for (SIGKILL
and SIGSTOP aside). A container init without a SIGTERM handler (a shell, a
sleep) would sit out the whole stop_timeout for nothing, so when the target
is pid 1 of its own namespace and /proc/PID/status shows no handler for the
signal (SigCgt, proc(5)), it is killed at once. A process that handles the
signal keeps its full grace period.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import signal
import time

from ..runtime.lifecycle.kill import kill, signal_all
from ..runtime.signals import parse_signal
from ..runtime.standalone.stateio import process_alive
from ..runtime.status import PAUSED, live_status

POLL = 0.01


def stop(root, state, stop_signal, timeout):
    """Stop the container of ``state`` (a loaded state.json); return what was done."""
    sig = parse_signal(stop_signal)
    from ..runtime.lifecycle.intent import has_policy, request_stop
    if has_policy(state):
        state = request_stop(root, state["id"])  # before the signal: no restart policy undoes this stop
    pid, started = state.get("pid"), state.get("pid_start_time")
    if live_status(state) == PAUSED:
        from ..runtime.lifecycle.pause import resume
        resume(root.path, state["id"])  # a frozen process cannot act on the signal
    if sig != signal.SIGKILL and not receives(pid, sig):
        how = "killed (no handler for %s in pid 1 of its namespace)" % signal_name(sig)
        sig = signal.SIGKILL
    else:
        how = "%s" % signal_name(sig)
    kill(root.path, state["id"], sig)
    if sig != signal.SIGKILL and not _wait_gone(pid, started, timeout):
        how += ", then SIGKILL after %gs" % timeout
        signal_all(state, signal.SIGKILL)
        sig = signal.SIGKILL
    if sig == signal.SIGKILL:
        signal_all(state, signal.SIGKILL)  # the rest of the cgroup when there is no pid namespace
        _wait_gone(pid, started, 10.0)
    _wait_recorded(root, state, 2.0)
    return how


def receives(pid, sig):
    """False when ``sig`` cannot reach ``pid``: pid 1 of a child pid namespace without a handler."""
    try:
        with open("/proc/%d/status" % pid) as handle:
            fields = dict(line.split(":", 1) for line in handle if ":" in line)
    except (IOError, OSError):
        return True
    ns_pids = fields.get("NSpid", "").split()
    if len(ns_pids) < 2 or ns_pids[-1] != "1":
        return True  # not the init of a nested pid namespace: default actions apply
    caught = int(fields.get("SigCgt", "0").strip(), 16)
    return bool(caught & (1 << (sig - 1)))


def signal_name(sig):
    try:
        return signal.Signals(sig).name
    except ValueError:
        return "signal %d" % sig


def _wait_gone(pid, started, timeout):
    deadline = time.monotonic() + timeout
    while process_alive(pid, started):
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL)
    return True


def _wait_recorded(root, state, timeout):
    """Give the monitor a moment to write the exit into state.json."""
    monitor, started = state.get("monitor_pid"), state.get("monitor_start_time")
    _wait_gone(monitor, started, timeout)
