# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""create / start / state / kill / delete as runtime.md's lifecycle says."""
from __future__ import absolute_import, division, print_function

import os

import pytest

import itest_helpers as H


def test_create_start_exit_delete(oci):
    cid = oci.new_id()
    bundle = oci.bundle(oci.config(["sh", "-c", "echo started > /out/marker; sleep 0.3"]))
    oci.rt.create(cid, bundle).check()

    state = oci.rt.state(cid)
    assert state["status"] == "created"
    assert state["id"] == cid
    assert state["pid"] > 0 and H.pid_alive(state["pid"])
    # runtime.md: the user program must not run before start.
    assert not os.path.exists(oci.out_file("marker"))

    oci.rt.start(cid).check()
    assert H.wait_file(oci.out_file("marker")) == "started\n"
    assert oci.rt.status(cid) in ("running", "stopped")
    oci.rt.wait_status(cid, "stopped")

    oci.rt.delete(cid).check()
    H.assert_fails(oci.rt.state_result(cid), cid)
    assert not os.path.exists(os.path.join(oci.rt.root, cid))


def test_running_status_and_pid(oci):
    cid = oci.new_id()
    bundle = oci.bundle(oci.config(["sleep", "30"]))
    state = oci.rt.create_started(cid, bundle)
    assert state["status"] == "running"
    with open("/proc/%d/cmdline" % state["pid"]) as handle:
        assert handle.read().split("\0")[:2] == ["sleep", "30"]


def test_kill_default_sigterm_stops_container(oci):
    cid = oci.new_id()
    script = "trap 'echo term > /out/sig; exit 0' TERM; echo ready > /out/ready; " \
             "while true; do sleep 0.05; done"
    bundle = oci.bundle(oci.config(["sh", "-c", script]))
    oci.rt.create_started(cid, bundle)
    H.wait_file(oci.out_file("ready"))
    oci.rt.kill(cid).check()
    oci.rt.wait_status(cid, "stopped")
    assert H.wait_file(oci.out_file("sig")) == "term\n"


@pytest.mark.parametrize("sig", ["USR1", "SIGUSR1", "10"])
def test_kill_signal_spellings(oci, sig):
    cid = oci.new_id()
    script = "trap 'echo usr1 > /out/sig; exit 0' USR1; echo ready > /out/ready; " \
             "while true; do sleep 0.05; done"
    bundle = oci.bundle(oci.config(["sh", "-c", script]))
    oci.rt.create_started(cid, bundle)
    H.wait_file(oci.out_file("ready"))
    oci.rt.kill(cid, sig).check()
    assert H.wait_file(oci.out_file("sig")) == "usr1\n"
    oci.rt.wait_status(cid, "stopped")


def test_kill_sigkill_created_container(oci):
    cid = oci.new_id()
    bundle = oci.bundle(oci.config(["sleep", "30"]))
    oci.rt.create(cid, bundle).check()
    pid = oci.rt.state(cid)["pid"]
    oci.rt.kill(cid, "KILL").check()
    oci.rt.wait_status(cid, "stopped")
    H.wait_for(lambda: not H.pid_alive(pid), what="init to die")
    oci.rt.delete(cid).check()


def test_delete_force_running(oci):
    cid = oci.new_id()
    bundle = oci.bundle(oci.config(["sleep", "30"]))
    state = oci.rt.create_started(cid, bundle)
    oci.rt.delete(cid, force=True).check()
    assert not oci.rt.state_result(cid).ok
    H.wait_for(lambda: not H.pid_alive(state["pid"]), what="container process to die")


def test_delete_force_created(oci):
    cid = oci.new_id()
    bundle = oci.bundle(oci.config(["sleep", "30"]))
    oci.rt.create(cid, bundle).check()
    pid = oci.rt.state(cid)["pid"]
    oci.rt.delete(cid, force=True).check()
    assert not oci.rt.state_result(cid).ok
    H.wait_for(lambda: not H.pid_alive(pid), what="container process to die")


def test_start_twice_fails(oci):
    cid = oci.new_id()
    bundle = oci.bundle(oci.config(["sleep", "30"]))
    oci.rt.create_started(cid, bundle)
    H.assert_fails(oci.rt.start(cid), cid)
    assert oci.rt.status(cid) == "running"


def test_start_stopped_fails(oci):
    cid = oci.new_id()
    bundle = oci.bundle(oci.config(["true"]))
    oci.rt.create_started(cid, bundle)
    oci.rt.wait_status(cid, "stopped")
    H.assert_fails(oci.rt.start(cid), cid)


def test_create_duplicate_id_fails(oci):
    cid = oci.new_id()
    bundle = oci.bundle(oci.config(["sleep", "30"]))
    oci.rt.create(cid, bundle).check()
    pid = oci.rt.state(cid)["pid"]
    H.assert_fails(oci.rt.create(cid, oci.bundle(oci.config(["sleep", "30"]))), cid)
    # The first container is untouched.
    state = oci.rt.state(cid)
    assert state["pid"] == pid and state["status"] == "created"
    assert state["bundle"] == bundle


def test_operations_on_unknown_container_fail(oci):
    cid = oci.new_id()
    for args in (["state", cid], ["start", cid], ["kill", cid, "KILL"], ["delete", cid]):
        H.assert_fails(oci.rt.cmd(*args), cid)


def test_delete_force_unknown_container_succeeds(oci):
    # runc: `delete --force` of a missing container is not an error (it makes
    # cleanup scripts idempotent); plain delete is.
    cid = oci.new_id()
    oci.rt.delete(cid, force=True).check()
    H.assert_fails(oci.rt.delete(cid), cid)


def test_many_containers_independent(oci):
    ids = [oci.new_id() for dummy in range(3)]
    for cid in ids:
        oci.rt.create_started(cid, oci.bundle(oci.config(["sleep", "30"])))
    oci.rt.kill(ids[1], "KILL").check()
    oci.rt.wait_status(ids[1], "stopped")
    assert oci.rt.status(ids[0]) == "running"
    assert oci.rt.status(ids[2]) == "running"
