# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""config-linux.md "Control groups": cgroupsPath and resources, checked in
the host's cgroup v1 files, plus kill --all and removal at delete."""
from __future__ import absolute_import, division, print_function

import os

import pytest

import itest_helpers as H
from host_features import cgroup2_tree, cgroup_v1, cgroup_v1_file, procs_cgroup_dir, requires

MIB = 1024 * 1024
V1_CONTROLLERS = ["cpu", "cpuset", "memory", "devices", "freezer", "blkio", "pids"]


def read(path):
    with open(path) as handle:
        return handle.read().strip()


def started(oci, config):
    cid = oci.new_id()
    state = oci.rt.create_started(cid, oci.bundle(config))
    return cid, state["pid"]


def test_process_joins_cgroups_path(oci):
    # The v1 hierarchies this host has (none on a cgroup2-only host).
    v1_here = [c for c in V1_CONTROLLERS if cgroup_v1(c).missing() is None]
    config = oci.config(["sleep", "30"])
    cid, pid = started(oci, config)
    for controller in v1_here:
        assert pid in H.cgroup_procs(oci.cgroup_dir(config, controller)), controller
    # Every hierarchy, cgroup2's included: the init is born there (cgroups/membership.py).
    assert_in_cgroups_path(pid, config)


def assert_in_cgroups_path(pid, config):
    with open("/proc/%d/cgroup" % pid) as handle:
        lines = handle.read().splitlines()
    assert lines and all(line.split(":", 2)[2] == config["linux"]["cgroupsPath"] for line in lines), lines


@pytest.mark.ours
def test_the_init_joins_every_cgroup_also_without_clone_into_cgroup(oci, monkeypatch):
    # A kernel before 5.7: a plain fork, and the init writes to every cgroup itself.
    from runtime.cgroups import membership
    from runtime.lifecycle.create import create
    monkeypatch.setattr(membership, "_CLONE_INTO_CGROUP", [])
    config = oci.config(["sleep", "30"], out=False)
    cid = oci.new_id()
    oci.rt.ids.append(cid)  # the fixture's cleanup deletes it
    state = create(oci.rt.root, cid, oci.bundle(config))
    assert_in_cgroups_path(state["pid"], config)


@requires(cgroup_v1("memory"))
def test_memory_limits(oci):
    config = oci.config(["sleep", "30"])
    config["linux"]["resources"]["memory"] = {"limit": 64 * MIB, "reservation": 32 * MIB}
    started(oci, config)
    base = oci.cgroup_dir(config, "memory")
    assert int(read(base + "/memory.limit_in_bytes")) == 64 * MIB
    assert int(read(base + "/memory.soft_limit_in_bytes")) == 32 * MIB


@requires(cgroup_v1_file("memory", "memory.memsw.limit_in_bytes", why=" (no swap accounting)"))
def test_memory_swap_limit(oci):
    config = oci.config(["sleep", "30"])
    config["linux"]["resources"]["memory"] = {"limit": 64 * MIB, "swap": 96 * MIB}
    started(oci, config)
    base = oci.cgroup_dir(config, "memory")
    assert int(read(base + "/memory.memsw.limit_in_bytes")) == 96 * MIB


@requires(cgroup_v1("pids"))
def test_pids_limit_file_and_enforced(oci):
    config = oci.config(["sh", "-c", "for i in 1 2 3 4 5 6 7 8; do sleep 30 & done; wait"])
    config["linux"]["resources"]["pids"] = {"limit": 4}
    cid, dummy = started(oci, config)
    base = oci.cgroup_dir(config, "pids")
    assert read(base + "/pids.max") == "4"
    # busybox sh gives up at the first failed fork and the container stops.
    oci.rt.wait_status(cid, "stopped")
    events = dict(line.split() for line in read(base + "/pids.events").splitlines())
    assert int(events["max"]) >= 1
    assert "fork" in read(oci.rt.output_path(cid, "stderr"))


@requires(cgroup_v1_file("cpu", "cpu.cfs_quota_us", why=" (CONFIG_CFS_BANDWIDTH off)"))
def test_cpu_shares_and_quota(oci):
    config = oci.config(["sleep", "30"])
    config["linux"]["resources"]["cpu"] = {"shares": 512, "quota": 50000, "period": 100000}
    started(oci, config)
    base = oci.cgroup_dir(config, "cpu")
    assert read(base + "/cpu.shares") == "512"
    assert read(base + "/cpu.cfs_quota_us") == "50000"
    assert read(base + "/cpu.cfs_period_us") == "100000"


@requires(cgroup_v1("cpuset"))
def test_cpuset(oci):
    config = oci.config(["sh", "-c", "grep Cpus_allowed_list /proc/self/status; sleep 30"])
    config["linux"]["resources"]["cpu"] = {"cpus": "0", "mems": "0"}
    cid, pid = started(oci, config)
    base = oci.cgroup_dir(config, "cpuset")
    assert read(base + "/cpuset.cpus") == "0"
    assert read(base + "/cpuset.mems") == "0"
    assert H.proc_status_field(pid, "Cpus_allowed_list") == "0"


# Checked in a probe cgroup before the container exists: BFQ's blkio.bfq.weight
# is not in the root cgroup, and appears only while the bfq module is loaded.
@requires(cgroup_v1_file("blkio", "blkio.weight", "blkio.bfq.weight", why=" (neither CFQ nor BFQ)"))
def test_blkio_weight(oci):
    config = oci.config(["sleep", "30"])
    config["linux"]["resources"]["blockIO"] = {"weight": 300}
    started(oci, config)
    base = oci.cgroup_dir(config, "blkio")
    names = [name for name in ("blkio.weight", "blkio.bfq.weight") if os.path.exists(os.path.join(base, name))]
    assert names, "the probe cgroup had a weight file, the container's has none: %s" % os.listdir(base)
    value = read(os.path.join(base, names[0]))
    # bfq prints "default 300"
    assert value.split()[-1] == "300", (names[0], value)


def test_cgroups_removed_at_delete(oci):
    config = oci.config(["sleep", "30"])
    config["linux"]["resources"]["pids"] = {"limit": 50}
    cid, dummy = started(oci, config)
    path = config["linux"]["cgroupsPath"]
    present = H.cgroup_dirs_under(path)
    if cgroup_v1("memory").missing() is None:
        assert os.path.join(H.CGROUP_ROOT, "memory", path.lstrip("/")) in present
    if cgroup2_tree():
        assert os.path.join(cgroup2_tree(), path.lstrip("/")) in present
    oci.rt.delete(cid, force=True).check()
    assert H.cgroup_dirs_under(path) == {}


def test_cgroups_removed_after_normal_exit_and_delete(oci):
    config = oci.config(["true"])
    cid, dummy = started(oci, config)
    oci.rt.wait_status(cid, "stopped")
    oci.rt.delete(cid).check()
    assert H.cgroup_dirs_under(config["linux"]["cgroupsPath"]) == {}


def test_kill_all_reaches_every_process(oci):
    # Without a private pid namespace killing init does not kill the rest:
    # --all must signal every process of the container's cgroup.
    config = oci.config(["sh", "-c", "sleep 30 & sleep 30 & echo ready > /out/ready; wait"])
    H.remove_namespace(config, "pid")
    cid, dummy = started(oci, config)
    H.wait_file(oci.out_file("ready"))
    pids = H.cgroup_procs(procs_cgroup_dir(config["linux"]["cgroupsPath"]))
    assert len(pids) == 3, pids
    oci.rt.kill(cid, "KILL", all_processes=True).check()
    H.wait_for(lambda: not any(H.pid_alive(p) for p in pids), what="every process to die")
    oci.rt.wait_status(cid, "stopped")


def test_kill_without_all_leaves_children_without_pid_ns(oci):
    # The contrast to --all: a plain kill signals only the init process.
    config = oci.config(["sh", "-c", "sleep 30 & echo $! > /out/child; wait"])
    H.remove_namespace(config, "pid")
    cid, init = started(oci, config)
    child = int(H.wait_file(oci.out_file("child")))
    # /out/child is the pid as seen by the container, the host's pid here.
    oci.rt.kill(cid, "KILL").check()
    H.wait_for(lambda: not H.pid_alive(init), what="init to die")
    assert H.pid_alive(child)


def test_delete_kills_leftovers_without_pid_ns(oci):
    # With the host's pid namespace the init's children outlive it; delete
    # of the stopped container must still leave no process and no cgroup.
    config = oci.config(["sh", "-c", "sleep 30 & echo $! > /out/child; wait"])
    H.remove_namespace(config, "pid")
    cid, init = started(oci, config)
    child = int(H.wait_file(oci.out_file("child")))
    os.kill(init, 9)
    oci.rt.wait_status(cid, "stopped")
    assert H.pid_alive(child)
    oci.rt.delete(cid).check()
    H.wait_for(lambda: not H.pid_alive(child), timeout=5, what="leftover child to be killed")
    assert H.cgroup_dirs_under(config["linux"]["cgroupsPath"]) == {}


def test_a_cgroup_holding_processes_is_refused(oci):
    # Two containers in one cgroup would share kill --all, pause and delete's
    # cleanup: the second create is refused (runc 1.2 refuses a cgroup with
    # processes; here the first container's claim names it), changes
    # nothing, and the first container and its cgroup are untouched.
    first = oci.config(["sleep", "30"])
    first_id, first_pid = started(oci, first)
    second = oci.config(["sleep", "30"])
    second["linux"]["cgroupsPath"] = first["linux"]["cgroupsPath"]
    second_id = oci.new_id()
    result = oci.rt.create(second_id, oci.bundle(second))
    H.assert_fails(result, "linux.cgroupsPath", first["linux"]["cgroupsPath"], "belongs to container " + first_id,
                   "status running", "of its own")
    assert oci.rt.state_result(second_id).returncode != 0  # no state left
    assert oci.rt.status(first_id) == "running"
    procs_dir = procs_cgroup_dir(first["linux"]["cgroupsPath"])
    assert H.cgroup_procs(procs_dir) == [first_pid]
    oci.rt.delete(first_id, force=True).check()
    # An empty cgroup that already exists is fine: the next container may reuse the path.
    os.makedirs(procs_dir, exist_ok=True)
    third_id, third_pid = started(oci, first)
    assert H.cgroup_procs(procs_dir) == [third_pid]
    oci.rt.delete(third_id, force=True).check()
    # That directory was there before the third create, so its delete leaves it.
    assert os.path.isdir(procs_dir)
    os.rmdir(procs_dir)
