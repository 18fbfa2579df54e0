# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restart policies and health checks for the modules: options to annotations, waiting for health.

Private to this collection. ``restart_policy`` (+ ``restart_retries``),
``healthcheck`` and ``healthcheck_failure_action`` become the runtime's
annotations (runtime/standalone/restart.py and health.py), so a bundle
the module writes behaves as `oci-runtime create` of that bundle would, and
they are compared like every other option (a change recreates the
container).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import re
import time

from ..runtime.errors import RuntimeFailure
from ..runtime.standalone import health, restart

SERVICE_OPTIONS = ("restart_policy", "restart_retries", "healthcheck", "healthcheck_failure_action")
_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)(h|ms|m|s|us|ns))+$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|us|ns)")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 1e-6, "ns": 1e-9}


def _option_error(option, message):
    from .desired import OptionError
    return OptionError(option, message)


def duration(value, option):
    """Seconds from a number or a docker duration string (C(1m30s), C(500ms))."""
    if isinstance(value, bool):
        raise _option_error(option, "%r is not a duration" % (value,))
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        text = str(value).strip()
        try:
            seconds = float(text)
        except ValueError:
            if not _DURATION.match(text):
                raise _option_error(option, "%r is not a duration such as 30, 30s, 1m30s or 500ms" % text)
            seconds = sum(float(n) * _UNITS[u] for n, u in _DURATION_PART.findall(text))
    if seconds < 0:
        raise _option_error(option, "%r is negative" % (value,))
    return seconds


def healthcheck_test(value):
    """The argv of a check: a shell string, a list, or docker's [CMD, ...] / [CMD-SHELL, cmd]; None for [NONE]."""
    if isinstance(value, str):
        if not value.strip():
            raise _option_error("healthcheck.test", "is empty")
        return ["/bin/sh", "-c", value]
    if not isinstance(value, list) or not value:
        raise _option_error("healthcheck.test", "must be a command string or a non-empty list")
    value = [str(v) for v in value]
    if value[0] == "NONE":
        return None
    if value[0] == "CMD-SHELL":
        if len(value) < 2:
            raise _option_error("healthcheck.test", "CMD-SHELL needs a command")
        return ["/bin/sh", "-c", " ".join(value[1:])]
    if value[0] == "CMD":
        value = value[1:]
        if not value:
            raise _option_error("healthcheck.test", "CMD needs a command")
    return value


def apply_service_options(config, params):
    """Render the restart policy and the health check into ``config``'s annotations."""
    policy = params.get("restart_policy")
    retries = params.get("restart_retries")
    if retries is not None and policy != "on-failure":
        raise _option_error("restart_retries", "only applies to restart_policy=on-failure")
    if retries is not None and retries < 0:
        raise _option_error("restart_retries", "must be 0 (no limit) or more, not %d" % retries)
    if policy:
        try:
            name, _count = restart.parse_policy(policy)
        except ValueError as e:
            raise _option_error("restart_policy", str(e))
        if name != "no":  # no is the default: no annotation
            config.setdefault("annotations", {})[restart.RESTART_ANNOTATION] = \
                restart.format_policy(name, retries or _count)
    check = params.get("healthcheck")
    action = params.get("healthcheck_failure_action")
    if check:
        rendered = _healthcheck(check, action)
        if rendered is not None:
            config.setdefault("annotations", {})[health.HEALTHCHECK_ANNOTATION] = rendered
    elif action and action != "none":
        raise _option_error("healthcheck_failure_action", "needs healthcheck")
    return config


def _healthcheck(check, action):
    if not isinstance(check, dict):
        raise _option_error("healthcheck", "must be a dict with test, interval, timeout, retries, start_period")
    unknown = sorted(set(check) - set(("test", "interval", "timeout", "retries", "start_period")))
    if unknown:
        raise _option_error("healthcheck.%s" % unknown[0], "unknown option")
    if "test" not in check:
        raise _option_error("healthcheck.test", "is required")
    test = healthcheck_test(check["test"])
    if test is None:
        return None
    value = {"test": test, "on_failure": action or "none"}
    for key in ("interval", "timeout", "start_period"):
        if check.get(key) is not None:
            value[key] = duration(check[key], "healthcheck.%s" % key)
    if check.get("retries") is not None:
        try:
            value["retries"] = int(check["retries"])
        except (TypeError, ValueError):
            raise _option_error("healthcheck.retries", "%r is not an integer" % (check["retries"],))
    try:
        value = health.parse_healthcheck(value)
    except ValueError as e:
        raise _option_error("healthcheck", str(e))
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def wait_healthy(root, name, timeout):
    """Wait until the container's health check passes; RuntimeFailure with the last output otherwise."""
    from ..runtime.status import RUNNING, live_status
    deadline = time.monotonic() + timeout
    state = {}
    while time.monotonic() < deadline:
        state = root.load(name)
        if not (state.get("annotations") or {}).get(health.HEALTHCHECK_ANNOTATION):
            raise RuntimeFailure("wait_healthy: container %s has no healthcheck" % name)
        status = (state.get("health") or {}).get("status")
        if status == "healthy" and live_status(state) == RUNNING:
            return state["health"]
        time.sleep(0.05)
    info = state.get("health") or {}
    log = info.get("log") or []
    last = log[-1] if log else {}
    raise RuntimeFailure("container %s not healthy after %gs (health: %s, failing streak %s); last check: exit %s, "
                         "output: %s" % (name, timeout, info.get("status", "starting"), info.get("failing_streak", 0),
                                         last.get("exit_code"), (last.get("output") or "").strip()[-500:]))


def restart_pending(state):
    """True while the container's monitor waits to restart it (its process has exited)."""
    if not state.get("restart_next_attempt") or state.get("stop_requested"):
        return False
    from ..runtime.lifecycle.intent import restart_pending as pending
    return pending(state)
