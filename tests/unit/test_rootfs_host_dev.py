# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""rootfs/hostdev.py: nothing is created, replaced or re-owned in the host's /dev.

A temporary tree plays the host: ``host/dev`` is its /dev (on the same file
system as ``host``, the case decided by inode), and the rootfs is ``host``
itself, as with root.path "/". mknod and chown are recorded, not made.
"""
import errno
import os
import stat

import pytest

from runtime.errors import RootfsError
from runtime.rootfs import devices
from runtime.rootfs.hostdev import HostDev
from runtime.rootfs.securejoin import open_in_root
from runtime.syscalls.fake import FakeSyscalls


@pytest.fixture
def host(tmp_path, monkeypatch):
    root = tmp_path / "host"
    (root / "dev" / "net").mkdir(parents=True)
    os.mkfifo(str(root / "dev" / "initctl"), 0o600)
    changes = []

    def fake_mknod(name, mode, device, dir_fd=None):
        changes.append(("mknod", name))
        os.close(os.open(name, os.O_CREAT | os.O_WRONLY, 0o600, dir_fd=dir_fd))

    def fake_chown(name, uid, gid, dir_fd=None, follow_symlinks=True):
        changes.append(("chown", name, uid, gid))

    monkeypatch.setattr(devices.os, "mknod", fake_mknod)
    monkeypatch.setattr(devices.os, "chown", fake_chown)
    return {"root": str(root), "dev": str(root / "dev"), "changes": changes}


def listing(path):
    return sorted(os.listdir(path))


def test_the_hosts_dev_and_its_directories_are_the_hosts(host, tmp_path):
    guard = HostDev(host["dev"])
    assert guard.filesystem is None  # same file system as its parent: decided by inode
    for path, expected in ((host["dev"], True), (os.path.join(host["dev"], "net"), True),
                           (host["root"], False), (str(tmp_path), False)):
        fd = os.open(path, os.O_PATH | os.O_DIRECTORY)
        try:
            assert guard.is_host_dev(fd) == expected, path
        finally:
            os.close(fd)


def test_a_dev_of_its_own_file_system_counts_whole(host, tmp_path):
    guard = HostDev(host["dev"])
    guard.filesystem = os.stat(str(tmp_path)).st_dev  # as if /dev were a devtmpfs mount
    fd = os.open(str(tmp_path), os.O_PATH | os.O_DIRECTORY)
    try:
        assert guard.is_host_dev(fd)
    finally:
        os.close(fd)


def test_the_real_dev_is_a_file_system_of_its_own_here():
    if os.stat("/dev").st_dev == os.stat("/").st_dev:
        pytest.skip("this host's /dev is not a mount of its own")
    assert HostDev().filesystem == os.stat("/dev").st_dev


@pytest.mark.parametrize("device", [
    {"path": "/dev/initctl", "type": "p", "uid": 1000, "gid": 1000},  # would be unlinked, made again and chowned
    {"path": "/dev/initctl", "type": "p", "fileMode": 0o666},
    {"path": "/dev/new-fifo", "type": "p"},
    {"path": "/dev/net/tun", "type": "c", "major": 10, "minor": 200},
])
def test_linux_devices_are_refused_in_the_hosts_dev(host, device):
    before = listing(host["dev"]), os.lstat(os.path.join(host["dev"], "initctl"))
    with pytest.raises(RootfsError) as info:
        devices.create_device(host["root"], 0, device, FakeSyscalls(), HostDev(host["dev"]))
    assert str(info.value).startswith("linux.devices[0] %s: " % device["path"])
    assert "host's" in str(info.value)
    assert host["changes"] == []
    after = listing(host["dev"]), os.lstat(os.path.join(host["dev"], "initctl"))
    assert before[0] == after[0] and before[1].st_ino == after[1].st_ino
    assert listing(os.path.join(host["dev"], "net")) == []


def test_without_the_guard_the_node_would_be_replaced_and_chowned(host):
    """What the guard prevents (the old behaviour, still right for a container's own /dev)."""
    devices.create_device(host["root"], 0, {"path": "/dev/initctl", "type": "p", "uid": 1000, "gid": 1000},
                          FakeSyscalls())
    assert host["changes"] == [("mknod", "initctl"), ("chown", "initctl", 1000, 1000)]


def test_a_host_node_that_is_already_as_asked_is_kept(host):
    info = os.lstat(os.path.join(host["dev"], "initctl"))
    device = {"path": "/dev/initctl", "type": "p", "fileMode": stat.S_IMODE(info.st_mode),
              "uid": info.st_uid, "gid": info.st_gid}
    devices.create_device(host["root"], 0, device, FakeSyscalls(), HostDev(host["dev"]))
    assert host["changes"] == []
    assert os.lstat(os.path.join(host["dev"], "initctl")).st_ino == info.st_ino


def test_default_devices_are_not_made_in_the_hosts_dev(host):
    with pytest.raises(RootfsError) as info:
        devices.create_default_devices(host["root"], syscalls=FakeSyscalls(), host_dev=HostDev(host["dev"]))
    assert str(info.value).startswith("/dev/null: ")
    assert host["changes"] == []
    assert listing(host["dev"]) == ["initctl", "net"]


def test_default_devices_in_a_dev_of_its_own(host, tmp_path):
    rootfs = tmp_path / "rootfs"
    (rootfs / "dev").mkdir(parents=True)
    devices.create_default_devices(str(rootfs), syscalls=FakeSyscalls(), host_dev=HostDev(host["dev"]))
    assert sorted(name for call, name in host["changes"]) == sorted(n for n, dummy, dummy2 in devices.DEFAULT_DEVICES)


def test_mount_points_are_not_created_in_the_hosts_dev(host):
    with pytest.raises(OSError) as info:
        open_in_root(host["root"], "/dev/mqueue", create="dir", syscalls=FakeSyscalls(), guard=HostDev(host["dev"]))
    assert info.value.errno == errno.EPERM
    assert "host's" in info.value.strerror
    assert listing(host["dev"]) == ["initctl", "net"]
    # elsewhere in the same tree a mount point may be made
    os.close(open_in_root(host["root"], "/mnt/x", create="dir", syscalls=FakeSyscalls(),
                          guard=HostDev(host["dev"])))
    assert os.path.isdir(os.path.join(host["root"], "mnt", "x"))


class _Entry(object):
    def __init__(self, mount_point):
        self.mount_point = mount_point


def test_the_root_of_a_file_system_mounted_below_the_hosts_dev_is_the_hosts(host):
    deep = os.path.join(host["dev"], "a", "shm")
    os.makedirs(os.path.join(deep, "sub"))
    guard = HostDev(host["dev"], mounts=[_Entry(deep), _Entry("/elsewhere")])
    for path, expected in ((deep, True), (os.path.join(deep, "sub"), False),
                           (os.path.join(host["dev"], "a"), True)):
        fd = os.open(path, os.O_PATH | os.O_DIRECTORY)
        try:
            assert guard.is_host_dev(fd) == expected, path
        finally:
            os.close(fd)
