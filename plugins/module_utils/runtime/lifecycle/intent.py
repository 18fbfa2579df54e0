# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A stop the user asked for, recorded so that no restart policy undoes it.

The monitor restarts a container whose process exited when its policy says
so (standalone/restart.py). A stop asked for by the user (the modules'
``stopped`` / ``absent``, the command line's ``kill`` with the stop signal,
``delete``) must win, also when the process happens to exit on its own at
the same moment. So, before any signal is sent, ``stop_requested`` is
written into state.json under the container lock, the lock the monitor
holds while it decides, and the recreate helper holds while it checks once
more before it recreates anything: whichever comes first, the user's stop
is seen. A monitor already waiting out its backoff is ended with SIGTERM
(nothing of the container runs then, and its exit is recorded).

Which signals are a stop: docker's rule (daemon/kill.go): SIGKILL, the
container's stop signal (annotation ``org.opencontainer.image.stopSignal``),
or any signal when the container has no stop signal. Only containers with a
restart policy pay for any of this.
"""

import posix  # os without os.py: runtime/pathlite.py says why

from ..signals import SIGKILL, SIGTERM, parse_signal
from ..standalone.stateio import process_alive

RESTART_ANNOTATION = "org.opencontainer.runtime.restart"
STOP_SIGNAL_ANNOTATION = "org.opencontainer.image.stopSignal"


def has_policy(state):
    """A restart policy, or a health check (whose failure action may restart): create gave it a runtime copy."""
    annotations = state.get("annotations") or {}
    return (annotations.get(RESTART_ANNOTATION) not in (None, "", "no") or bool(state.get("service_record"))
            or bool(state.get("runtime_copy")))


def is_stop_signal(state, sig):
    if sig == 0:
        return False  # kill(2)'s probe: delivers nothing
    if sig == SIGKILL:
        return True
    stop_signal = (state.get("annotations") or {}).get(STOP_SIGNAL_ANNOTATION)
    if not stop_signal:
        return True
    try:
        return parse_signal(stop_signal) == sig
    except Exception:  # a bad annotation: treat every signal as a stop, as with none
        return True


def request_stop(root, container_id, lock=None):
    """Record the user's stop of ``container_id`` (under its lock; ``lock``: one the caller holds).

    Returns the state as saved. Idempotent.
    """
    own = lock is None
    if own:
        lock = root.lock(container_id)
    try:
        state = root.load(container_id)
        if not has_policy(state):
            return state
        waiting = bool(state.get("restart_next_attempt"))
        if not state.get("stop_requested"):
            state["stop_requested"] = True
            state["restart_next_attempt"] = None
            root.save(state)
        _forget_for_boot(state)
        if waiting:
            _end_waiting_monitor(state)
        return state
    finally:
        if own:
            lock.release()


def restart_pending(state):
    """True while the monitor waits to bring the container back (its process has exited)."""
    return bool(state.get("restart_next_attempt")) and not state.get("stop_requested") \
        and process_alive(state.get("monitor_pid"), state.get("monitor_start_time"))


def _end_waiting_monitor(state):
    if state.get("status") != "stopped":
        return  # the monitor waits for the process: it records the exit and then sees stop_requested
    # It has decided to restart and waits out the backoff, or has become the
    # recreate helper and waits for the lock we hold: either way nothing is
    # done yet, and nothing is lost by ending it.
    pid = state.get("monitor_pid")
    if pid and process_alive(pid, state.get("monitor_start_time")):
        try:
            posix.kill(pid, SIGTERM)
        except OSError:
            pass


def _forget_for_boot(state):
    path = state.get("service_record")
    if path:
        from ..services.record import set_run
        set_run(path, False)
