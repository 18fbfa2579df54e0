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
