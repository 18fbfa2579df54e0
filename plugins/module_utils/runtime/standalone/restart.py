# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restart policies: docker's rules, applied by the monitor when the container's process exits.

Standard library only: this file is also run from the monitor's copy, and
imported there only after the container has exited (the idle monitor stays
small).

The policy is the annotation ``org.opencontainer.runtime.restart`` (the
module's ``restart_policy`` writes it): ``no`` (the default), ``on-failure``
or ``on-failure:N`` (at most N restarts), ``always``, ``unless-stopped``.
As docker's restart manager (daemon/restartmanager):

* ``always`` and ``unless-stopped`` restart after every exit,
  ``on-failure`` after a non-zero exit while fewer than N restarts were made
  (N = 0: no limit);
* a stop the user asked for (``stop_requested`` in state.json, written under
  the container lock before the signal: lifecycle/intent.py) is never
  undone, whatever the policy;
* the delay before a restart starts at 100 ms and doubles up to one minute;
  it starts again at 100 ms once the container had run for 10 s.

What the monitor does with a decision to restart (record it, wait, become
the recreate helper) is ``apply_restart_policy`` below; monitor.py calls it.
"""

import os

RESTART_ANNOTATION = "org.opencontainer.runtime.restart"
POLICIES = ("no", "on-failure", "always", "unless-stopped")

INITIAL_DELAY = 0.1     # docker: defaultTimeout = 100 ms
MAX_DELAY = 60.0        # docker: maxRestartTimeout = 1 min
RESET_AFTER = 10.0      # docker: a run of 10 s or more resets the backoff
BACKOFF_FACTOR = 2


def parse_policy(text):
    """Return (name, max_retries) of a policy string; ValueError says what is wrong."""
    if text is None or text == "":
        return "no", 0
    if not isinstance(text, str):
        raise ValueError("must be a string such as on-failure:3, not %r" % (text,))
    name, sep, count = text.partition(":")
    if name not in POLICIES:
        raise ValueError("%r is not one of %s (on-failure may carry a count: on-failure:3)"
                         % (text, ", ".join(POLICIES)))
    if not sep:
        return name, 0
    if name != "on-failure":
        raise ValueError("%r: only on-failure takes a maximum retry count" % text)
    if not count.isdigit():
        raise ValueError("%r: the maximum retry count must be a non-negative integer" % text)
    return name, int(count)


def format_policy(name, max_retries):
    if name == "on-failure" and max_retries:
        return "%s:%d" % (name, max_retries)
    return name


def policy_of(state_or_config):
    """The (name, max_retries) of a stored state or a config; a bad value reads as no policy."""
    annotations = state_or_config.get("annotations") or {}
    try:
        return parse_policy(annotations.get(RESTART_ANNOTATION))
    except ValueError:
        return "no", 0  # create refuses it; an old or hand-edited state never restarts


def should_restart(name, max_retries, restart_count, exit_code, stop_requested):
    """True when the policy brings the container back after this exit."""
    if stop_requested or name == "no":
        return False
    if name in ("always", "unless-stopped"):
        return True
    if name == "on-failure":
        return exit_code != 0 and (max_retries == 0 or restart_count < max_retries)
    return False


def next_delay(previous, ran_for):
    """The wait before the next restart, from the last one and how long the container ran (s)."""
    if not previous or ran_for is None or ran_for >= RESET_AFTER:
        return INITIAL_DELAY
    return min(previous * BACKOFF_FACTOR, MAX_DELAY)


def parse_timestamp(text):
    """Seconds since the epoch of an RFC 3339 UTC timestamp as stateio.timestamp() writes it; None if unreadable.

    By hand: time.strptime imports _strptime, re and locale into a process
    that should stay small.
    """
    try:
        date, clock = text.rstrip("Z").split("T")
        year, month, day = (int(x) for x in date.split("-"))
        hours, minutes, seconds = clock.split(":")
        fraction = float(seconds)
    except (AttributeError, ValueError):
        return None
    # Days from 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    year -= month <= 2
    era = (year if year >= 0 else year - 399) // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = era * 146097 + doe - 719468
    return days * 86400 + int(hours) * 3600 + int(minutes) * 60 + fraction


def ran_for(state):
    """How long the container's process ran (s), from ``started`` to ``finished``; None if unknown."""
    started = parse_timestamp(state.get("started"))
    finished = parse_timestamp(state.get("finished"))
    if started is None or finished is None:
        return None
    return max(0.0, finished - started)


def decide(state, force=False):
    """Decide after an exit recorded in ``state``; return the delay before the restart, or None.

    Updates ``state`` (the caller saves it, under the container lock):
    ``restart_last_exit``, and with a restart ``restart_backoff`` and
    ``restart_next_attempt``. ``force``: a health check's failure action
    ``restart``, which restarts whatever the policy (a user's stop still wins).
    """
    import stateio
    name, max_retries = policy_of(state)
    state["restart_last_exit"] = {"exit_code": state.get("exit_code"), "exit_signal": state.get("exit_signal"),
                                  "finished": state.get("finished")}
    stop_requested = bool(state.get("stop_requested"))
    count = int(state.get("restart_count") or 0)
    if force:
        wanted = not stop_requested
    else:
        wanted = should_restart(name, max_retries, count, state.get("exit_code"), stop_requested)
    if not wanted:
        state["restart_next_attempt"] = None
        return None
    import time
    delay = next_delay(state.get("restart_backoff"), ran_for(state))
    state["restart_backoff"] = delay
    state["restart_next_attempt"] = stateio.timestamp(time.time() + delay)
    return delay


def set_record_run(state, run):
    """Mark the container's persistent service record (services/record.py) to come back at boot or not."""
    import jsonlite
    import stateio
    path = state.get("service_record")
    if not path:
        return
    directory, name = os.path.split(path)
    try:
        with open(path, "rb") as handle:
            record = jsonlite.loads(handle.read().decode("utf-8"))
        if record.get("run") == run:
            return
        record["run"] = run
        stateio.write_json(directory, record, name=name)
    except (IOError, OSError, ValueError):
        pass  # a record removed meanwhile (delete) stays removed


def apply_restart_policy(container_dir, dir_fd, monitor_pid, python, force=False):
    """In the monitor, after the exit was recorded: restart when the policy says so.

    Under the container lock: re-read state.json (still ours: same
    monitor_pid), decide, record the decision. Then, without the lock, wait
    out the backoff and become the recreate helper (execve: same pid, so
    `delete` waiting for this monitor also waits for a restart under way).
    The helper takes the lock again and checks ``stop_requested`` once more
    before it recreates anything: a user's stop that lands while we wait
    wins. Returns only when there is no restart (or it could not be started).
    """
    import fcntl
    import stateio
    fcntl.flock(dir_fd, fcntl.LOCK_EX)
    try:
        try:
            state = stateio.read_json(dir_fd)
        except (IOError, OSError, ValueError):
            return  # deleted meanwhile
        if state.get("monitor_pid") != monitor_pid or state.get("status") != "stopped":
            return
        if policy_of(state)[0] == "no" and not force:
            return
        delay = decide(state, force=force)
        entry = state.get("runtime_copy")
        if delay is not None and not entry:
            state["restart_error"] = "no runtime copy recorded for the restart"
            delay = None
        stateio.write_json(container_dir, state)
        if delay is None:
            set_record_run(state, False)
            return
    finally:
        fcntl.flock(dir_fd, fcntl.LOCK_UN)
    import time
    time.sleep(delay)  # SIGTERM (lifecycle/intent.py) ends the wait, and us, when the user stops it
    root, container_id = os.path.split(container_dir.rstrip("/"))
    argv = [python, "-I", "-S", "-B", entry + "/runtime/services/entry.py", "recreate", root, container_id,
            str(monitor_pid)]
    try:
        os.execv(python, argv)
    except OSError as e:
        _record_failure(container_dir, dir_fd, monitor_pid, "cannot run %s: %s" % (argv[4], e))


def _record_failure(container_dir, dir_fd, monitor_pid, message):
    import fcntl
    import stateio
    fcntl.flock(dir_fd, fcntl.LOCK_EX)
    try:
        state = stateio.read_json(dir_fd)
        if state.get("monitor_pid") == monitor_pid:
            state["restart_error"] = message
            state["restart_next_attempt"] = None
            stateio.write_json(container_dir, state)
    except (IOError, OSError, ValueError):
        pass
    finally:
        fcntl.flock(dir_fd, fcntl.LOCK_UN)
