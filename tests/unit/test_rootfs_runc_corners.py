# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mount logic that follows runc's order (issue 21), on recorded syscalls."""
import os

from runtime.rootfs import paths
from runtime.rootfs.options import readonly_deferred
from runtime.syscalls import consts as C
from runtime.syscalls.fake import FakeSyscalls

DEV = {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "ro", "mode=755"]}
PTS = {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["newinstance"]}


def test_read_only_dev_is_deferred_even_alone():
    assert readonly_deferred([DEV], 0)
    assert readonly_deferred([DEV, PTS], 0)


def test_read_only_tmpfs_deferred_only_with_mounts_beneath():
    data = {"destination": "/data", "type": "tmpfs", "options": ["ro"]}
    below = {"destination": "/data/sub/x", "type": "tmpfs"}
    beside = {"destination": "/database", "type": "tmpfs"}
    assert not readonly_deferred([data, beside], 0)
    assert readonly_deferred([data, beside, below], 0)
    assert not readonly_deferred([below, data], 1)  # only later mounts count


def test_read_write_binds_and_remounts_are_not_deferred():
    assert not readonly_deferred([dict(DEV, options=["rw"])], 0)
    assert not readonly_deferred([dict(DEV, type="bind", options=["rbind", "ro"])], 0)
    assert not readonly_deferred([dict(DEV, type="", options=["bind", "ro"])], 0)
    assert not readonly_deferred([dict(DEV, options=["remount", "ro"])], 0)


def test_deferred_remount_restates_flags_and_data(tmp_path, monkeypatch):
    (tmp_path / "dev" / "pts").mkdir(parents=True)
    monkeypatch.setattr(paths, "procfd_available", lambda: False)
    sc = FakeSyscalls()
    paths.remount_deferred_readonly([DEV, PTS], str(tmp_path), sc, "")
    mounts = [c for c in sc.calls if c[0] == "mount"]
    assert mounts == [("mount", "", os.path.join(str(tmp_path), "dev"), "tmpfs",
                       C.MS_REMOUNT | C.MS_RDONLY | C.MS_NOSUID, "mode=755")]


def test_no_pivot_hides_host_proc_and_sys_then_moves_and_chroots(tmp_path, monkeypatch):
    from runtime.rootfs import mountinfo, pivot
    info = tmp_path / "mountinfo"
    info.write_text(
        "27 1 254:0 / / rw - ext4 /dev/vda rw\n"
        "28 27 0:5 / /proc rw - proc proc rw\n"
        "29 27 0:6 / /sys rw - sysfs sysfs rw\n"
        "30 27 0:5 /sys /proc/sys ro - proc proc rw\n"  # not a full proc: kept
        "31 27 0:7 / /rootfs/proc rw - proc proc rw\n")  # the container's own
    monkeypatch.setattr(mountinfo, "MOUNTINFO_PATH", str(info))
    steps = []
    monkeypatch.setattr(pivot.os, "chdir", lambda path: steps.append(("chdir", path)))
    monkeypatch.setattr(pivot.os, "chroot", lambda path: steps.append(("chroot", path)))
    sc = FakeSyscalls(fail={"umount2": 1})  # EPERM: covered by a tmpfs instead
    pivot.move_root_into("/rootfs", sc)
    assert sc.calls == [
        ("mount", "", "/proc", "", C.MS_SLAVE | C.MS_REC, None), ("umount2", "/proc", C.MNT_DETACH),
        ("mount", "tmpfs", "/proc", "tmpfs", 0, None),
        ("mount", "", "/sys", "", C.MS_SLAVE | C.MS_REC, None), ("umount2", "/sys", C.MNT_DETACH),
        ("mount", "tmpfs", "/sys", "tmpfs", 0, None),
        ("mount", "/rootfs", "/", "", C.MS_MOVE, None)]
    assert steps == [("chdir", "/rootfs"), ("chroot", "."), ("chdir", "/")]


def test_recursive_options_become_mount_setattr_attributes():
    from runtime.rootfs.options import parse_mount_options
    opts = parse_mount_options(["rbind", "rro", "rnosuid", "rnoexec", "rnoatime", "ro"])
    assert opts.flags == C.MS_BIND | C.MS_REC | C.MS_RDONLY
    assert opts.recursive_set == (C.MOUNT_ATTR_RDONLY | C.MOUNT_ATTR_NOSUID | C.MOUNT_ATTR_NOEXEC
                                  | C.MOUNT_ATTR_NOATIME)
    assert opts.recursive_clear == C.MOUNT_ATTR__ATIME
    assert opts.recursive_names == ["rro", "rnosuid", "rnoexec", "rnoatime"]
    assert opts.data == ""


def test_later_recursive_options_win():
    from runtime.rootfs.options import parse_mount_options
    opts = parse_mount_options(["rro", "rrw", "rdev", "rnodev", "rnoatime", "rstrictatime"])
    assert opts.recursive_set == C.MOUNT_ATTR_NODEV | C.MOUNT_ATTR_STRICTATIME
    assert opts.recursive_clear == C.MOUNT_ATTR_RDONLY | C.MOUNT_ATTR__ATIME
    # A negative atime option picks a whole mode: clearing part of
    # MOUNT_ATTR__ATIME would be EINVAL (mount_setattr(2)).
    opts = parse_mount_options(["ratime"])
    assert (opts.recursive_set, opts.recursive_clear) == (C.MOUNT_ATTR_RELATIME, C.MOUNT_ATTR__ATIME)


def _mount_ctx(tmp_path, sc):
    from runtime.rootfs.mountcalls import MountContext
    (tmp_path / "mnt").mkdir()
    return MountContext(str(tmp_path), sc)


def test_recursive_attributes_are_one_mount_setattr_after_the_mount(tmp_path):
    from runtime.rootfs.mounts import mount_entry
    sc = FakeSyscalls()
    entry = {"destination": "/mnt", "type": "tmpfs", "source": "tmpfs", "options": ["rnodev", "rro"]}
    mount_entry(0, entry, _mount_ctx(tmp_path, sc), [entry])
    names = [c[0] for c in sc.calls if c[0] != "openat2"]
    assert names == ["mount", "mount_setattr"]
    call = [c for c in sc.calls if c[0] == "mount_setattr"][0]
    assert call[1] == C.AT_FDCWD and call[2].startswith("/proc/self/fd/")
    assert call[3:6] == (C.AT_RECURSIVE, C.MOUNT_ATTR_NODEV | C.MOUNT_ATTR_RDONLY, 0)


def test_kernel_without_mount_setattr_names_the_options(tmp_path):
    import errno
    import pytest
    from runtime.errors import UnsupportedError
    from runtime.rootfs.mounts import mount_entry
    sc = FakeSyscalls(fail={"mount_setattr": errno.ENOSYS})
    entry = {"destination": "/mnt", "type": "bind", "source": str(tmp_path), "options": ["rbind", "rro"]}
    with pytest.raises(UnsupportedError) as info:
        mount_entry(3, entry, _mount_ctx(tmp_path, sc), [entry])
    assert "mounts[3] /mnt" in str(info.value) and "rro" in str(info.value)
    assert "mount_setattr(2)" in str(info.value)
