# -*- coding: utf-8 -*-
"""update(): merge, validation, the live cgroup writes (v2 and v1 simulated) and state.json."""
import errno
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_cgroups_sim import SimHost  # noqa: E402

from runtime.cgroups.manager import CgroupManager  # noqa: E402
from runtime.errors import CgroupError, SpecError, StatusError  # noqa: E402
from runtime.lifecycle import pause as pause_mod  # noqa: E402
from runtime.lifecycle.update import merge_resources, update  # noqa: E402
from runtime.standalone.stateio import proc_stat  # noqa: E402
from runtime.state import StateRoot  # noqa: E402
from runtime.status import PAUSED, live_status, require  # noqa: E402

LEAF = "opencontainer/c1"
MIB = 1 << 20


def read(path):
    with open(path) as handle:
        return handle.read().strip()


@pytest.fixture
def setup(tmp_path, monkeypatch, request):
    """A container "c1" on a simulated host (mode from the test's param), running as this process."""
    mode = getattr(request, "param", "unified")
    host = SimHost(tmp_path, mode)
    mgr = host.manager("c1")
    mgr.create()
    resources = {"memory": {"limit": 64 * MIB}, "cpu": {"quota": 50000, "period": 50000},
                 "pids": {"limit": 100}}
    mgr.apply(resources, default_devices=False)
    del host.files.writes[:]
    original = CgroupManager.from_dict.__func__
    monkeypatch.setattr(CgroupManager, "from_dict", classmethod(
        lambda cls, data, files=None, syscalls=None: original(cls, data, host.files, syscalls)))
    root = StateRoot(str(tmp_path / "state")).ensure()
    root.new_container_dir("c1")
    state = {"ociVersion": "1.2.0", "id": "c1", "status": "running", "pid": os.getpid(),
             "pid_start_time": proc_stat(os.getpid())[1], "bundle": "/b", "annotations": {},
             "cgroup": mgr.to_dict(),
             "config": {"linux": {"resources": resources, "cgroupsPath": "/x"}}}
    root.save(state)
    return host, root


def writes(host):
    return [w for w in host.files.writes if "subtree_control" not in w[0]]


def test_merge_resources():
    current = {"memory": {"limit": 1, "swap": 2}, "devices": [{"allow": False}], "pids": {"limit": 3}}
    merged = merge_resources(current, {"memory": {"limit": 5}, "devices": [], "cpu": {"cpus": "0"}})
    assert merged == {"memory": {"limit": 5, "swap": 2}, "devices": [], "pids": {"limit": 3},
                      "cpu": {"cpus": "0"}}
    assert current["memory"] == {"limit": 1, "swap": 2}  # not modified


def test_v2_update_memory_and_cpu_partner(setup):
    host, root = setup
    merged = update(root.path, "c1", {"memory": {"limit": 128 * MIB}, "cpu": {"quota": 20000}})
    assert writes(host) == [(LEAF + "/memory.max", str(128 * MIB)),
                            (LEAF + "/cpu.max", "20000 50000")]  # the period is kept
    assert read(host.path(LEAF, "memory.max")) == str(128 * MIB)
    assert merged["cpu"] == {"quota": 20000, "period": 50000}
    saved = root.load("c1")["config"]["linux"]
    assert saved["resources"] == merged and saved["cgroupsPath"] == "/x"
    assert saved["resources"]["pids"] == {"limit": 100}


def test_invalid_update_changes_nothing(setup):
    host, root = setup
    before = root.load("c1")
    with pytest.raises(SpecError, match=r"^linux\.resources\.memory\.limit: must be at least -1"):
        update(root.path, "c1", {"pids": {"limit": 5}, "memory": {"limit": -5}})
    with pytest.raises(SpecError, match=r"^linux\.resources\.pids\.limit: "):
        update(root.path, "c1", {"pids": {"limit": "many"}})
    with pytest.raises(SpecError, match=r"^linux\.resources\.memory\.swap: must be at least"):
        update(root.path, "c1", {"memory": {"swap": 32 * MIB}})
    assert host.files.writes == []
    assert root.load("c1") == before


def test_kernel_refusal_restores_written_values(setup):
    host, root = setup
    before = root.load("c1")
    host.files.fail["memory.max"] = errno.EBUSY
    with pytest.raises(CgroupError, match="linux.resources.memory.limit"):
        update(root.path, "c1", {"pids": {"limit": 7}, "memory": {"limit": 1 * MIB}})
    assert read(host.path(LEAF, "pids.max")) == "100"
    assert root.load("c1") == before


@pytest.mark.parametrize("setup", ["hybrid"], indirect=True)
def test_v1_memory_update(setup):
    host, root = setup
    update(root.path, "c1", {"memory": {"limit": 96 * MIB, "swap": 200 * MIB}})
    mem = host.path("memory", LEAF)
    assert read(os.path.join(mem, "memory.limit_in_bytes")) == str(96 * MIB)
    assert read(os.path.join(mem, "memory.memsw.limit_in_bytes")) == str(200 * MIB)


def test_update_refused_when_stopped(setup):
    host, root = setup
    state = root.load("c1")
    state["status"] = "stopped"
    root.save(state)
    with pytest.raises(StatusError, match="cannot update container c1: it is stopped"):
        update(root.path, "c1", {"pids": {"limit": 5}})


def test_check_before_update(setup):
    host, root = setup
    with open(host.path(LEAF, "memory.current"), "w") as handle:
        handle.write("%d\n" % (10 * MIB))
    with pytest.raises(SpecError, match="below the container's current memory usage"):
        update(root.path, "c1", {"memory": {"limit": 5 * MIB, "checkBeforeUpdate": True}})
    update(root.path, "c1", {"memory": {"limit": 20 * MIB, "checkBeforeUpdate": True}})


def test_pause_resume_records_status(setup):
    host, root = setup
    leaf = host.path(LEAF)
    for name, content in (("cgroup.freeze", "0"), ("cgroup.events", "frozen 0\n")):
        with open(os.path.join(leaf, name), "w") as handle:
            handle.write(content)
    real_write = host.files.write

    def kernel(path, value):  # cgroup.events answers cgroup.freeze
        real_write(path, value)
        if path.endswith("cgroup.freeze"):
            with open(os.path.join(leaf, "cgroup.events"), "w") as handle:
                handle.write("frozen %s\n" % value)
    host.files.write = kernel
    pause_mod.pause(root.path, "c1")
    assert root.load("c1")["status"] == "paused"
    assert live_status(root.load("c1")) == PAUSED
    with pytest.raises(StatusError, match="cannot pause container c1: it is paused"):
        pause_mod.pause(root.path, "c1")
    update(root.path, "c1", {"pids": {"limit": 3}})  # allowed while paused
    pause_mod.resume(root.path, "c1")
    assert root.load("c1")["status"] == "running"
    with pytest.raises(StatusError, match="cannot resume container c1: it is running"):
        pause_mod.resume(root.path, "c1")


def test_status_rules_for_paused():
    for verb in ("kill", "delete --force", "update", "stats", "resume"):
        require(verb, "c", PAUSED)
    for verb in ("start", "pause", "delete"):
        with pytest.raises(StatusError):
            require(verb, "c", PAUSED)
    with pytest.raises(StatusError, match="use resume"):
        require("start", "c", PAUSED)
    with pytest.raises(StatusError, match="--force"):
        require("delete", "c", PAUSED)
    for status in ("created", "stopped"):
        with pytest.raises(StatusError):
            require("pause", "c", status)
