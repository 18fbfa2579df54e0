# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Health checks: the annotation's checks and docker's state rules (standalone/health.py)."""
from __future__ import absolute_import, division, print_function

import json
import sys

import pytest

from runtime.standalone import health, stateio


@pytest.fixture(autouse=True)
def standalone_on_path(monkeypatch):
    monkeypatch.setitem(sys.modules, "stateio", stateio)


def test_parse_fills_docker_defaults():
    assert health.parse_healthcheck(json.dumps({"test": ["true"]})) == {
        "test": ["true"], "interval": 30.0, "timeout": 30.0, "start_period": 0.0, "retries": 3, "on_failure": "none"}


@pytest.mark.parametrize("value,mention", [
    ("[1]", "JSON object"), ("{", "JSON object"), ({"test": "true"}, "test: must be a non-empty list"),
    ({"test": []}, "test:"), ({"test": ["x"], "interval": 0}, "interval: must be more than 0"),
    ({"test": ["x"], "timeout": -1}, "timeout: must be a number"), ({"test": ["x"], "retries": 0}, "retries"),
    ({"test": ["x"], "retries": True}, "retries"), ({"test": ["x"], "on_failure": "reboot"}, "on_failure"),
    ({"test": ["x"], "every": 1}, "unknown field every"),
])
def test_parse_errors(value, mention):
    with pytest.raises(ValueError) as info:
        health.parse_healthcheck(value if isinstance(value, (str, dict)) else json.dumps(value))
    assert mention in str(info.value)


class Recorded(health.Checker):
    """A Checker whose state.json writes and kills are recorded instead of done."""

    def __init__(self, **check):
        spec = health.parse_healthcheck(dict({"test": ["true"]}, **check))
        health.Checker.__init__(self, "/nonexistent/c", -1, 999999999, spec, "/nonexistent/entry.py")
        self.started_at = 100.0
        self.records = []
        self.kills = []

    def _record(self, action):
        self.records.append((self.status, self.streak, action))

    def result(self, code, at):
        self.output = b"out"
        import os
        real_kill = os.kill
        os.kill = lambda pid, sig: self.kills.append((pid, sig))
        try:
            self._apply_result(code, at, 0.0)
        finally:
            os.kill = real_kill
        return self.status, self.streak


def test_failures_reach_unhealthy_after_retries_and_one_success_heals():
    c = Recorded(retries=3)
    assert c.result(1, 101) == ("starting", 1)
    assert c.result(1, 102) == ("starting", 2)
    assert c.result(1, 103) == ("unhealthy", 3)
    assert c.result(0, 104) == ("healthy", 0)
    assert c.result(1, 105) == ("healthy", 1)


def test_failures_in_start_period_do_not_count_unless_healthy_already():
    c = Recorded(retries=1, start_period=10)
    assert c.result(1, 105) == ("starting", 0)
    assert c.result(0, 106) == ("healthy", 0)
    assert c.result(1, 107) == ("unhealthy", 1)  # was healthy: counts although inside start_period
    c = Recorded(retries=1, start_period=10)
    assert c.result(1, 111) == ("unhealthy", 1)  # after start_period


def test_action_once_on_becoming_unhealthy():
    c = Recorded(retries=2, on_failure="restart")
    c.result(1, 101)
    c.result(1, 102)
    c.result(1, 103)
    assert [r[2] for r in c.records] == [None, "restart", None]
    assert c.kills == [(999999999, 9)]
    assert c.force_restart is True
    c = Recorded(retries=1, on_failure="none")
    c.result(1, 101)
    assert c.kills == [] and c.records[-1][2] is None


def test_results_keep_the_last_five():
    c = Recorded()
    for i in range(8):
        c.result(i % 2, 101 + i)
    assert len(c.results) == 5
    assert [r["exit_code"] for r in c.results] == [1, 0, 1, 0, 1]
    assert c.results[-1]["output"] == "out"


def test_exit_code_of_a_wait_status():
    assert health._exit_code(3 << 8) == 3
    assert health._exit_code(9) == 137
