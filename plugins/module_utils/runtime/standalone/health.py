# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Health checks, run by the monitor: docker's model.

The annotation ``org.opencontainer.runtime.healthcheck`` holds a JSON
object: ``test`` (the command's argv, run inside the container), and
``interval``, ``timeout``, ``start_period`` (seconds), ``retries`` and
``on_failure`` (``none``, ``kill`` or ``restart``). The module's
``healthcheck`` option writes it, with docker's defaults (30 s, 30 s, 0 s,
3).

Standard library only (the monitor's copy). The monitor runs one check at a
time (checks never pile up: the next one is due ``interval`` after the
previous one ended), each as a child process: the runtime's own exec from the
runtime copy (``entry.py exec``), whose output it reads from a pipe. A check
still running at ``timeout`` is killed, and so is the process it started in
the container (its pid file), and counts as a failure. As docker:

* health is ``starting`` until the first success; failures during
  ``start_period`` do not count;
* ``retries`` consecutive failures make it ``unhealthy``, one success
  ``healthy`` again (``failing_streak`` counts them);
* the last five results are kept in ``health.log`` (start, end, exit code,
  output, at most 4 KiB each);

all in state.json under ``health``, written under the container lock. Once
unhealthy, ``on_failure`` ``kill`` sends SIGKILL to the container (the restart
policy then applies as to any exit) and ``restart`` kills it and has it
restarted through the restart path whatever the policy (a stop asked for by
the user still wins).
"""

import os

HEALTHCHECK_ANNOTATION = "org.opencontainer.runtime.healthcheck"
ACTIONS = ("none", "kill", "restart")
DEFAULTS = {"interval": 30.0, "timeout": 30.0, "start_period": 0.0, "retries": 3, "on_failure": "none"}
KEEP_RESULTS = 5
MAX_OUTPUT = 4096


def _loads(raw):
    try:
        from . import jsonlite
    except ImportError:
        import jsonlite
    return jsonlite.loads(raw)


def parse_healthcheck(raw):
    """The checked healthcheck object of an annotation value; ValueError says what is wrong."""
    try:
        value = _loads(raw) if isinstance(raw, str) else raw
    except ValueError as e:
        raise ValueError("must be a JSON object: %s" % e)
    if not isinstance(value, dict):
        raise ValueError("must be a JSON object with test, interval, timeout, retries, start_period, on_failure")
    unknown = sorted(set(value) - set(DEFAULTS) - set(["test"]))
    if unknown:
        raise ValueError("unknown field %s" % unknown[0])
    test = value.get("test")
    if not isinstance(test, list) or not test or not all(isinstance(a, str) for a in test):
        raise ValueError("test: must be a non-empty list of strings (the command's argv)")
    out = dict(DEFAULTS)
    out["test"] = list(test)
    for key in ("interval", "timeout", "start_period"):
        if key in value:
            number = value[key]
            if isinstance(number, bool) or not isinstance(number, (int, float)) or number < 0:
                raise ValueError("%s: must be a number of seconds >= 0, not %r" % (key, number))
            out[key] = float(number)
    for key in ("interval", "timeout"):
        if out[key] <= 0:
            raise ValueError("%s: must be more than 0 seconds" % key)
    if "retries" in value:
        retries = value["retries"]
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 1:
            raise ValueError("retries: must be an integer >= 1, not %r" % (retries,))
        out["retries"] = retries
    if "on_failure" in value:
        if value["on_failure"] not in ACTIONS:
            raise ValueError("on_failure: must be one of %s, not %r" % (", ".join(ACTIONS), value["on_failure"]))
        out["on_failure"] = value["on_failure"]
    return out

