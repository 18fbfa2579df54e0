# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pause/resume with the cgroup freezer and update of a live container's
limits, through runc's command line, checked in the host's cgroup files."""
from __future__ import absolute_import, division, print_function

import json
import os
import time

import pytest

import itest_helpers as H
from host_features import cgroup2, cgroup2_tree, cgroup_freezer, cgroup_v1, cgroup_v1_file, requires

MIB = 1024 * 1024
COUNTER = "i=0; while true; do i=$((i+1)); echo $i > /out/counter; sleep 0.02; done"


def read(path):
    with open(path) as handle:
        return handle.read().strip()


def counter(oci):
    try:
        return int(read(oci.out_file("counter")) or 0)
    except (IOError, OSError, ValueError):
        return 0  # the shell is rewriting it


def started_counter(oci):
    config = oci.config(["sh", "-c", COUNTER])
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(config))
    H.wait_for(lambda: counter(oci) > 2, what="the counter to advance")
    return cid, config


def stalled(oci, seconds=0.5):
    """True when the counter does not move for ``seconds``."""
    before = counter(oci)
    time.sleep(seconds)
    return counter(oci) == before


@requires(cgroup_freezer())
def test_pause_blocks_progress_and_resume_releases_it(oci):
    cid, config = started_counter(oci)
    oci.rt.cmd("pause", cid).check()
    assert oci.rt.status(cid) == "paused"
    listed = json.loads(oci.rt.list("--format", "json").check().stdout)
    assert [c["status"] for c in listed if c["id"] == cid] == ["paused"]
    time.sleep(0.1)
    assert stalled(oci), "the counter advanced while paused"
    if os.path.isdir(oci.cgroup_dir(config, "freezer")):
        assert read(oci.cgroup_dir(config, "freezer") + "/freezer.state") == "FROZEN"
    oci.rt.cmd("resume", cid).check()
    assert oci.rt.status(cid) == "running"
    before = counter(oci)
    H.wait_for(lambda: counter(oci) > before + 2, what="the counter to advance after resume")


@pytest.mark.ours
@requires(cgroup_freezer())
def test_paused_status_in_state_file(oci):
    cid, dummy = started_counter(oci)
    oci.rt.cmd("pause", cid).check()
    assert oci.rt.read_state_file(cid)["status"] == "paused"
    oci.rt.cmd("resume", cid).check()
    assert oci.rt.read_state_file(cid)["status"] == "running"


@pytest.mark.ours
def test_pause_refuses_created_container(oci):
    # runc 1.1 freezes a created container too; here only a running one
    # can be paused, so "paused" always resumes to "running".
    config = oci.config(["sleep", "30"])
    cid = oci.new_id()
    oci.rt.create(cid, oci.bundle(config)).check()
    H.assert_fails(oci.rt.cmd("pause", cid), cid)
    assert oci.rt.status(cid) == "created"


@requires(cgroup_freezer())
def test_pause_and_resume_refuse_wrong_status(oci):
    config = oci.config(["sleep", "30"])
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(config))
    H.assert_fails(oci.rt.cmd("resume", cid), cid)       # running, not paused
    oci.rt.cmd("pause", cid).check()
    H.assert_fails(oci.rt.cmd("pause", cid), cid)        # already paused
    H.assert_fails(oci.rt.start(cid), cid)
    H.assert_fails(oci.rt.delete(cid), cid)              # paused needs --force
    assert oci.rt.status(cid) == "paused"


@requires(cgroup_freezer())
def test_kill_paused_container(oci):
    cid, dummy = started_counter(oci)
    pid = oci.rt.state(cid)["pid"]
    oci.rt.cmd("pause", cid).check()
    oci.rt.kill(cid, "KILL").check()
    H.wait_for(lambda: not H.pid_alive(pid), what="the paused init to die")
    oci.rt.wait_status(cid, "stopped")
    oci.rt.delete(cid).check()


@requires(cgroup_freezer())
def test_delete_force_paused_container(oci):
    config = oci.config(["sh", "-c", "sleep 30 & sleep 30 & wait"])
    H.remove_namespace(config, "pid")  # children outlive init: all must be killed
    cid = oci.new_id()
    pid = oci.rt.create_started(cid, oci.bundle(config))["pid"]
    oci.rt.cmd("pause", cid).check()
    oci.rt.delete(cid, force=True).check()
    assert not H.pid_alive(pid)
    assert H.cgroup_dirs_under(config["linux"]["cgroupsPath"]) == {}
    assert oci.rt.state_result(cid).returncode != 0


@requires(cgroup_v1("memory", "pids"), cgroup_v1_file("cpu", "cpu.cfs_quota_us", why=" (CONFIG_CFS_BANDWIDTH off)"))
def test_update_memory_pids_cpu(oci):
    config = oci.config(["sleep", "30"])
    config["linux"]["resources"]["memory"] = {"limit": 64 * MIB}
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(config))
    oci.rt.cmd("update", "--memory", "128m", "--pids-limit", "50", "--cpu-quota", "20000",
               "--cpu-period", "100000", cid).check()
    assert int(read(oci.cgroup_dir(config, "memory") + "/memory.limit_in_bytes")) == 128 * MIB
    assert read(oci.cgroup_dir(config, "pids") + "/pids.max") == "50"
    assert read(oci.cgroup_dir(config, "cpu") + "/cpu.cfs_quota_us") == "20000"
    assert read(oci.cgroup_dir(config, "cpu") + "/cpu.cfs_period_us") == "100000"


@pytest.mark.ours
@requires(cgroup_v1("memory"))
def test_update_persisted_in_state_file(oci):
    config = oci.config(["sleep", "30"])
    config["linux"]["resources"]["memory"] = {"limit": 64 * MIB, "reservation": 32 * MIB}
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(config))
    oci.rt.cmd("update", "--memory", "96M", "--pids-limit", "40", cid).check()
    resources = oci.rt.read_state_file(cid)["config"]["linux"]["resources"]
    assert resources["memory"] == {"limit": 96 * MIB, "reservation": 32 * MIB}
    assert resources["pids"] == {"limit": 40}
    assert resources["devices"] == config["linux"]["resources"]["devices"]


@pytest.mark.ours
@requires(cgroup_v1("memory", "pids"))
def test_invalid_update_changes_nothing(oci):
    config = oci.config(["sleep", "30"])
    config["linux"]["resources"]["memory"] = {"limit": 64 * MIB}
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(config))
    before = oci.rt.read_state_file(cid)
    pids_before = read(oci.cgroup_dir(config, "pids") + "/pids.max")
    H.assert_fails(oci.rt.cmd("update", "--pids-limit", "30", "--memory", "-5", cid),
                   "linux.resources.memory.limit")
    H.assert_fails(oci.rt.cmd("update", "--cpuset-cpus", "zero", cid), "linux.resources.cpu.cpus")
    assert int(read(oci.cgroup_dir(config, "memory") + "/memory.limit_in_bytes")) == 64 * MIB
    assert read(oci.cgroup_dir(config, "pids") + "/pids.max") == pids_before
    assert oci.rt.read_state_file(cid) == before


@requires(cgroup_v1("pids"), cgroup_freezer())
def test_update_paused_container_and_resources_file(oci):
    config = oci.config(["sleep", "30"])
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(config))
    oci.rt.cmd("pause", cid).check()
    oci.rt.cmd("update", "-r", "-", cid, input=json.dumps({"pids": {"limit": 12}})).check()
    assert read(oci.cgroup_dir(config, "pids") + "/pids.max") == "12"
    assert oci.rt.status(cid) == "paused"
    oci.rt.cmd("resume", cid).check()


def test_update_stopped_container_fails(oci):
    config = oci.config(["true"])
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(config))
    oci.rt.wait_status(cid, "stopped")
    H.assert_fails(oci.rt.cmd("update", "--pids-limit", "10", cid), cid)
    H.assert_fails(oci.rt.cmd("pause", cid), cid)


@pytest.mark.ours
@requires(cgroup2("cgroup.freeze", why=" (kernel without the cgroup v2 freezer)"))
def test_v2_freezer_of_a_real_container(oci):
    # The host is hybrid: pause uses the v1 freezer, but the container's
    # processes are also in the cgroup2 tree, whose cgroup.freeze the
    # runtime uses on unified hosts. Drive that path against the kernel.
    from runtime.cgroups import freezer
    from runtime.cgroups.detect import V2
    from runtime.cgroups.files import CgroupFiles
    unified = cgroup2_tree()
    cid, config = started_counter(oci)
    leaf = os.path.join(unified, config["linux"]["cgroupsPath"].lstrip("/"))
    assert os.path.exists(os.path.join(leaf, "cgroup.freeze")), os.listdir(leaf)
    files = CgroupFiles()
    try:
        freezer.set_state(files, V2, leaf, True)
        assert "frozen 1" in read(leaf + "/cgroup.events")
        assert freezer.current_state(files, V2, leaf) == "FROZEN"
        time.sleep(0.1)
        assert stalled(oci), "the counter advanced while frozen"
    finally:
        freezer.set_state(files, V2, leaf, False)
    before = counter(oci)
    H.wait_for(lambda: counter(oci) > before + 2, what="the counter to advance after thawing")
