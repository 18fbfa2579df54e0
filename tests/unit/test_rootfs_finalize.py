# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""cgroup mounts, pivot_root and the after-pivot steps, with recorded syscalls."""
import errno
import os

import pytest

from runtime.errors import RootfsError, SyscallError
from runtime.rootfs import mountinfo, paths, pivot, setup
from runtime.rootfs.options import locked_flags
from runtime.syscalls import consts as C
from runtime.syscalls.fake import FakeSyscalls


class Recorder(FakeSyscalls):
    """FakeSyscalls naming fd targets by their path inside ``root``."""

    def __init__(self, root, fail_when=None):
        FakeSyscalls.__init__(self)
        self.root = root
        self.fail_when = fail_when

    def _show(self, path):
        if path and path.startswith("/proc/self/fd/"):
            real = os.readlink(path)
            return "/" if real == self.root else real[len(self.root):]
        return path

    def mount(self, source, target, fstype, flags=0, data=None):
        call = ("mount", self._show(source), self._show(target), fstype, flags, data)
        self.calls.append(call)
        if self.fail_when and self.fail_when(call):
            raise SyscallError("mount", errno.EPERM)
        return 0

    def mounts(self):
        return [c for c in self.calls if c[0] != "openat2"]


@pytest.fixture
def tree(tmp_path, monkeypatch):
    root = tmp_path / "root"
    (root / "proc" / "sys" / "kernel").mkdir(parents=True)
    (root / "proc" / "scsi").mkdir()
    (root / "proc" / "kcore").write_text("secret")
    (root / "sys" / "fs" / "cgroup").mkdir(parents=True)
    info = tmp_path / "mountinfo"
    info.write_text("27 1 254:0 / / rw,relatime master:1 - ext4 /dev/vda rw\n")
    monkeypatch.setattr(mountinfo, "MOUNTINFO_PATH", str(info))
    monkeypatch.setattr(setup, "shares_mount_namespace_with_pid1", lambda: False)
    return str(root)


def test_masked_readonly_root_readonly_and_propagation(tree):
    config = {
        "root": {"path": "rootfs", "readonly": True},
        "linux": {
            "maskedPaths": ["/proc/kcore", "/proc/acpi", "/proc/scsi"],
            "readonlyPaths": ["/proc/sys", "/proc/missing"],
            "rootfsPropagation": "rshared",
        },
    }
    sc = Recorder(tree)
    setup.finalize_in(config, tree, sc)
    sys_locked = locked_flags(os.path.join(tree, "proc", "sys"))
    root_locked = locked_flags(tree)
    assert sc.mounts() == [
        ("mount", "/proc/sys", "/proc/sys", "", C.MS_BIND | C.MS_REC, None),
        ("mount", "", "/proc/sys", "",
         C.MS_BIND | C.MS_REMOUNT | C.MS_RDONLY | C.MS_REC | sys_locked, None),
        ("mount", "/dev/null", "/proc/kcore", "", C.MS_BIND, None),
        ("mount", "tmpfs", "/proc/scsi", "tmpfs", C.MS_RDONLY, None),
        ("mount", "", tree, "", C.MS_BIND | C.MS_REMOUNT | C.MS_RDONLY | root_locked, None),
        ("mount", "", tree, "", C.MS_SHARED | C.MS_REC, None),
    ]


def test_unbindable_lands_on_the_new_root(tree):
    sc = Recorder(tree)
    setup.finalize_in({"linux": {"rootfsPropagation": "unbindable"}}, tree, sc)
    assert sc.mounts() == [("mount", "", tree, "", C.MS_UNBINDABLE, None)]


def test_nothing_to_finalize(tree):
    sc = Recorder(tree)
    setup.finalize_in({"root": {"path": "r"}}, tree, sc)
    assert sc.mounts() == []


def test_finalize_errors_name_the_field(tree):
    sc = Recorder(tree, fail_when=lambda call: call[3] == "tmpfs")
    with pytest.raises(RootfsError) as info:
        paths.mask_paths(["/proc/kcore", "/proc/scsi"], tree, sc)
    assert str(info.value).startswith("linux.maskedPaths[1] /proc/scsi: ")


def test_pivot_sequence(tmp_path, monkeypatch):
    monkeypatch.chdir(str(tmp_path))  # pivot_into changes directory; restore afterwards
    sc = FakeSyscalls()
    pivot.pivot_into(str(tmp_path), sc)
    assert sc.calls == [
        ("pivot_root", ".", "."),
        ("mount", "", ".", "", C.MS_SLAVE | C.MS_REC, None),
        ("umount2", ".", C.MNT_DETACH),
    ]
    assert os.getcwd() == "/"


def test_pivot_failure_explains(tmp_path, monkeypatch):
    monkeypatch.chdir(str(tmp_path))
    sc = FakeSyscalls(fail={"pivot_root": errno.EINVAL})
    with pytest.raises(RootfsError) as info:
        pivot.pivot_into(str(tmp_path), sc)
    assert "pivot_root" in str(info.value) and "mount point" in str(info.value)


HIERARCHIES_V1 = [
    {"name": "memory", "fstype": "cgroup", "options": "memory", "host_path": "/h/memory/c1"},
    {"name": "cpu,cpuacct", "fstype": "cgroup", "options": "cpu,cpuacct",
     "host_path": "/h/cpu,cpuacct/c1"},
    {"name": "name=systemd", "fstype": "cgroup", "options": "none,name=systemd",
     "host_path": "/h/systemd/c1"},
    {"name": "unified", "fstype": "cgroup2", "options": "", "host_path": "/h/unified/c1"},
]
CGROUP_MOUNT = {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
                "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}
FLAGS = C.MS_NOSUID | C.MS_NOEXEC | C.MS_NODEV | C.MS_RELATIME | C.MS_RDONLY


def _prepare(root, config, hierarchies):
    sc = Recorder(root)
    setup.prepare_rootfs(config, root, cgroup_mounts=hierarchies, syscalls=sc)
    start = [i for i, c in enumerate(sc.mounts()) if c[2].startswith("/sys/fs/cgroup")][0]
    return [c for c in sc.mounts()[start:] if not c[1].startswith("/dev/")]


def test_cgroup_v1_with_cgroupns_mounts_directly(tree):
    config = {"mounts": [CGROUP_MOUNT],
              "linux": {"namespaces": [{"type": "mount"}, {"type": "cgroup"}]}}
    calls = _prepare(tree, config, HIERARCHIES_V1)
    base = "/sys/fs/cgroup"
    tmpfs_flags = (FLAGS & ~C.MS_RDONLY)
    assert calls[0] == ("mount", "tmpfs", base, "tmpfs", tmpfs_flags, "mode=755")
    assert calls[1:5] == [
        ("mount", "cgroup", base + "/memory", "cgroup", FLAGS, "memory"),
        ("mount", "cgroup", base + "/cpu,cpuacct", "cgroup", FLAGS, "cpu,cpuacct"),
        ("mount", "cgroup", base + "/systemd", "cgroup", FLAGS, "none,name=systemd"),
        ("mount", "cgroup2", base + "/unified", "cgroup2", FLAGS, None),
    ]
    assert calls[5][2] == base and calls[5][4] & (C.MS_BIND | C.MS_REMOUNT | C.MS_RDONLY) == \
        C.MS_BIND | C.MS_REMOUNT | C.MS_RDONLY
    assert len(calls) == 6
    cgroup_dir = os.path.join(tree, "sys", "fs", "cgroup")
    assert os.readlink(os.path.join(cgroup_dir, "cpu")) == "cpu,cpuacct"
    assert os.readlink(os.path.join(cgroup_dir, "cpuacct")) == "cpu,cpuacct"
    assert os.path.isdir(os.path.join(cgroup_dir, "systemd"))


def test_cgroup_v1_without_cgroupns_binds_host_paths(tree, monkeypatch):
    # the fake binds nothing, so give the host paths real directories
    hierarchies = []
    for h in HIERARCHIES_V1[:2]:
        h = dict(h, host_path=os.path.join(tree, "..", "host" + h["host_path"]))
        os.makedirs(h["host_path"])
        hierarchies.append(h)
    config = {"mounts": [CGROUP_MOUNT], "linux": {"namespaces": [{"type": "mount"}]}}
    calls = _prepare(tree, config, hierarchies)
    memory = [c for c in calls if c[2] == "/sys/fs/cgroup/memory"]
    assert memory[0] == ("mount", hierarchies[0]["host_path"], "/sys/fs/cgroup/memory", "",
                         C.MS_BIND | C.MS_REC, None)
    assert memory[1][4] & (C.MS_BIND | C.MS_REMOUNT | FLAGS) == C.MS_BIND | C.MS_REMOUNT | FLAGS


def test_cgroup_v2_only_is_one_mount(tree):
    config = {"mounts": [dict(CGROUP_MOUNT, options=["nosuid", "ro"])],
              "linux": {"namespaces": [{"type": "cgroup"}]}}
    calls = _prepare(tree, config, [{"name": "", "fstype": "cgroup2", "options": "",
                                     "host_path": "/sys/fs/cgroup/c1"}])
    assert calls == [("mount", "cgroup2", "/sys/fs/cgroup", "cgroup2",
                      C.MS_NOSUID | C.MS_RDONLY, None)]


def test_cgroup_without_hierarchies_fails(tree):
    config = {"mounts": [CGROUP_MOUNT]}
    with pytest.raises(RootfsError) as info:
        setup.prepare_rootfs(config, tree, syscalls=Recorder(tree))
    assert "mounts[0] /sys/fs/cgroup" in str(info.value) and "cgroup_mounts" in str(info.value)
