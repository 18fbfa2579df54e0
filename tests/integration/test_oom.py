# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""oom_killed: a container killed by the OOM killer says so (cgroups/oom.py, standalone/monitor.py)."""
from __future__ import absolute_import, division, print_function

import json
import os

import pytest

import itest_helpers as H

pytestmark = pytest.mark.ours

LIMIT = 16 * 1024 * 1024
# busybox sh keeps the command substitution's output in its own memory: 50 MB > LIMIT.
HOG = ["sh", "-c", "x=$(head -c 50000000 /dev/zero | tr '\\0' a); echo survived"]


def _v2_memory_dir():
    """The cgroup2 mount if the memory controller is available there, else None."""
    for mount in H.cgroup_mounts():
        controllers = os.path.join(mount, "cgroup.controllers")
        if os.path.isfile(controllers):
            with open(controllers) as handle:
                if "memory" in handle.read().split():
                    return mount
    return None


def _v1_memory_dir():
    for mount in H.cgroup_mounts():
        if os.path.isfile(os.path.join(mount, "memory.oom_control")):
            return mount
    return None


HIERARCHIES = {
    "v1": (_v1_memory_dir, "memory.oom_control"),
    "v2": (_v2_memory_dir, "memory.events"),
}


def _require(hierarchy):
    finder, _counter = HIERARCHIES[hierarchy]
    if finder() is None:
        pytest.skip("no memory controller in a cgroup %s hierarchy on this host (on a hybrid host it is "
                    "bound to one of them)" % hierarchy)
    if hierarchy == "v2" and _v1_memory_dir() is not None:
        pytest.skip("the memory controller is bound to cgroup v1 here: the runtime counts OOM kills there")


def _limited(oci, args, limit=LIMIT):
    config = oci.config(args)
    config["linux"].setdefault("resources", {})["memory"] = {"limit": limit}
    return config


def _stopped(oci, cid):
    H.wait_for(lambda: oci.rt.state(cid)["status"] == "stopped", 30, what="container stopped")
    return oci.rt.state(cid)


@pytest.mark.parametrize("hierarchy", sorted(HIERARCHIES))
def test_oom_killed_container_says_so(oci, hierarchy):
    _require(hierarchy)
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(_limited(oci, HOG)))
    state = _stopped(oci, cid)
    assert state["oom_killed"] is True, state
    assert state["exit_signal"] == "SIGKILL"
    stored = oci.rt.read_state_file(cid)
    assert stored["oom_killed"] is True
    assert stored["oom_events"]["file"].endswith(HIERARCHIES[hierarchy][1])
    listed = [c for c in json.loads(oci.rt.list("--format", "json").check().stdout) if c["id"] == cid]
    assert listed[0]["oom_killed"] is True
    oci.rt.delete(cid).check()


@pytest.mark.parametrize("hierarchy", sorted(HIERARCHIES))
def test_normal_exit_and_kill_are_not_oom(oci, hierarchy):
    _require(hierarchy)
    done = oci.new_id()
    oci.rt.create_started(done, oci.bundle(_limited(oci, ["true"])))
    assert _stopped(oci, done)["oom_killed"] is False
    killed = oci.new_id()
    oci.rt.create_started(killed, oci.bundle(_limited(oci, ["sleep", "60"])))
    oci.rt.kill(killed, "KILL").check()
    state = _stopped(oci, killed)
    assert state["exit_signal"] == "SIGKILL" and state["oom_killed"] is False
    for cid in (done, killed):
        oci.rt.delete(cid).check()


def test_earlier_oom_kills_in_a_reused_cgroup_do_not_count(oci):
    _require("v1" if _v1_memory_dir() else "v2")
    # A cgroup the test makes is reused by create and left in place at
    # delete: its counter keeps the first container's OOM kill.
    first = oci.config(HOG)
    first["linux"]["resources"] = {"memory": {"limit": LIMIT}}
    path = first["linux"]["cgroupsPath"]
    for mount in H.cgroup_mounts():
        os.makedirs(os.path.join(mount, path.lstrip("/")), exist_ok=True)
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(first))
    assert _stopped(oci, cid)["oom_killed"] is True
    oci.rt.delete(cid).check()
    second = oci.config(["true"])
    second["linux"]["cgroupsPath"] = path
    second["linux"]["resources"] = {"memory": {"limit": LIMIT}}
    again = oci.new_id()
    oci.rt.create_started(again, oci.bundle(second))
    stored = oci.rt.read_state_file(again)
    assert stored["oom_events"]["at_create"] >= 1
    assert _stopped(oci, again)["oom_killed"] is False
    oci.rt.delete(again).check()
    for mount in H.cgroup_mounts():  # the fixture reports cgroups left below the prefix
        directory = os.path.join(mount, path.lstrip("/"))
        if os.path.isdir(directory):
            os.rmdir(directory)
