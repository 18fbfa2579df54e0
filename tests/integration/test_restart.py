# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restart policies applied by the monitor (our extension: runc has none).

Each test points OCI_RUNTIME_SERVICES_DIR at its own temp dir, so the
service records (services/record.py) of its containers stay there.
"""
from __future__ import absolute_import, division, print_function

import fcntl
import os
import threading
import time

import pytest

import itest_helpers as H

pytestmark = pytest.mark.ours

RESTART = "org.opencontainer.runtime.restart"


@pytest.fixture
def services_dir(tmp_path, monkeypatch):
    path = str(tmp_path / "services")
    monkeypatch.setenv("OCI_RUNTIME_SERVICES_DIR", path)
    return path


def policy_config(oci, args, policy):
    config = oci.config(args)
    config.setdefault("annotations", {})[RESTART] = policy
    return config


def saved(oci, cid):
    try:
        return oci.rt.read_state_file(cid)
    except (IOError, OSError, ValueError):
        return {}


def wait_saved(oci, cid, predicate, timeout=15, what="state"):
    last = {}

    def check():
        last["s"] = saved(oci, cid)
        return predicate(last["s"])
    try:
        H.wait_for(check, timeout, what=what)
    except AssertionError:
        raise AssertionError("%s never reached: %r" % (what, last.get("s")))
    return last["s"]


def settled_stopped(state):
    """Stopped, with no restart pending: the monitor has decided, and it was no."""
    return state.get("status") == "stopped" and not state.get("restart_next_attempt") \
        and not H.pid_alive(state.get("monitor_pid") or 0)


def starts(oci, name):
    try:
        with open(oci.out_file(name)) as handle:
            return [float(line.split()[0]) for line in handle if line.strip()]
    except IOError:
        return []


def test_on_failure_crash_loop_stops_after_max_with_backoff(oci, services_dir):
    cid = oci.new_id()
    config = policy_config(oci, ["sh", "-c", "cat /proc/uptime >> /out/starts; exit 1"], "on-failure:3")
    oci.rt.create_started(cid, oci.bundle(config))
    final = wait_saved(oci, cid, lambda s: s.get("restart_count") == 3 and settled_stopped(s),
                       what="3 restarts, then stopped")
    assert final["exit_code"] == 1
    assert final["restart_last_exit"]["exit_code"] == 1
    times = starts(oci, "starts")
    assert len(times) == 4, times  # the first run and 3 restarts
    gaps = [b - a for a, b in zip(times, times[1:])]
    # docker's backoff: 100 ms, then 200 ms, then 400 ms (/proc/uptime has 10 ms steps)
    for gap, delay in zip(gaps, (0.1, 0.2, 0.4)):
        assert gap >= delay - 0.01, gaps
    assert gaps[2] > gaps[0], gaps
    # not restarted again later
    time.sleep(1.0)
    assert len(starts(oci, "starts")) == 4
    assert oci.rt.state(cid)["status"] == "stopped"


def test_on_failure_leaves_a_clean_exit_alone(oci, services_dir):
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(policy_config(oci, ["true"], "on-failure")))
    final = wait_saved(oci, cid, settled_stopped, what="stopped for good")
    assert final["exit_code"] == 0
    assert not final.get("restart_count")


def test_no_policy_never_restarts(oci, services_dir):
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(policy_config(oci, ["sh", "-c", "exit 3"], "no")))
    final = wait_saved(oci, cid, settled_stopped, what="stopped for good")
    assert final["exit_code"] == 3
    assert not final.get("restart_count")
    assert not os.listdir(services_dir) if os.path.isdir(services_dir) else True


@pytest.mark.parametrize("policy", ["always", "unless-stopped"])
def test_always_restarts_after_clean_exit_with_same_id_and_config(oci, services_dir, policy):
    cid = oci.new_id()
    config = policy_config(oci, ["sh", "-c", "cat /proc/uptime >> /out/starts; sleep 0.3"], policy)
    first = oci.rt.create_started(cid, oci.bundle(config))
    again = wait_saved(oci, cid, lambda s: (s.get("restart_count") or 0) >= 2 and s.get("status") == "running",
                       what="two restarts")
    assert again["id"] == cid
    assert again["pid"] != first["pid"]
    assert again["config"] == oci.rt.read_state_file(cid)["config"]
    assert again["config"]["process"]["args"] == config["process"]["args"]
    assert again["restart_last_exit"]["exit_code"] == 0
    # "running" is recorded once the program is exec'd, maybe before its first line ran
    H.wait_for(lambda: len(starts(oci, "starts")) >= 3, 10, what="three runs of the program")


@pytest.mark.parametrize("policy", ["always", "unless-stopped", "on-failure"])
def test_user_kill_is_never_undone(oci, services_dir, policy):
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(policy_config(oci, ["sleep", "1000"], policy)))
    oci.rt.kill(cid, "KILL").check()
    final = wait_saved(oci, cid, settled_stopped, what="stopped for good")
    assert final["stop_requested"] is True
    assert final["exit_signal"] == "SIGKILL"
    time.sleep(0.5)
    assert oci.rt.state(cid)["status"] == "stopped"
    assert not saved(oci, cid).get("restart_count")


def test_other_signal_than_stop_signal_is_not_a_stop(oci, services_dir):
    cid = oci.new_id()
    config = policy_config(oci, ["sleep", "1000"], "always")
    config["annotations"]["org.opencontainer.image.stopSignal"] = "SIGUSR1"
    oci.rt.create_started(cid, oci.bundle(config))
    oci.rt.kill(cid, "KILL").check()  # SIGKILL is always a stop
    wait_saved(oci, cid, settled_stopped, what="stopped for good")
    cid2 = oci.new_id()
    config2 = policy_config(oci, ["sleep", "1000"], "always")  # a cgroup of its own
    config2["annotations"]["org.opencontainer.image.stopSignal"] = "SIGUSR1"
    oci.rt.create_started(cid2, oci.bundle(config2))
    oci.rt.kill(cid2, "TERM").check()  # not the stop signal: pid 1 without handler ignores it, so use --all
    assert not saved(oci, cid2).get("stop_requested")


def test_user_stop_racing_with_an_exit_wins(oci, services_dir):
    """The process dies at the moment the user stops it: whoever takes the lock first, no restart."""
    for _round in range(3):
        cid = oci.new_id()
        oci.rt.create_started(cid, oci.bundle(policy_config(oci, ["sleep", "1000"], "always")))
        state = oci.rt.read_state_file(cid)
        directory = os.path.dirname(oci.rt.state_file(cid))
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(fd, fcntl.LOCK_EX)  # neither the monitor nor kill can go on
        try:
            os.kill(state["pid"], 9)  # "crash"
            result = {}
            thread = threading.Thread(target=lambda: result.setdefault("r", oci.rt.kill(cid, "TERM")))
            thread.start()
            time.sleep(0.2)
        finally:
            os.close(fd)
        thread.join(30)
        final = wait_saved(oci, cid, settled_stopped, what="stopped for good")
        assert final.get("stop_requested") is True
        time.sleep(0.3)
        assert saved(oci, cid).get("status") == "stopped"
        assert not saved(oci, cid).get("restart_count")
        oci.rt.delete(cid).check()


def test_delete_during_backoff_cancels_the_restart(oci, services_dir):
    cid = oci.new_id()
    config = policy_config(oci, ["sh", "-c", "cat /proc/uptime >> /out/starts; exit 1"], "always")
    oci.rt.create_started(cid, oci.bundle(config))
    # After a few quick failures the backoff is long enough to catch it waiting.
    wait_saved(oci, cid, lambda s: (s.get("restart_backoff") or 0) >= 0.8 and s.get("restart_next_attempt"),
               what="a restart waiting >= 0.8 s")
    monitor = saved(oci, cid)["monitor_pid"]
    began = time.monotonic()
    oci.rt.delete(cid).check()
    assert time.monotonic() - began < 2.0
    count = len(starts(oci, "starts"))
    time.sleep(2.0)
    assert len(starts(oci, "starts")) == count
    assert not os.path.exists(oci.rt.state_file(cid))
    assert not H.pid_alive(monitor)
    assert not os.listdir(os.path.join(services_dir, os.listdir(services_dir)[0]))


def test_record_follows_the_container(oci, services_dir):
    cid = oci.new_id()
    oci.rt.create(cid, oci.bundle(policy_config(oci, ["sleep", "1000"], "always"))).check()
    path = saved(oci, cid)["service_record"]
    assert path.startswith(services_dir + "/")
    import json
    assert json.load(open(path))["run"] is False
    oci.rt.start(cid).check()
    assert json.load(open(path))["run"] is True
    oci.rt.kill(cid, "KILL").check()
    assert json.load(open(path))["run"] is False
    wait_saved(oci, cid, settled_stopped, what="stopped")
    oci.rt.delete(cid).check()
    assert not os.path.exists(path)


def test_bad_policy_is_refused(oci, services_dir):
    cid = oci.new_id()
    result = oci.rt.create(cid, oci.bundle(policy_config(oci, ["true"], "sometimes")))
    H.assert_fails(result, "org.opencontainer.runtime.restart", "sometimes")
    assert not os.path.exists(oci.rt.state_file(cid))


def test_foreground_run_refuses_a_restart_policy(oci, services_dir):
    cid = oci.new_id()
    result = oci.rt.run(cid, oci.bundle(policy_config(oci, ["true"], "always")))
    H.assert_fails(result, "org.opencontainer.runtime.restart", "--detach")
    assert not os.path.exists(oci.rt.state_file(cid))


def test_restart_helper_does_not_start_what_the_user_stopped_after_its_create(oci, services_dir):
    """The window between the helper's create and its start: the user's stop is recorded (kill
    records it before it signals), so the helper's start refuses and it kills the created init."""
    from runtime.errors import StatusError
    from runtime.lifecycle.intent import request_stop
    from runtime.lifecycle.start import start
    from runtime.services.recreate import _kill_created
    from runtime.state import StateRoot
    cid = oci.new_id()
    oci.rt.create(cid, oci.bundle(policy_config(oci, ["sleep", "1000"], "always"))).check()
    request_stop(StateRoot(oci.rt.root), cid)
    assert saved(oci, cid)["stop_requested"] is True
    with pytest.raises(StatusError):
        start(oci.rt.root, cid, unless_stopped_by_user=True)
    assert oci.rt.state(cid)["status"] == "created"
    _kill_created(StateRoot(oci.rt.root), cid)
    wait_saved(oci, cid, settled_stopped, what="stopped")
    assert oci.rt.state(cid)["status"] == "stopped"
    oci.rt.start(cid)  # a start by the user (not the helper's) is not refused for that reason


def test_signal_zero_is_a_probe_not_a_stop(oci, services_dir):
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(policy_config(oci, ["sleep", "1000"], "always")))
    oci.rt.kill(cid, "0").check()
    assert not saved(oci, cid).get("stop_requested")
