# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Status rules: the live status of a stored state and which verbs it allows.

runtime.md "State": created = the create operation finished and the
container process has neither exited nor executed the user program;
running = it executed the user program and has not exited; stopped = it has
exited; paused (runc's addition) = its processes are frozen by the cgroup
freezer (pause) until resume thaws them. The stored status is only a claim; the live status checks the pid:
a pid that is gone, a zombie, or now belongs to another process (its start
time differs from the one recorded at create) means stopped.
"""

from .errors import StatusError
from .standalone.stateio import process_alive

CREATING = "creating"
CREATED = "created"
RUNNING = "running"
PAUSED = "paused"
STOPPED = "stopped"


def live_status(state):
    stored = state.get("status")
    if stored == STOPPED:
        return STOPPED
    if stored == CREATING:
        # The creating command records itself; if it died mid-create (and the
        # init, if any, is gone too) the container can only be deleted.
        creator_alive = process_alive(state.get("creator_pid"), state.get("creator_start_time"))
        init_alive = process_alive(state.get("pid"), state.get("pid_start_time"))
        return CREATING if (creator_alive or init_alive) else STOPPED
    if process_alive(state.get("pid"), state.get("pid_start_time")):
        # A frozen process is alive (state D/S, never Z), so "paused" stays
        # paused until resume records "running" or the monitor "stopped".
        return stored
    return STOPPED


def exit_pending(state):
    """True while the process has exited but its live monitor has not yet recorded how.

    The monitor (standalone/monitor.py) is the init's parent: it reaps the
    init and writes status "stopped", exit_code and finished under the
    container lock. Between the exit and that write the pid reads as gone
    or a zombie while state.json still says created/running/paused.
    """
    return (state.get("status") in (CREATED, RUNNING, PAUSED)
            and live_status(state) == STOPPED
            and process_alive(state.get("monitor_pid"), state.get("monitor_start_time")))


# Which verbs each status allows (runtime.md "Operations").
_ALLOWED = {
    "start": (CREATED,),
    # A paused container can be signalled (runc); SIGKILL lands once thawed.
    "kill": (CREATED, RUNNING, PAUSED),
    "delete": (STOPPED,),
    "delete --force": (CREATING, CREATED, RUNNING, PAUSED, STOPPED),
    "pause": (RUNNING,),
    "resume": (PAUSED,),
    "update": (CREATED, RUNNING, PAUSED),
    "stats": (CREATED, RUNNING, PAUSED),
}


def require(verb, container_id, status):
    """Raise StatusError unless ``verb`` is allowed in ``status``."""
    if status not in _ALLOWED[verb]:
        hint = ""
        if verb == "delete" and status in (CREATED, RUNNING, PAUSED, CREATING):
            hint = "; stop it first or use --force"
        elif verb == "start" and status == PAUSED:
            hint = "; use resume"
        raise StatusError("cannot %s container %s: it is %s%s" % (verb.split()[0], container_id, status, hint))
