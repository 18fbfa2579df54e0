# -*- coding: utf-8 -*-
"""create / add_process / pids / destroy bookkeeping, persistence and mounts."""
import json
import os
import sys
import threading

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_cgroups_sim import SimHost  # noqa: E402

from runtime.cgroups.manager import CgroupManager  # noqa: E402
from runtime.errors import CgroupError  # noqa: E402

LEAF = "opencontainer/c1"


def _read(path):
    with open(path) as handle:
        return handle.read().strip()


@pytest.mark.parametrize("mode", ["legacy", "hybrid", "unified"])
def test_create_makes_and_records_every_level(tmp_path, mode):
    host = SimHost(tmp_path, mode)
    mgr = host.manager("c1")
    mgr.create()
    for hierarchy in mgr.hierarchies:
        assert os.path.isdir(mgr.paths[hierarchy.name])
    expected = set()
    for hierarchy in mgr.hierarchies:
        expected.add(os.path.join(hierarchy.mount_point, "opencontainer"))
        expected.add(os.path.join(hierarchy.mount_point, "opencontainer", "c1"))
    assert set(mgr.created) == expected
    assert len(mgr.created) == 2 * len(mgr.hierarchies)


def test_hybrid_creates_in_named_and_unified_hierarchies(tmp_path):
    host = SimHost(tmp_path, "hybrid")
    mgr = host.manager("c1")
    mgr.create()
    assert os.path.isdir(host.path("systemd", LEAF))
    assert os.path.isdir(host.path("unified", LEAF))


def test_existing_dirs_are_reused_and_never_removed(tmp_path):
    host = SimHost(tmp_path, "legacy")
    os.mkdir(host.path("memory", "opencontainer"))           # parent exists
    os.makedirs(host.path("pids", "opencontainer", "c1"))    # leaf exists
    mgr = host.manager("c1")
    mgr.create()
    assert host.path("memory", "opencontainer") not in mgr.created
    assert host.path("memory", LEAF) in mgr.created
    assert host.path("pids", "opencontainer") not in mgr.created
    assert host.path("pids", LEAF) not in mgr.created
    mgr.destroy(timeout=0.5)
    assert os.path.isdir(host.path("memory", "opencontainer"))
    assert not os.path.exists(host.path("memory", LEAF))
    assert os.path.isdir(host.path("pids", LEAF))
    assert not os.path.exists(host.path("cpuset", "opencontainer"))


def test_v1_cpuset_is_copied_from_the_nearest_non_empty_parent(tmp_path):
    host = SimHost(tmp_path, "legacy")
    mgr = host.manager("c1", "/a/b/c1")
    os.mkdir(host.path("cpuset", "a"))
    with open(host.path("cpuset", "a", "cpuset.cpus"), "w") as handle:
        handle.write("1\n")
    with open(host.path("cpuset", "a", "cpuset.mems"), "w") as handle:
        handle.write("")
    mgr.create()
    assert _read(host.path("cpuset", "a", "b", "cpuset.cpus")) == "1"
    assert _read(host.path("cpuset", "a", "b", "c1", "cpuset.cpus")) == "1"
    # the empty pre-existing "a" gets the root's mems, and so do its children
    assert _read(host.path("cpuset", "a", "cpuset.mems")) == "0"
    assert _read(host.path("cpuset", "a", "b", "c1", "cpuset.mems")) == "0"


def test_create_failure_removes_what_it_made(tmp_path):
    host = SimHost(tmp_path, "legacy")
    with open(host.path("pids", "opencontainer"), "w") as handle:
        handle.write("not a directory")
    mgr = host.manager("c1")
    with pytest.raises(CgroupError) as info:
        mgr.create()
    assert "linux.cgroupsPath" in str(info.value)
    assert host.path("pids", "opencontainer") in str(info.value)
    assert mgr.created == []
    assert not os.path.exists(host.path("memory", "opencontainer"))
    assert not os.path.exists(host.path("cpu,cpuacct", "opencontainer"))


def test_state_round_trip_through_json(tmp_path):
    host = SimHost(tmp_path, "hybrid")
    mgr = host.manager("c1", "/x/c1")
    mgr.create()
    data = json.loads(json.dumps(mgr.to_dict()))
    assert data["mode"] == "hybrid"
    assert data["paths"]["unified"] == host.path("unified", "x", "c1")
    again = CgroupManager.from_dict(data, files=host.files)
    assert again.mode == mgr.mode
    assert again.paths == mgr.paths
    assert again.created == mgr.created
    assert again.container_mounts() == mgr.container_mounts()
    again.destroy(timeout=0.5)
    assert not any(os.path.exists(p) for p in mgr.created)


@pytest.mark.parametrize("broken", [{}, {"version": 99}, {"version": 1, "mode": "weird"},
                                    {"version": 1, "mode": "legacy", "hierarchies": 3}])
def test_broken_state_is_a_cgroup_error(broken):
    with pytest.raises(CgroupError):
        CgroupManager.from_dict(broken)


def test_add_process_joins_every_hierarchy(tmp_path):
    host = SimHost(tmp_path, "hybrid")
    mgr = host.manager("c1")
    mgr.create()
    mgr.add_process(1234)
    procs = host.files.written("cgroup.procs")
    assert sorted(p for p, _v in procs) == sorted(
        os.path.relpath(os.path.join(path, "cgroup.procs"), host.mount_root)
        for path in mgr.paths.values())
    assert set(v for _p, v in procs) == {"1234"}
    mgr.add_process(0)  # the caller itself: v1 through tasks (cgroups/membership.py says why)
    assert host.files.written("cgroup.procs")[-1] == (
        os.path.relpath(os.path.join(mgr.paths["unified"], "cgroup.procs"), host.mount_root), "0")
    assert sorted(p for p, v in host.files.written("tasks")) == sorted(
        os.path.relpath(os.path.join(path, "tasks"), host.mount_root)
        for name, path in mgr.paths.items() if name != "unified")


def test_add_process_before_create_fails(tmp_path):
    mgr = SimHost(tmp_path, "legacy").manager("c1")
    with pytest.raises(CgroupError) as info:
        mgr.add_process(5)
    assert "does not exist" in str(info.value)


@pytest.mark.parametrize("mode,hierarchy", [("legacy", "pids"), ("hybrid", "unified"),
                                            ("unified", "")])
def test_pids_are_collected_recursively(tmp_path, mode, hierarchy):
    host = SimHost(tmp_path, mode)
    mgr = host.manager("c1")
    mgr.create()
    mgr.add_process(100)
    leaf = mgr.paths[hierarchy]
    os.mkdir(os.path.join(leaf, "child"))
    with open(os.path.join(leaf, "child", "cgroup.procs"), "w") as handle:
        handle.write("200\n201\n")
    assert mgr.pids() == [100, 200, 201]


def test_pids_of_a_removed_cgroup_is_empty(tmp_path):
    mgr = SimHost(tmp_path, "legacy").manager("c1")
    assert mgr.pids() == []


def test_destroy_removes_container_child_cgroups_and_is_idempotent(tmp_path):
    host = SimHost(tmp_path, "legacy")
    mgr = host.manager("c1")
    mgr.create()
    os.makedirs(host.path("memory", LEAF, "inner", "deeper"))
    mgr.destroy(timeout=0.5)
    assert not os.path.exists(host.path("memory", "opencontainer"))
    assert mgr.created == []
    mgr.destroy(timeout=0.5)


def test_destroy_leaves_a_shared_parent_with_other_containers(tmp_path):
    host = SimHost(tmp_path, "legacy")
    first = host.manager("c1")
    first.create()
    second = host.manager("c2")
    second.create()
    assert host.path("memory", "opencontainer") in first.created
    assert host.path("memory", "opencontainer") not in second.created
    first.destroy(timeout=0.5)
    assert os.path.isdir(host.path("memory", "opencontainer", "c2"))
    assert not os.path.exists(host.path("memory", LEAF))
    second.destroy(timeout=0.5)
    assert not os.path.exists(host.path("memory", "opencontainer", "c2"))


def test_destroy_busy_cgroup_times_out_with_an_error(tmp_path):
    host = SimHost(tmp_path, "legacy")
    mgr = host.manager("c1")
    mgr.create()
    mgr.add_process(77)
    with pytest.raises(CgroupError) as info:
        mgr.destroy(timeout=0.2)
    assert host.path("pids", LEAF) in str(info.value)
    assert "busy" in str(info.value)
    assert host.path("pids", LEAF) in mgr.created  # still there, still ours


def test_destroy_retries_until_processes_are_gone(tmp_path):
    host = SimHost(tmp_path, "unified")
    mgr = host.manager("c1")
    mgr.create()
    mgr.add_process(77)
    procs = host.path(LEAF, "cgroup.procs")

    def exit_later():
        with open(procs, "w") as handle:
            handle.write("")

    timer = threading.Timer(0.2, exit_later)
    timer.start()
    try:
        mgr.destroy(timeout=5.0)
    finally:
        timer.cancel()
    assert not os.path.exists(host.path("opencontainer"))


def test_container_mounts_per_mode(tmp_path):
    os.mkdir(str(tmp_path / "l"))
    legacy = SimHost(tmp_path / "l", "legacy")
    mounts = dict((m["name"], m) for m in legacy.manager("c1").container_mounts())
    assert mounts["cpu,cpuacct"]["options"] == "cpu,cpuacct"
    assert mounts["name=systemd"]["options"] == "none,name=systemd"
    assert mounts["memory"] == {"name": "memory", "fstype": "cgroup", "options": "memory",
                                "host_path": legacy.path("memory", LEAF)}

    os.mkdir(str(tmp_path / "h"))
    hybrid = SimHost(tmp_path / "h", "hybrid")
    mounts = dict((m["name"], m) for m in hybrid.manager("c1").container_mounts())
    assert mounts["unified"]["fstype"] == "cgroup2"
    assert mounts["unified"]["host_path"] == hybrid.path("unified", LEAF)

    os.mkdir(str(tmp_path / "u"))
    unified = SimHost(tmp_path / "u", "unified")
    assert unified.manager("c1").container_mounts() == [
        {"name": "", "fstype": "cgroup2", "options": "", "host_path": unified.path(LEAF)}]
