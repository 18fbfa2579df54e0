# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Health checks run by the monitor through the runtime's exec (our extension)."""
from __future__ import absolute_import, division, print_function

import json
import os
import time

import pytest

import itest_helpers as H

pytestmark = pytest.mark.ours

HEALTH = "org.opencontainer.runtime.healthcheck"
RESTART = "org.opencontainer.runtime.restart"


@pytest.fixture
def services_dir(tmp_path, monkeypatch):
    path = str(tmp_path / "services")
    monkeypatch.setenv("OCI_RUNTIME_SERVICES_DIR", path)
    return path


def health_config(oci, test, policy=None, **check):
    config = oci.config(["sleep", "1000"])
    value = {"test": test, "interval": 0.2, "timeout": 2.0, "retries": 2}
    value.update(check)
    config.setdefault("annotations", {})[HEALTH] = json.dumps(value)
    if policy:
        config["annotations"][RESTART] = policy
    return config


def health(oci, cid):
    try:
        return oci.rt.read_state_file(cid).get("health") or {}
    except (IOError, OSError, ValueError):
        return {}


def wait_health(oci, cid, predicate, timeout=20, what="health"):
    last = {}

    def check():
        last["h"] = health(oci, cid)
        return predicate(last["h"])
    try:
        H.wait_for(check, timeout, what=what)
    except AssertionError:
        raise AssertionError("%s never reached: %r" % (what, last.get("h")))
    return last["h"]


def test_transitions_starting_healthy_unhealthy_healthy(oci, services_dir):
    cid = oci.new_id()
    oci.rt.create(cid, oci.bundle(health_config(oci, ["sh", "-c", "echo probe; test -f /out/ok"]))).check()
    time.sleep(0.6)
    assert health(oci, cid) == {}  # created, not started: no checks
    oci.rt.start(cid).check()
    first = wait_health(oci, cid, lambda h: h.get("status") == "starting", what="starting")
    assert first["failing_streak"] == 0
    # failing but not yet `retries` times in a row -> still starting, then unhealthy
    bad = wait_health(oci, cid, lambda h: h.get("status") == "unhealthy", what="unhealthy")
    assert bad["failing_streak"] >= 2
    assert bad["log"][-1]["exit_code"] == 1 and "probe" in bad["log"][-1]["output"]
    assert len(bad["log"]) <= 5
    open(oci.out_file("ok"), "w").close()
    good = wait_health(oci, cid, lambda h: h.get("status") == "healthy", what="healthy")
    assert good["failing_streak"] == 0 and good["log"][-1]["exit_code"] == 0
    os.unlink(oci.out_file("ok"))
    wait_health(oci, cid, lambda h: h.get("status") == "unhealthy", what="unhealthy again")
    state = json.loads(oci.rt.state_result(cid).check().stdout)
    assert state["status"] == "running"  # action none: only recorded


def test_hanging_check_is_killed_at_its_timeout_and_checks_never_pile_up(oci, services_dir):
    cid = oci.new_id()
    config = health_config(oci, ["sh", "-c", "echo $$ >> /out/checks; sleep 100"], timeout=0.5, interval=0.1, retries=3)
    oci.rt.create_started(cid, oci.bundle(config))
    pids_dir = oci.cgroup_dir(config, "pids")
    most = 0
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        most = max(most, len(H.cgroup_procs(pids_dir)))
        time.sleep(0.02)
    assert 2 == most, "init + one check at a time, saw at most %d" % most
    bad = wait_health(oci, cid, lambda h: h.get("status") == "unhealthy", what="unhealthy")
    last = bad["log"][-1]
    assert last["exit_code"] == -1 and "timeout" in last["output"]
    with open(oci.out_file("checks")) as handle:
        assert len(handle.read().split()) >= 3
    # every timed-out check's process is gone from the container
    time.sleep(0.1)
    assert len(H.cgroup_procs(pids_dir)) <= 2


def test_failure_action_kill(oci, services_dir):
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(health_config(oci, ["false"], retries=1, on_failure="kill")))
    H.wait_for(lambda: oci.rt.read_state_file(cid).get("status") == "stopped", 20, what="killed")
    state = oci.rt.read_state_file(cid)
    assert state["exit_signal"] == "SIGKILL"
    assert state["health"]["status"] == "unhealthy"
    assert "killed" in state["health"]["action"]
    time.sleep(0.5)
    assert not oci.rt.read_state_file(cid).get("restart_count")  # policy no: it stays down


def test_failure_action_kill_then_policy_restarts(oci, services_dir):
    cid = oci.new_id()
    config = health_config(oci, ["test", "-f", "/out/ok"], policy="on-failure:1", retries=1, on_failure="kill")
    oci.rt.create_started(cid, oci.bundle(config))
    H.wait_for(lambda: oci.rt.read_state_file(cid).get("restart_count") == 1, 20, what="restarted once")
    open(oci.out_file("ok"), "w").close()
    wait_health(oci, cid, lambda h: h.get("status") == "healthy", what="healthy after restart")


def test_failure_action_restart_whatever_the_policy(oci, services_dir):
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(health_config(oci, ["test", "-f", "/out/ok"], retries=1,
                                                        on_failure="restart")))
    first_pid = oci.rt.read_state_file(cid)["pid"]
    H.wait_for(lambda: oci.rt.read_state_file(cid).get("restart_count") == 1
               and oci.rt.read_state_file(cid).get("status") == "running", 20, what="restarted")
    assert oci.rt.read_state_file(cid)["pid"] != first_pid
    open(oci.out_file("ok"), "w").close()
    wait_health(oci, cid, lambda h: h.get("status") == "healthy", what="healthy after restart")


def test_user_stop_wins_over_health_restart(oci, services_dir):
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(health_config(oci, ["true"], on_failure="restart")))
    wait_health(oci, cid, lambda h: h.get("status") == "healthy", what="healthy")
    oci.rt.kill(cid, "KILL").check()
    H.wait_for(lambda: oci.rt.read_state_file(cid).get("status") == "stopped", 10, what="stopped")
    time.sleep(0.5)
    assert oci.rt.read_state_file(cid)["status"] == "stopped"
    assert oci.rt.read_state_file(cid)["stop_requested"] is True


def test_bad_healthcheck_is_refused(oci, services_dir):
    cid = oci.new_id()
    config = oci.config(["true"])
    config["annotations"] = {HEALTH: json.dumps({"test": "true"})}
    result = oci.rt.create(cid, oci.bundle(config))
    H.assert_fails(result, HEALTH, "test")
    assert not os.path.exists(oci.rt.state_file(cid))


def test_monitor_stays_small_with_a_policy_and_a_health_check(oci, services_dir):
    cid = oci.new_id()
    config = health_config(oci, ["true"], policy="always", interval=0.2)
    oci.rt.create_started(cid, oci.bundle(config))
    wait_health(oci, cid, lambda h: len(h.get("log") or []) >= 3, what="three checks")
    monitor = oci.rt.read_state_file(cid)["monitor_pid"]
    kilobytes = int(H.proc_status_field(monitor, "RssAnon").split()[0])
    assert kilobytes <= 4096, "monitor RssAnon is %d kB" % kilobytes


def test_start_period_failures_do_not_count(oci, services_dir):
    cid = oci.new_id()
    config = health_config(oci, ["false"], retries=1, interval=0.2, start_period=1.5)
    began = time.monotonic()
    oci.rt.create_started(cid, oci.bundle(config))
    early = wait_health(oci, cid, lambda h: len(h.get("log") or []) >= 2, what="two checks")
    if time.monotonic() - began < 1.3:  # still inside start_period (a slow host may be past it)
        assert early["status"] == "starting" and early["failing_streak"] == 0
    late = wait_health(oci, cid, lambda h: h.get("status") == "unhealthy", what="unhealthy after start_period")
    assert late["failing_streak"] == 1
    assert time.monotonic() - began >= 1.5
