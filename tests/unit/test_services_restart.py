# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restart policies: parsing, decisions and docker's backoff (standalone/restart.py)."""
from __future__ import absolute_import, division, print_function

import calendar
import sys
import time

import pytest

from runtime.standalone import restart, stateio


@pytest.fixture(autouse=True)
def standalone_on_path(monkeypatch):
    # restart.decide imports stateio as the monitor's copy does: a top-level module.
    monkeypatch.setitem(sys.modules, "stateio", stateio)


@pytest.mark.parametrize("text,expected", [
    (None, ("no", 0)), ("", ("no", 0)), ("no", ("no", 0)), ("always", ("always", 0)),
    ("unless-stopped", ("unless-stopped", 0)), ("on-failure", ("on-failure", 0)),
    ("on-failure:5", ("on-failure", 5)), ("on-failure:0", ("on-failure", 0)),
])
def test_parse_policy(text, expected):
    assert restart.parse_policy(text) == expected


@pytest.mark.parametrize("text,mention", [
    ("sometimes", "is not one of"), ("always:3", "only on-failure"), ("on-failure:-1", "non-negative"),
    ("on-failure:x", "non-negative"), ("on-failure:", "non-negative"), (3, "must be a string"),
])
def test_parse_policy_errors(text, mention):
    with pytest.raises(ValueError) as info:
        restart.parse_policy(text)
    assert mention in str(info.value)


@pytest.mark.parametrize("policy,max_retries,count,code,stopped,expected", [
    ("no", 0, 0, 1, False, False),
    ("always", 0, 0, 0, False, True),
    ("always", 0, 99, 1, False, True),
    ("always", 0, 0, 0, True, False),
    ("unless-stopped", 0, 0, 0, False, True),
    ("unless-stopped", 0, 0, 137, True, False),
    ("on-failure", 0, 0, 0, False, False),
    ("on-failure", 0, 50, 1, False, True),
    ("on-failure", 3, 2, 1, False, True),
    ("on-failure", 3, 3, 1, False, False),
    ("on-failure", 3, 0, 1, True, False),
])
def test_should_restart(policy, max_retries, count, code, stopped, expected):
    assert restart.should_restart(policy, max_retries, count, code, stopped) is expected


def test_backoff_doubles_from_100ms_and_caps_at_a_minute():
    delays, previous = [], None
    for dummy in range(12):
        previous = restart.next_delay(previous, 0.5)
        delays.append(previous)
    assert delays[:4] == [0.1, 0.2, 0.4, 0.8]
    assert delays[-1] == 60.0 and max(delays) == 60.0


def test_backoff_resets_after_ten_seconds_up():
    assert restart.next_delay(25.6, 9.9) == 51.2
    assert restart.next_delay(25.6, 10.0) == 0.1
    assert restart.next_delay(25.6, None) == 0.1


def test_parse_timestamp_round_trip():
    for now in (0.0, 951782400.5, 1700000000.123456, 4102444800.25):  # incl. 2000-02-29
        assert abs(restart.parse_timestamp(stateio.timestamp(now)) - now) < 1e-6
    assert restart.parse_timestamp(stateio.timestamp(86400 * 59)) == calendar.timegm((1970, 3, 1, 0, 0, 0))
    assert restart.parse_timestamp(None) is None
    assert restart.parse_timestamp("yesterday") is None


def _state(policy, code, ran, **extra):
    now = time.time()
    state = {"annotations": {restart.RESTART_ANNOTATION: policy}, "exit_code": code, "exit_signal": None,
             "started": stateio.timestamp(now - ran), "finished": stateio.timestamp(now)}
    state.update(extra)
    return state


def test_decide_records_the_exit_and_the_next_attempt():
    state = _state("on-failure:2", 1, 0.2, restart_count=1, restart_backoff=0.4)
    assert restart.decide(state) == 0.8
    assert state["restart_backoff"] == 0.8
    assert state["restart_last_exit"] == {"exit_code": 1, "exit_signal": None, "finished": state["finished"]}
    assert restart.parse_timestamp(state["restart_next_attempt"]) > time.time()


def test_decide_no_restart_clears_the_next_attempt():
    state = _state("on-failure:2", 1, 0.2, restart_count=2, restart_next_attempt="x")
    assert restart.decide(state) is None
    assert state["restart_next_attempt"] is None


def test_decide_forced_restart_ignores_the_policy_but_not_the_user():
    assert restart.decide(_state("no", 0, 1.0)) is None
    assert restart.decide(_state("no", 0, 1.0), force=True) == 0.1
    assert restart.decide(_state("no", 0, 1.0, stop_requested=True), force=True) is None


def test_long_run_resets_backoff_in_decide():
    assert restart.decide(_state("always", 0, 30.0, restart_backoff=60.0)) == 0.1


def test_bad_annotation_reads_as_no_policy():
    assert restart.policy_of({"annotations": {restart.RESTART_ANNOTATION: "bogus"}}) == ("no", 0)


def test_runtime_copy_is_sealed_compiled_and_shared(tmp_path):
    import os
    import stat
    import subprocess
    from runtime.process import libexec
    root = str(tmp_path)
    top = libexec.runtime_copy(root)
    assert top == libexec.runtime_copy(root)  # same code, same copy
    entry = os.path.join(top, "runtime", "services", "entry.py")
    assert os.path.isfile(entry)
    assert stat.S_IMODE(os.stat(entry).st_mode) == 0o400
    assert stat.S_IMODE(os.stat(top).st_mode) == 0o500
    pycache = os.path.join(top, "runtime", "lifecycle", "__pycache__")
    assert any(n.startswith("create.") for n in os.listdir(pycache))
    # The copy runs on its own: the command line from it, isolated (-I -S).
    out = subprocess.run([sys.executable, "-I", "-S", "-B", entry, "--version"], stdout=subprocess.PIPE,
                         universal_newlines=True, check=True, timeout=30).stdout
    assert "spec:" in out
