# -*- coding: utf-8 -*-
"""The cgroup freezer (v1 freezer.state, v2 cgroup.freeze/cgroup.events) on simulated cgroupfs."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_cgroups_sim import SimFiles, SimHost  # noqa: E402

from runtime.cgroups import freezer  # noqa: E402
from runtime.errors import CgroupError, UnsupportedError  # noqa: E402

LEAF = "opencontainer/c1"


class FreezerFiles(SimFiles):
    """The kernel's answers: v2 cgroup.events follows cgroup.freeze; v1 freezer.state
    reads FREEZING ``stall`` times before FROZEN."""

    stall = 0

    def write(self, path, value):
        SimFiles.write(self, path, value)
        name = os.path.basename(path)
        directory = os.path.dirname(path)
        if name == "cgroup.freeze":
            with open(os.path.join(directory, "cgroup.events"), "w") as handle:
                handle.write("populated 1\nfrozen %s\n" % value.strip())
        if name == "freezer.state" and value == "FROZEN" and self.stall:
            self.stall -= 1
            with open(path, "w") as handle:
                handle.write("FREEZING\n")


def host_manager(tmp_path, mode):
    host = SimHost(tmp_path, mode)
    files = FreezerFiles(host.files.mount_root, host.files.v2_roots)
    host.files = files
    mgr = host.manager("c1")
    mgr.create()
    for hierarchy in mgr.hierarchies:
        if hierarchy.is_v2:
            leaf = os.path.join(hierarchy.mount_point, LEAF)
            for name, content in (("cgroup.freeze", "0\n"), ("cgroup.events", "populated 1\nfrozen 0\n")):
                with open(os.path.join(leaf, name), "w") as handle:
                    handle.write(content)
    del files.writes[:]
    return host, mgr


def test_v1_freeze_and_thaw(tmp_path):
    host, mgr = host_manager(tmp_path, "hybrid")
    mgr.freeze()
    assert host.files.writes == [("freezer/%s/freezer.state" % LEAF, "FROZEN")]
    assert mgr.freezer_state() == "FROZEN"
    mgr.thaw()
    assert mgr.freezer_state() == "THAWED"


def test_v2_freeze_waits_for_events(tmp_path):
    host, mgr = host_manager(tmp_path, "unified")
    mgr.freeze()
    assert host.files.writes == [(LEAF + "/cgroup.freeze", "1")]
    assert mgr.freezer_state() == "FROZEN"
    mgr.thaw()
    assert host.files.writes[-1] == (LEAF + "/cgroup.freeze", "0")
    assert mgr.freezer_state() == "THAWED"


def test_v1_freezing_is_retried(tmp_path):
    host, mgr = host_manager(tmp_path, "legacy")
    host.files.stall = 2
    clock = [0.0]

    def sleep(seconds):
        clock[0] += 0.05

    flavor, directory = mgr._freezer()
    freezer.set_state(host.files, flavor, directory, True, 5.0, sleep, lambda: clock[0])
    assert [v for _p, v in host.files.writes] == ["FROZEN", "FROZEN", "FROZEN"]
    assert mgr.freezer_state() == "FROZEN"


def test_freeze_that_never_completes_is_undone(tmp_path):
    host, mgr = host_manager(tmp_path, "unified")
    leaf = host.path(LEAF)

    class Stuck(FreezerFiles):
        def write(self, path, value):
            SimFiles.write(self, path, value)  # cgroup.events never says frozen 1

    stuck = Stuck(host.files.mount_root, host.files.v2_roots)
    clock = [0.0]

    def sleep(seconds):
        clock[0] += 0.5

    with pytest.raises(CgroupError, match="freezing cgroup .* did not complete"):
        freezer.set_state(stuck, "v2", leaf, True, 2.0, sleep, lambda: clock[0])
    assert [v for _p, v in stuck.writes] == ["1", "0"]  # thawed again


def test_v2_without_freeze_file(tmp_path):
    host, mgr = host_manager(tmp_path, "unified")
    os.unlink(host.path(LEAF, "cgroup.freeze"))
    with pytest.raises(UnsupportedError, match="cgroup.freeze"):
        mgr.freeze()


def test_host_without_freezer(tmp_path):
    host, mgr = host_manager(tmp_path, "legacy")
    mgr.hierarchies = [h for h in mgr.hierarchies if "freezer" not in h.controllers]
    with pytest.raises(UnsupportedError, match="no cgroup freezer"):
        mgr.freeze()


# -- create into a frozen cgroup (CgroupManager.require_thawed) ------------------
def _frozen_dir(host, mode, relative, how):
    """Make ``relative`` in the freezer hierarchy of ``mode`` and freeze it (``how``: v1 state or v2 key)."""
    if mode == "unified":
        root = host.mount_root
    elif how.startswith("v2"):
        root = os.path.join(host.mount_root, "unified")
    else:
        root = os.path.join(host.mount_root, "freezer")
    directory = os.path.join(root, relative)
    os.makedirs(directory)
    files = {"v1-FROZEN": {"freezer.state": "FROZEN\n"}, "v1-FREEZING": {"freezer.state": "FREEZING\n"},
             "v2-freeze": {"cgroup.freeze": "1\n", "cgroup.events": "populated 0\nfrozen 0\n"},
             "v2-events": {"cgroup.freeze": "0\n", "cgroup.events": "populated 0\nfrozen 1\n"}}[how]
    for name, content in files.items():
        with open(os.path.join(directory, name), "w") as handle:
            handle.write(content)
    return directory


@pytest.mark.parametrize("mode,how", [
    ("legacy", "v1-FROZEN"), ("legacy", "v1-FREEZING"), ("hybrid", "v1-FROZEN"),
    ("hybrid", "v2-freeze"), ("hybrid", "v2-events"), ("unified", "v2-freeze"), ("unified", "v2-events")])
@pytest.mark.parametrize("relative", ["opencontainer", LEAF])
def test_require_thawed_names_the_frozen_cgroup(tmp_path, mode, how, relative):
    host = SimHost(tmp_path, mode)
    mgr = host.manager("c1")
    mgr.require_thawed()  # nothing exists yet: nothing frozen
    directory = _frozen_dir(host, mode, relative, how)
    with pytest.raises(CgroupError) as info:
        mgr.require_thawed()
    message = str(info.value)
    assert message.startswith("linux.cgroupsPath: cgroup %s is frozen (" % directory)
    assert ("echo THAWED > %s/freezer.state" % directory if how.startswith("v1")
            else "echo 0 > %s/cgroup.freeze" % directory) in message
    assert host.files.writes == []  # a check only


def test_require_thawed_accepts_thawed_cgroups(tmp_path):
    host = SimHost(tmp_path, "hybrid")
    mgr = host.manager("c1")
    for relative in ("opencontainer", LEAF):
        directory = os.path.join(host.mount_root, "freezer", relative)
        os.makedirs(directory)
        with open(os.path.join(directory, "freezer.state"), "w") as handle:
            handle.write("THAWED\n")
        v2 = os.path.join(host.mount_root, "unified", relative)
        os.makedirs(v2)
        with open(os.path.join(v2, "cgroup.events"), "w") as handle:
            handle.write("populated 0\nfrozen 0\n")
    mgr.require_thawed()


def test_frozen_reason_without_freezer_files_is_none(tmp_path):
    files = FreezerFiles(str(tmp_path))
    assert freezer.frozen_reason(files, "v1", str(tmp_path)) is None
    assert freezer.frozen_reason(files, "v2", str(tmp_path)) is None
