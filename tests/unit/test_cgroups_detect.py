# -*- coding: utf-8 -*-
"""Mode detection from mountinfo and resolution of linux.cgroupsPath."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_cgroups_sim import SimHost  # noqa: E402

from runtime.cgroups.files import CgroupFiles  # noqa: E402
from runtime.cgroups.manager import CgroupManager, resolve_cgroups_path  # noqa: E402
from runtime.cgroups import detect  # noqa: E402
from runtime.errors import CgroupError, UnsupportedError  # noqa: E402


@pytest.mark.parametrize("mode", ["legacy", "hybrid", "unified"])
def test_mode_is_detected(tmp_path, mode):
    host = SimHost(tmp_path, mode)
    mgr = host.manager()
    assert mgr.mode == mode


def test_legacy_hierarchies_and_comounted_controllers(tmp_path):
    host = SimHost(tmp_path, "legacy")
    mgr = host.manager("c1")
    names = [h.name for h in mgr.hierarchies]
    assert "cpu,cpuacct" in names and "net_cls,net_prio" in names and "name=systemd" in names
    cpu = next(h for h in mgr.hierarchies if h.name == "cpu,cpuacct")
    assert cpu.controllers == ["cpu", "cpuacct"]
    systemd = next(h for h in mgr.hierarchies if h.name == "name=systemd")
    assert systemd.controllers == [] and systemd.named == "systemd"
    assert not any(h.is_v2 for h in mgr.hierarchies)
    assert mgr.paths["cpu,cpuacct"] == host.path("cpu,cpuacct", "opencontainer", "c1")


def test_hybrid_has_unified_hierarchy_with_its_controllers(tmp_path):
    host = SimHost(tmp_path, "hybrid")
    mgr = host.manager("c1")
    unified = [h for h in mgr.hierarchies if h.is_v2]
    assert len(unified) == 1
    assert unified[0].name == "unified" and unified[0].controllers == ["hugetlb"]
    assert mgr.paths["unified"] == host.path("unified", "opencontainer", "c1")
    assert mgr.paths["cpu"] == host.path("cpu", "opencontainer", "c1")


def test_unified_has_a_single_hierarchy(tmp_path):
    host = SimHost(tmp_path, "unified", ["cpu", "memory", "pids"])
    mgr = host.manager("c1")
    assert [(h.name, h.fstype, h.controllers) for h in mgr.hierarchies] == \
        [("", "cgroup2", ["cpu", "memory", "pids"])]
    assert mgr.paths == {"": host.path("opencontainer", "c1")}


def test_mountinfo_parsing_unescapes_and_skips_optional_fields():
    text = ("36 35 98:0 /mnt1 /mnt/with\\040space rw,noatime master:1 shared:2 - ext3 "
            "/dev/root rw,errors=continue\n"
            "garbage line\n")
    entries = detect.parse_mountinfo(text)
    assert len(entries) == 1
    assert entries[0].mount_point == "/mnt/with space"
    assert entries[0].root == "/mnt1"
    assert entries[0].fstype == "ext3"
    assert entries[0].super_options == "rw,errors=continue"


def test_v1_options_that_are_not_controllers_are_ignored(tmp_path):
    text = ("1 0 0:1 / /cg rw - tmpfs tmpfs rw\n"
            "2 1 0:2 / /cg/cpuset rw - cgroup cgroup rw,cpuset,noprefix,"
            "release_agent=/sbin/x,clone_children\n"
            "3 1 0:3 / /cg/elsewhere/memory rw - cgroup cgroup rw,memory\n")
    mode, hierarchies = detect.detect_hierarchies("/cg", text, CgroupFiles())
    assert mode == detect.LEGACY
    # memory is not directly below the mount root: not ours to use
    assert [(h.name, h.controllers) for h in hierarchies] == [("cpuset", ["cpuset"])]


def test_overmounted_cgroup_is_hidden():
    text = ("1 0 0:1 / /cg rw - tmpfs tmpfs rw\n"
            "2 1 0:2 / /cg/memory rw - cgroup cgroup rw,memory\n"
            "3 1 0:3 / /cg/pids rw - cgroup cgroup rw,pids\n"
            "4 2 0:4 / /cg/memory rw - tmpfs tmpfs rw\n")
    _mode, hierarchies = detect.detect_hierarchies("/cg", text, CgroupFiles())
    assert [h.name for h in hierarchies] == ["pids"]


def test_no_cgroups_is_unsupported():
    with pytest.raises(UnsupportedError) as info:
        detect.detect_hierarchies("/cg", "1 0 0:1 / /cg rw - tmpfs tmpfs rw\n",
                                  CgroupFiles())
    assert "/cg" in str(info.value)


def test_named_hierarchy_mount_options():
    assert detect.Hierarchy("name=systemd", "cgroup", "/x", [], "systemd").mount_options() \
        == "none,name=systemd"
    assert detect.Hierarchy("cpu,cpuacct", "cgroup", "/x", ["cpu", "cpuacct"]).mount_options() \
        == "cpu,cpuacct"
    assert detect.Hierarchy("", "cgroup2", "/x", ["cpu"]).mount_options() == ""


@pytest.mark.parametrize("given,expected", [
    (None, "opencontainer/abc"),
    ("", "opencontainer/abc"),
    ("/machine/abc", "machine/abc"),
    ("machine/abc", "machine/abc"),
    ("//a/./b/", "a/b"),
])
def test_cgroups_path_resolution(given, expected):
    assert resolve_cgroups_path("abc", given) == expected


@pytest.mark.parametrize("given", ["/a/../b", "../x", "/a/.."])
def test_dotdot_is_rejected_naming_the_field(given):
    with pytest.raises(CgroupError) as info:
        resolve_cgroups_path("abc", given)
    assert "linux.cgroupsPath" in str(info.value) and ".." in str(info.value)


def test_root_path_is_rejected():
    with pytest.raises(CgroupError) as info:
        resolve_cgroups_path("abc", "/")
    assert "linux.cgroupsPath" in str(info.value)


def test_systemd_path_is_unsupported():
    with pytest.raises(UnsupportedError) as info:
        resolve_cgroups_path("abc", "system.slice:docker:abc")
    assert "linux.cgroupsPath" in str(info.value) and "systemd" in str(info.value)


def test_plan_reads_host_mountinfo_when_not_given(monkeypatch, tmp_path):
    host = SimHost(tmp_path, "hybrid")
    monkeypatch.setattr(detect, "read_host_mountinfo", lambda: host.mountinfo)
    mgr = CgroupManager.plan("x", None, mount_root=host.mount_root, files=host.files)
    assert mgr.mode == "hybrid"


def test_default_path_refuses_an_unsafe_id():
    from runtime.errors import InvalidIDError
    with pytest.raises(InvalidIDError):
        resolve_cgroups_path("../../escape", None)
