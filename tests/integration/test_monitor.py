# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exit capture by our monitor process, pid-reuse safety and on-stop
handlers.  All of it is our extension: runc keeps no monitor."""
from __future__ import absolute_import, division, print_function

import json
import os
import signal
import subprocess
import threading
import time

import pytest

import itest_helpers as H

pytestmark = pytest.mark.ours

ON_STOP = "org.opencontainer.runtime.on-stop"


def wait_recorded_stop(oci, cid, timeout=10):
    """Poll state.json itself (no CLI call) until the monitor wrote stopped."""
    def stopped():
        saved = oci.rt.read_state_file(cid)
        return saved if saved.get("status") == "stopped" else None
    return H.wait_for(stopped, timeout, what="state.json of %s to say stopped" % cid)


def test_exit_code_recorded_without_cli(oci):
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(oci.config(["sh", "-c", "exit 7"])))
    saved = wait_recorded_stop(oci, cid)
    assert saved["exit_code"] == 7
    assert saved["exit_signal"] is None
    assert saved["finished"]


def test_exit_zero_recorded(oci):
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(oci.config(["true"])))
    saved = wait_recorded_stop(oci, cid)
    assert saved["exit_code"] == 0
    assert saved["exit_signal"] is None


def test_sigkill_recorded(oci):
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(oci.config(["sleep", "30"])))
    saved = oci.rt.read_state_file(cid)
    assert saved["status"] == "running"
    assert saved.get("exit_code") is None
    oci.rt.kill(cid, "KILL").check()
    saved = wait_recorded_stop(oci, cid)
    assert saved["exit_signal"] == "SIGKILL"
    assert saved["finished"]


def test_monitor_is_small_and_goes_away(oci):
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(oci.config(["sleep", "30"])))
    monitor = oci.rt.read_state_file(cid)["monitor_pid"]
    assert isinstance(monitor, int) and H.pid_alive(monitor)
    assert monitor != oci.rt.state(cid)["pid"]
    rss = H.proc_status_field(monitor, "RssAnon")
    kilobytes = int(rss.split()[0])
    assert kilobytes <= 4096, "monitor RssAnon is %s" % rss
    started = H.process_start_time(monitor)
    oci.rt.delete(cid, force=True).check()
    H.wait_for(lambda: not (H.process_start_time(monitor) == started and H.pid_alive(monitor)),
               timeout=5, what="monitor %d to exit" % monitor)


def test_monitor_of_created_container_goes_away_on_delete(oci):
    cid = oci.new_id()
    oci.rt.create(cid, oci.bundle(oci.config(["sleep", "30"]))).check()
    monitor = oci.rt.read_state_file(cid)["monitor_pid"]
    started = H.process_start_time(monitor)
    assert H.pid_alive(monitor)
    oci.rt.delete(cid, force=True).check()
    H.wait_for(lambda: not (H.process_start_time(monitor) == started and H.pid_alive(monitor)),
               timeout=5, what="monitor %d to exit" % monitor)


def test_reused_pid_not_mistaken_for_container(oci):
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(oci.config(["sleep", "30"])))
    saved = oci.rt.read_state_file(cid)
    monitor, container_pid = saved["monitor_pid"], saved["pid"]
    stranger = subprocess.Popen(["sleep", "30"])
    os.kill(monitor, signal.SIGSTOP)  # so it cannot record the exit below
    try:
        os.kill(container_pid, signal.SIGKILL)
        H.wait_for(lambda: not H.pid_alive(container_pid), what="container process to die")
        path = oci.rt.state_file(cid)
        with open(path) as handle:
            edited = json.load(handle)
        edited["pid"] = stranger.pid  # a live process that is not the container
        with open(path, "w") as handle:
            json.dump(edited, handle)
        assert oci.rt.state(cid)["status"] == "stopped"
        H.assert_fails(oci.rt.kill(cid, "KILL"), cid)
        os.kill(monitor, signal.SIGCONT)
        oci.rt.delete(cid, force=True).check()
        time.sleep(0.1)
        assert stranger.poll() is None, "delete killed an unrelated process"
    finally:
        try:
            os.kill(monitor, signal.SIGCONT)
        except OSError:
            pass
        stranger.kill()
        stranger.wait(timeout=5)


def on_stop_config(oci, args, handlers):
    config = oci.config(args)
    config["annotations"] = {ON_STOP: json.dumps(handlers)}
    return config


def test_on_stop_handler_called_once(oci):
    record = oci.out_file("on-stop.json")
    calls = oci.out_file("on-stop.calls")
    handler = {"path": "/bin/busybox",
               "args": ["sh", "-c", 'cat > %s; echo "$MARK" >> %s' % (record, calls)],
               "env": ["MARK=called"], "timeout": 5}
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(on_stop_config(oci, ["sh", "-c", "exit 3"], [handler])))
    state = json.loads(H.wait_file(record))
    assert state["id"] == cid
    assert state["status"] == "stopped"
    time.sleep(0.2)
    oci.rt.delete(cid).check()
    time.sleep(0.1)
    assert H.wait_file(calls) == "called\n"


def test_on_stop_handler_on_kill(oci):
    record = oci.out_file("on-stop.json")
    handler = {"path": "/bin/busybox", "args": ["sh", "-c", "cat > %s" % record]}
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(on_stop_config(oci, ["sleep", "30"], [handler])))
    assert not os.path.exists(record)
    oci.rt.kill(cid, "KILL").check()
    state = json.loads(H.wait_file(record))
    assert state["id"] == cid and state["status"] == "stopped"


def test_a_slow_monitor_still_reports_the_pid_before_the_init_reports_prestart(oci, monkeypatch):
    # The monitor and the init share the socket to create; create reads the
    # monitor's "pid" first. A monitor descheduled right after forking the
    # init (a busy host) must not let the init's "prestart" overtake it.
    from runtime import namespaces
    from runtime.lifecycle.create import create
    leave = namespaces.leave_time_namespace

    def slow_leave(*args, **kwargs):
        time.sleep(0.5)  # in the forked monitor, between forking the init and sending "pid"
        return leave(*args, **kwargs)

    monkeypatch.setattr(namespaces, "leave_time_namespace", slow_leave)
    cid = oci.new_id()
    oci.rt.ids.append(cid)  # the fixture's cleanup deletes it
    state = create(oci.rt.root, cid, oci.bundle(oci.config(["sleep", "1000"], out=False)))
    assert state["status"] == "created"
    assert H.pid_alive(state["pid"])


@pytest.mark.parametrize("command", ["state", "list"])
def test_state_and_list_wait_for_the_monitor_to_record_the_exit(oci, command):
    # Between the init's exit and the monitor's write the pid is a zombie
    # while state.json still says running. A reader must not report
    # "stopped" without the exit code (the CI failure of session 7): with the
    # monitor held by SIGSTOP, state and list wait until it records the exit.
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(oci.config(["sleep", "1000"])))
    monitor = oci.rt.read_state_file(cid)["monitor_pid"]
    os.kill(monitor, signal.SIGSTOP)
    try:
        oci.rt.kill(cid, "KILL").check()
        init = oci.rt.read_state_file(cid)["pid"]
        H.wait_for(lambda: H.proc_status_field(init, "State").startswith("Z"),
                   timeout=5, what="the init to be a zombie under the stopped monitor")
        assert oci.rt.read_state_file(cid)["status"] == "running"
        threading.Timer(0.4, os.kill, (monitor, signal.SIGCONT)).start()
        args = ["state", cid] if command == "state" else ["list", "--format", "json"]
        result = oci.rt.cmd(*args).check()
    finally:
        os.kill(monitor, signal.SIGCONT)
    assert result.duration >= 0.3, "%s answered before the monitor ran: %r" % (command, result)
    reported = json.loads(result.stdout)
    if command == "list":
        reported = [c for c in reported if c["id"] == cid][0]
    assert (reported["status"], reported.get("exit_code"), reported.get("exit_signal")) == ("stopped", 137, "SIGKILL")
