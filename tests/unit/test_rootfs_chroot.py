# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A container without a mount namespace of its own: checks and chroot(2), no mounts.

The decisions of rootfs/setup.py (build_root, switch_root, finish_root),
rootfs/chroot.py and namespaces.enter, with recorded syscalls.
"""
import os
import stat

import pytest

from runtime import namespaces
from runtime.errors import RootfsError
from runtime.rootfs import chroot, setup
from runtime.syscalls import consts as C
from runtime.syscalls.fake import FakeSyscalls


def config_with(mount=None, **extra):
    """``mount``: None (not listed), "" (new) or a path (joined)."""
    spaces = [{"type": "pid"}]
    if mount is not None:
        spaces.append({"type": "mount", "path": mount} if mount else {"type": "mount"})
    config = {"root": {"path": "rootfs"}, "linux": {"namespaces": spaces}}
    config.update(extra)
    return config


@pytest.mark.parametrize("mount, kind", [(None, "shared"), ("", "new"), ("/proc/1/ns/mnt", "joined")])
def test_mount_namespace_kind(mount, kind):
    assert namespaces.mount_namespace_kind(config_with(mount)) == kind


@pytest.mark.parametrize("mount", [None, "/proc/1/ns/mnt"])
def test_build_root_makes_no_mount(mount, monkeypatch):
    monkeypatch.setattr(setup, "prepare_rootfs", lambda *a, **k: pytest.fail("prepare_rootfs called"))
    sc = FakeSyscalls()
    assert setup.build_root(config_with(mount), "/nonexistent", syscalls=sc) is None
    assert sc.calls == []


@pytest.mark.parametrize("mount, where", [(None, "the runtime's mount namespace"),
                                          ("/proc/1/ns/mnt", "the joined mount namespace")])
def test_build_root_refuses_mounts_added_after_validation(mount, where):
    # e.g. the resolv.conf and hosts binds of a network
    config = config_with(mount, mounts=[{"destination": "/etc/resolv.conf", "type": "bind", "source": "/x"}])
    sc = FakeSyscalls()
    with pytest.raises(RootfsError) as info:
        setup.build_root(config, "/nonexistent", syscalls=sc)
    assert str(info.value).startswith("mounts[0] /etc/resolv.conf: needs a new mount namespace, not " + where)
    assert sc.calls == []


def test_build_root_in_a_new_namespace_prepares(monkeypatch):
    seen = []
    monkeypatch.setattr(setup, "prepare_rootfs", lambda *a, **k: seen.append(a) or "ctx")
    assert setup.build_root(config_with(""), "/r", ("m",)) == "ctx"
    assert seen and seen[0][1] == "/r"


def test_switch_root_chroots_without_pivot(tmp_path, monkeypatch):
    moves = []
    monkeypatch.setattr(chroot.os, "chdir", moves.append)
    sc = FakeSyscalls()
    setup.switch_root(config_with(None), str(tmp_path), sc)
    assert sc.calls == [("chroot", ".")]
    assert moves == [str(tmp_path), "/"]


def test_switch_root_pivots_in_a_new_namespace(monkeypatch):
    seen = []
    monkeypatch.setattr(setup, "pivot_root", lambda rootfs, syscalls=None: seen.append(rootfs))
    sc = FakeSyscalls()
    setup.switch_root(config_with(""), "/r", sc)
    assert seen == ["/r"] and sc.calls == []


def test_switch_root_names_the_joined_namespace(tmp_path):
    sc = FakeSyscalls()
    with pytest.raises(RootfsError) as info:
        setup.switch_root(config_with("/proc/1/ns/mnt"), str(tmp_path / "missing"), sc)
    assert "root.path" in str(info.value) and "the joined mount namespace" in str(info.value)
    assert sc.calls == []


def fake_dev(tmp_path, skip=(), wrong=()):
    """A root whose /dev "holds" the default devices: os.stat is faked for them."""
    (tmp_path / "dev").mkdir()
    nodes = {}
    for name, major, minor in chroot.DEFAULT_DEVICES:
        if name in skip:
            continue
        rdev = os.makedev(major, minor + 1 if name in wrong else minor)
        nodes[os.path.join(str(tmp_path), "dev", name)] = os.stat_result(
            (stat.S_IFCHR | 0o666, 0, 0, 1, 0, 0, 0, 0, 0, 0)), rdev
    return nodes


@pytest.fixture
def stat_devices(monkeypatch):
    def install(nodes):
        real = os.stat

        class Result(object):
            def __init__(self, base, rdev):
                self.st_mode = base.st_mode
                self.st_rdev = rdev

        def fake(path, *a, **k):
            if path in nodes:
                return Result(*nodes[path])
            return real(path, *a, **k)
        monkeypatch.setattr(chroot.os, "stat", fake)
    return install


def test_default_devices_present(tmp_path, stat_devices):
    stat_devices(fake_dev(tmp_path))
    chroot.check_default_devices("/srv/root", str(tmp_path))


@pytest.mark.parametrize("skip, wrong, named", [(("null",), (), "/dev/null"), ((), ("tty",), "/dev/tty")])
def test_default_devices_missing_or_wrong(tmp_path, stat_devices, skip, wrong, named):
    stat_devices(fake_dev(tmp_path, skip, wrong))
    with pytest.raises(RootfsError) as info:
        chroot.check_default_devices("/srv/root", str(tmp_path))
    assert str(info.value).startswith("root.path: %s in /srv/root is " % named)
    assert "creates no device nodes" in str(info.value)


def test_links_are_needed_where_their_target_exists(tmp_path, stat_devices):
    stat_devices(fake_dev(tmp_path))
    (tmp_path / "proc" / "self" / "fd").mkdir(parents=True)
    with pytest.raises(RootfsError) as info:
        chroot.check_default_devices("/srv/root", str(tmp_path))
    assert "/dev/fd" in str(info.value)
    for name, target in chroot.DEFAULT_LINKS:
        os.symlink(target, str(tmp_path / "dev" / name))
    chroot.check_default_devices("/srv/root", str(tmp_path))


def test_finish_root_without_own_namespace_only_checks(monkeypatch):
    seen = []
    monkeypatch.setattr(setup, "finalize_rootfs", lambda *a, **k: pytest.fail("finalize_rootfs called"))
    monkeypatch.setattr(chroot, "check_default_devices", lambda name, root="/": seen.append(name))
    setup.finish_root(config_with(None, root={"path": "/srv/r"}))
    assert seen == ["/srv/r"]


def test_enter_opens_every_path_first_and_joins_the_mount_namespace_last(monkeypatch):
    events = []
    fds = iter(range(100, 110))

    def fake_open(path, ns_type):
        events.append(("open", path))
        return next(fds)

    class Recorder(FakeSyscalls):
        def setns(self, fd, nstype=0):
            events.append(("setns", fd, nstype))
            return 0

        def unshare(self, flags):
            events.append(("unshare", flags))
            return 0

    monkeypatch.setattr(namespaces, "open_namespace", fake_open)
    monkeypatch.setattr(namespaces.posix, "close", lambda fd: events.append(("close", fd)))
    config = {"linux": {"namespaces": [{"type": "mount", "path": "/run/ns/mnt"}, {"type": "uts"},
                                       {"type": "network", "path": "/run/ns/net"}]}}
    namespaces.enter(config, syscalls=Recorder())
    assert events == [
        ("open", "/run/ns/mnt"), ("open", "/run/ns/net"),
        ("setns", 101, C.CLONE_NEWNET), ("setns", 100, C.CLONE_NEWNS),
        ("close", 100), ("close", 101),
        ("unshare", C.CLONE_NEWUTS),
    ]
