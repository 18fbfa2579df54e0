# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""prepare_rootfs with recorded syscalls in a temporary rootfs (no root needed).

The recorder shows "/proc/self/fd/N" targets as the in-rootfs path they name,
so the tests can state which directory each mount(2) went to.
"""
import errno
import os
import stat

import pytest

from runtime.errors import RootfsError, SyscallError, UnsupportedError
from runtime.rootfs import devices, mountinfo, setup
from runtime.rootfs.options import locked_flags
from runtime.syscalls import consts as C
from runtime.syscalls.fake import FakeSyscalls


class Recorder(FakeSyscalls):
    """FakeSyscalls naming fd targets by their path inside ``rootfs``."""

    def __init__(self, rootfs, fail_when=None):
        FakeSyscalls.__init__(self)
        self.rootfs = rootfs
        self.fail_when = fail_when

    def _show(self, path):
        if path and path.startswith("/proc/self/fd/"):
            real = os.readlink(path)
            if real == self.rootfs:
                return "/"
            if real.startswith(self.rootfs + "/"):
                return real[len(self.rootfs):]
            return real
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
def env(tmp_path, monkeypatch):
    """A rootfs, a host dir to bind, a mountinfo whose "/" is shared, mknod recorded."""
    rootfs = tmp_path / "bundle" / "rootfs"
    for d in ("proc", "dev", "sys", "etc"):
        (rootfs / d).mkdir(parents=True)
    os.symlink("/etc", str(rootfs / "hostetc"))
    hostdir = tmp_path / "hostdir"
    hostdir.mkdir()
    (tmp_path / "bundle" / "conf.txt").write_text("x")
    info = tmp_path / "mountinfo"
    info.write_text("27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n")
    monkeypatch.setattr(mountinfo, "MOUNTINFO_PATH", str(info))
    monkeypatch.setattr(setup, "shares_mount_namespace_with_pid1", lambda: False)
    nodes = []

    def fake_mknod(name, mode, device, dir_fd=None):
        nodes.append((name, mode, device))
        os.close(os.open(name, os.O_CREAT | os.O_WRONLY, 0o600, dir_fd=dir_fd))

    monkeypatch.setattr(devices.os, "mknod", fake_mknod)
    return {"rootfs": str(rootfs), "hostdir": str(hostdir), "nodes": nodes,
            "tmp": tmp_path, "mountinfo": info}


def typical_config(hostdir):
    return {
        "root": {"path": "rootfs"},
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
                         "gid=5"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/data", "type": "bind", "source": hostdir,
             "options": ["rbind", "ro", "rprivate"]},
        ],
        "linux": {"namespaces": [{"type": "mount"}]},
    }


def test_typical_config_call_sequence(env):
    sc = Recorder(env["rootfs"])
    setup.prepare_rootfs(typical_config(env["hostdir"]), env["rootfs"], syscalls=sc)
    rootfs = env["rootfs"]
    data_locked = locked_flags(os.path.join(rootfs, "data"))
    assert sc.mounts() == [
        ("mount", "", "/", "", C.MS_SLAVE | C.MS_REC, None),
        ("mount", "", "/", "", C.MS_PRIVATE, None),  # "/" was shared: pivot_root needs private
        ("mount", rootfs, rootfs, "", C.MS_BIND | C.MS_REC, None),
        ("mount", "proc", "/proc", "proc", 0, None),
        ("mount", "tmpfs", "/dev", "tmpfs", C.MS_NOSUID | C.MS_STRICTATIME,
         "mode=755,size=65536k"),
        ("mount", "devpts", "/dev/pts", "devpts", C.MS_NOSUID | C.MS_NOEXEC,
         "newinstance,ptmxmode=0666,mode=0620,gid=5"),
        ("mount", "sysfs", "/sys", "sysfs", C.MS_NOSUID | C.MS_NOEXEC | C.MS_NODEV | C.MS_RDONLY,
         None),
        ("mount", env["hostdir"], "/data", "", C.MS_BIND | C.MS_REC, None),
        ("mount", "", "/data", "", C.MS_BIND | C.MS_REMOUNT | C.MS_RDONLY | data_locked, None),
        ("mount", "", "/data", "", C.MS_PRIVATE | C.MS_REC, None),
    ]
    assert os.path.isdir(os.path.join(rootfs, "data"))
    # default devices, with the spec's numbers and mode 0666
    assert sorted(env["nodes"]) == sorted([
        (name, stat.S_IFCHR | 0o666, os.makedev(major, minor))
        for name, major, minor in devices.DEFAULT_DEVICES])
    dev = os.path.join(rootfs, "dev")
    assert os.readlink(os.path.join(dev, "fd")) == "/proc/self/fd"
    assert os.readlink(os.path.join(dev, "stderr")) == "/proc/self/fd/2"
    assert os.readlink(os.path.join(dev, "ptmx")) == "pts/ptmx"
    if os.path.exists("/proc/kcore"):
        assert os.readlink(os.path.join(dev, "core")) == "/proc/kcore"


def test_propagation_and_private_parent_follow_config(env):
    env["mountinfo"].write_text("27 1 254:0 / / rw,relatime master:1 - ext4 /dev/vda rw\n")
    config = {"mounts": [], "linux": {"rootfsPropagation": "rprivate"}}
    sc = Recorder(env["rootfs"])
    setup.prepare_rootfs(config, env["rootfs"], syscalls=sc)
    assert sc.mounts()[:2] == [
        ("mount", "", "/", "", C.MS_PRIVATE | C.MS_REC, None),
        ("mount", env["rootfs"], env["rootfs"], "", C.MS_BIND | C.MS_REC, None),
    ]


@pytest.mark.parametrize("value,building", [
    (None, C.MS_SLAVE | C.MS_REC),
    ("rslave", C.MS_SLAVE | C.MS_REC),
    ("rprivate", C.MS_PRIVATE | C.MS_REC),
    ("rshared", C.MS_SHARED | C.MS_REC),
    ("shared", C.MS_SHARED),
    # Applied only after pivot_root (finalize_in): an unbindable "/" would make
    # the rootfs bind fail with EINVAL, a non-recursive private or slave one
    # would leave the other copies of shared host mounts peers of the host's.
    ("unbindable", C.MS_SLAVE | C.MS_REC),
    ("runbindable", C.MS_SLAVE | C.MS_REC),
    ("private", C.MS_SLAVE | C.MS_REC),
    ("slave", C.MS_SLAVE | C.MS_REC),
])
def test_root_propagation_while_building(env, value, building):
    config = {"mounts": [], "linux": {"rootfsPropagation": value} if value else {}}
    sc = Recorder(env["rootfs"])
    setup.prepare_rootfs(config, env["rootfs"], syscalls=sc)
    assert sc.mounts()[0] == ("mount", "", "/", "", building, None)
    assert ("mount", env["rootfs"], env["rootfs"], "", C.MS_BIND | C.MS_REC, None) in sc.mounts()
    assert not [call for call in sc.mounts() if call[4] & C.MS_UNBINDABLE]


def test_unknown_root_propagation(env):
    config = {"linux": {"rootfsPropagation": "sideways"}}
    with pytest.raises(UnsupportedError):
        setup.prepare_rootfs(config, env["rootfs"], syscalls=Recorder(env["rootfs"]))


def test_symlink_to_host_etc_lands_inside(env):
    config = {"mounts": [{"destination": "/hostetc", "type": "bind",
                          "source": env["hostdir"], "options": ["bind"]}]}
    sc = Recorder(env["rootfs"])
    setup.prepare_rootfs(config, env["rootfs"], syscalls=sc)
    assert ("mount", env["hostdir"], "/etc", "", C.MS_BIND, None) in sc.mounts()


def test_bind_of_a_file_creates_a_file_and_relative_source_is_bundle_relative(env):
    config = {"root": {"path": "rootfs"},
              "mounts": [{"destination": "/etc/conf.txt", "type": "none",
                          "source": "conf.txt", "options": ["bind"]}]}
    sc = Recorder(env["rootfs"])
    setup.prepare_rootfs(config, env["rootfs"], syscalls=sc)
    source = os.path.join(str(env["tmp"]), "bundle", "conf.txt")
    assert ("mount", source, "/etc/conf.txt", "", C.MS_BIND, None) in sc.mounts()
    assert os.path.isfile(os.path.join(env["rootfs"], "etc", "conf.txt"))


def test_mount_failure_names_index_and_destination(env):
    sc = Recorder(env["rootfs"], fail_when=lambda call: call[3] == "devpts")
    with pytest.raises(RootfsError) as info:
        setup.prepare_rootfs(typical_config(env["hostdir"]), env["rootfs"], syscalls=sc)
    assert str(info.value).startswith("mounts[2] /dev/pts: mount(2) failed: ")
    assert os.strerror(errno.EPERM) in str(info.value)


def test_missing_bind_source(env):
    config = {"mounts": [{"destination": "/x", "type": "bind", "source": "/no/such/src"}]}
    with pytest.raises(RootfsError) as info:
        setup.prepare_rootfs(config, env["rootfs"], syscalls=Recorder(env["rootfs"]))
    assert "mounts[0] /x" in str(info.value) and "/no/such/src" in str(info.value)


def test_sysfs_eperm_falls_back_to_binding_host_sys(env):
    sc = Recorder(env["rootfs"], fail_when=lambda call: call[3] == "sysfs")
    config = {"mounts": [{"destination": "/sys", "type": "sysfs", "source": "sysfs",
                          "options": ["nosuid", "ro"]}]}
    setup.prepare_rootfs(config, env["rootfs"], syscalls=sc)
    calls = sc.mounts()
    assert ("mount", "/sys", "/sys", "", C.MS_BIND | C.MS_REC, None) in calls
    remount = [c for c in calls if c[2] == "/sys" and c[4] & C.MS_REMOUNT]
    assert len(remount) == 1 and remount[0][4] & (C.MS_RDONLY | C.MS_NOSUID) == \
        C.MS_RDONLY | C.MS_NOSUID


@pytest.mark.parametrize("earlier", [[], [{"destination": "/x", "type": "bind", "source": "/tmp"}]])
def test_a_remount_without_bind_only_on_a_file_system_mounted_before(env, earlier):
    """mount(2): a remount without MS_BIND changes the superblock, shared with the host's mounts of it."""
    config = {"mounts": earlier + [{"destination": "/x", "options": ["remount", "ro"]}]}
    sc = Recorder(env["rootfs"])
    with pytest.raises(RootfsError) as info:
        setup.prepare_rootfs(config, env["rootfs"], syscalls=sc)
    assert str(info.value).startswith("mounts[%d] /x: a remount without \"bind\"" % len(earlier))
    assert not [call for call in sc.mounts() if call[4] & C.MS_REMOUNT]


def test_a_remount_of_a_file_system_mounted_before(env):
    config = {"mounts": [{"destination": "/sys", "type": "sysfs", "source": "sysfs"},
                         {"destination": "/sys", "options": ["remount", "ro"]},
                         {"destination": "/etc", "type": "bind", "source": env["hostdir"]},
                         {"destination": "/etc", "source": env["hostdir"], "options": ["bind", "remount", "ro"]}]}
    sc = Recorder(env["rootfs"])
    setup.prepare_rootfs(config, env["rootfs"], syscalls=sc)
    remounts = [call for call in sc.mounts() if call[4] & C.MS_REMOUNT]
    assert [call[2] for call in remounts] == ["/sys", "/etc"]
    assert not remounts[0][4] & C.MS_BIND and remounts[1][4] & C.MS_BIND


def test_idmapped_mounts_are_refused(env):
    config = {"mounts": [{"destination": "/x", "type": "bind", "source": env["hostdir"],
                          "uidMappings": [], "gidMappings": []}]}
    with pytest.raises(UnsupportedError):
        setup.prepare_rootfs(config, env["rootfs"], syscalls=Recorder(env["rootfs"]))


def test_refuses_host_mount_namespace(env, monkeypatch):
    monkeypatch.setattr(setup, "shares_mount_namespace_with_pid1", lambda: True)
    sc = Recorder(env["rootfs"])
    with pytest.raises(RootfsError) as info:
        setup.prepare_rootfs({}, env["rootfs"], syscalls=sc)
    assert "CLONE_NEWNS" in str(info.value)
    assert sc.mounts() == []


def test_linux_devices(env):
    uid, gid = os.getuid(), os.getgid()
    os.makedirs(os.path.join(env["rootfs"], "dev", "old"))
    with open(os.path.join(env["rootfs"], "dev", "stale"), "w") as handle:
        handle.write("replace me")
    config = {"linux": {"devices": [
        {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 0o600,
         "uid": uid, "gid": gid},
        {"path": "/dev/sub/loop9", "type": "b", "major": 7, "minor": 9},
        {"path": "/dev/stale", "type": "u", "major": 1, "minor": 3},
        {"path": "/dev/fifo", "type": "p"},
    ]}}
    setup.prepare_rootfs(config, env["rootfs"], syscalls=Recorder(env["rootfs"]))
    nodes = {name: (mode, dev) for name, mode, dev in env["nodes"]}
    assert nodes["fuse"] == (stat.S_IFCHR | 0o600, os.makedev(10, 229))
    assert nodes["loop9"] == (stat.S_IFBLK | 0o666, os.makedev(7, 9))
    assert nodes["stale"] == (stat.S_IFCHR | 0o666, os.makedev(1, 3))
    assert nodes["fifo"] == (stat.S_IFIFO | 0o666, 0)
    assert os.path.isdir(os.path.join(env["rootfs"], "dev", "sub"))
    with open(os.path.join(env["rootfs"], "dev", "stale")) as handle:
        assert handle.read() == ""  # replaced by the new node

    bad = {"linux": {"devices": [{"path": "/dev/old", "type": "c", "major": 1, "minor": 1}]}}
    with pytest.raises(RootfsError) as info:
        setup.prepare_rootfs(bad, env["rootfs"], syscalls=Recorder(env["rootfs"]))
    assert "linux.devices[0] /dev/old" in str(info.value)


def test_mknod_eperm_binds_host_devices(env, monkeypatch):
    def refuse(name, mode, device, dir_fd=None):
        raise PermissionError(errno.EPERM, "not permitted")

    monkeypatch.setattr(devices.os, "mknod", refuse)
    sc = Recorder(env["rootfs"])
    setup.prepare_rootfs({}, env["rootfs"], syscalls=sc)
    binds = [c for c in sc.mounts() if c[1].startswith("/dev/")]
    assert binds == [("mount", "/dev/" + name, "/dev/" + name, "", C.MS_BIND, None)
                     for name, _major, _minor in devices.DEFAULT_DEVICES]
    assert os.path.isfile(os.path.join(env["rootfs"], "dev", "null"))


def test_existing_devices_are_kept(env):
    with open(os.path.join(env["rootfs"], "dev", "null"), "w") as handle:
        handle.write("keep")
    setup.prepare_rootfs({}, env["rootfs"], syscalls=Recorder(env["rootfs"]))
    assert "null" not in [name for name, _m, _d in env["nodes"]]
    with open(os.path.join(env["rootfs"], "dev", "null")) as handle:
        assert handle.read() == "keep"


def test_bundle_directory():
    assert setup.bundle_directory({"root": {"path": "rootfs"}}, "/b/rootfs") == "/b"
    assert setup.bundle_directory({"root": {"path": "./x/rootfs/"}}, "/b/x/rootfs") == "/b"
    assert setup.bundle_directory({"root": {"path": "/abs"}}, "/abs") is None
    assert setup.bundle_directory({"root": {"path": "other"}}, "/b/rootfs") is None


def test_destination_resolving_to_the_root_is_refused(env):
    os.rmdir(os.path.join(env["rootfs"], "proc"))
    os.symlink("/", os.path.join(env["rootfs"], "proc"))
    config = {"mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}]}
    sc = Recorder(env["rootfs"])
    with pytest.raises(RootfsError) as info:
        setup.prepare_rootfs(config, env["rootfs"], syscalls=sc)
    assert str(info.value).startswith("mounts[0] /proc: ")
    assert [c for c in sc.mounts() if c[3] == "proc"] == []


@pytest.mark.parametrize("fstype,name", [("proc", "proc"), ("sysfs", "sys")])
def test_proc_and_sysfs_refuse_a_symlinked_destination(env, fstype, name):
    """CVE-2019-19921: a symlink anywhere in the destination, never followed, nothing mounted."""
    os.rmdir(os.path.join(env["rootfs"], name))
    os.makedirs(os.path.join(env["rootfs"], "elsewhere"))
    os.symlink("/elsewhere", os.path.join(env["rootfs"], name))
    config = {"mounts": [{"destination": "/" + name, "type": fstype, "source": fstype}]}
    sc = Recorder(env["rootfs"])
    with pytest.raises(RootfsError) as info:
        setup.prepare_rootfs(config, env["rootfs"], syscalls=sc)
    assert str(info.value) == ("mounts[0] /%s: %s must be mounted on an ordinary directory: %s is a symlink "
                               "(CVE-2019-19921)" % (name, fstype, os.path.join(env["rootfs"], name)))
    assert [c for c in sc.mounts() if c[3] == fstype] == []


def test_sysfs_eperm_fallback_keeps_the_ordinary_directory_rule(env):
    """The bind of the host's /sys after EPERM checks its target again: here /sys is
    swapped for a symlink between the refused sysfs mount and the bind."""
    rootfs = env["rootfs"]
    os.makedirs(os.path.join(rootfs, "real"))

    def refuse_and_swap(call):
        if call[3] != "sysfs":
            return False
        os.rmdir(os.path.join(rootfs, "sys"))
        os.symlink("/real", os.path.join(rootfs, "sys"))
        return True
    sc = Recorder(rootfs, fail_when=refuse_and_swap)
    config = {"mounts": [{"destination": "/sys", "type": "sysfs", "source": "sysfs"}]}
    with pytest.raises(RootfsError) as info:
        setup.prepare_rootfs(config, rootfs, syscalls=sc)
    assert "bind of the host's /sys after EPERM" in str(info.value)
    assert "must be mounted on an ordinary directory" in str(info.value)
    assert [c for c in sc.mounts() if c[1] == "/sys"] == []


def test_other_file_systems_still_follow_symlinks_inside_the_rootfs(env):
    os.makedirs(os.path.join(env["rootfs"], "real"))
    os.symlink("/real", os.path.join(env["rootfs"], "scratch"))
    config = {"mounts": [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs"}]}
    sc = Recorder(env["rootfs"])
    setup.prepare_rootfs(config, env["rootfs"], syscalls=sc)
    assert ("mount", "tmpfs", "/real", "tmpfs", 0, None) in sc.mounts()
