# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mount options -> (flags, propagation, data); flags kept across remounts; mountinfo."""
import os

import pytest

from runtime.errors import UnsupportedError
from runtime.rootfs import mountinfo
from runtime.rootfs.options import (
    MountOptions, locked_flags, parse_mount_options, parse_propagation, remount_flags,
)
from runtime.syscalls import consts as C


def test_flags_propagation_and_data_are_split():
    opts = parse_mount_options(["nosuid", "noexec", "nodev", "ro", "rprivate",
                                "mode=755", "size=65536k"])
    assert opts.as_tuple() == (C.MS_NOSUID | C.MS_NOEXEC | C.MS_NODEV | C.MS_RDONLY,
                               [C.MS_PRIVATE | C.MS_REC], "mode=755,size=65536k")
    assert not opts.is_bind


def test_bind_and_rbind():
    assert parse_mount_options(["bind"]).flags == C.MS_BIND
    rbind = parse_mount_options(["rbind", "rslave", "shared"])
    assert rbind.is_bind and rbind.recursive
    assert rbind.propagation == [C.MS_SLAVE | C.MS_REC, C.MS_SHARED]


@pytest.mark.parametrize("option,flag", [
    ("relatime", C.MS_RELATIME), ("norelatime", 0), ("strictatime", C.MS_STRICTATIME),
    ("noatime", C.MS_NOATIME), ("nodiratime", C.MS_NODIRATIME), ("sync", C.MS_SYNCHRONOUS),
    ("async", 0), ("dirsync", C.MS_DIRSYNC), ("mand", C.MS_MANDLOCK),
    ("nosymfollow", C.MS_NOSYMFOLLOW), ("remount", C.MS_REMOUNT), ("defaults", 0),
])
def test_single_flag_options(option, flag):
    assert parse_mount_options([option]).flags == flag


def test_later_options_win():
    opts = parse_mount_options(["ro", "rw", "nodev", "dev", "exec", "noexec"])
    assert opts.flags == C.MS_NOEXEC
    assert opts.cleared == C.MS_RDONLY | C.MS_NODEV


def test_devpts_data():
    opts = parse_mount_options(["nosuid", "noexec", "newinstance", "ptmxmode=0666",
                                "mode=0620", "gid=5"])
    assert opts.flags == C.MS_NOSUID | C.MS_NOEXEC
    assert opts.data == "newinstance,ptmxmode=0666,mode=0620,gid=5"


@pytest.mark.parametrize("option", ["idmap", "ridmap", "tmpcopyup"])
def test_unsupported_options_fail_loudly(option):
    with pytest.raises(UnsupportedError) as info:
        parse_mount_options(["rbind", option], "mounts[2].options")
    assert "mounts[2].options" in str(info.value) and option in str(info.value)


def test_parse_propagation():
    assert parse_propagation("rslave") == C.MS_SLAVE | C.MS_REC
    assert parse_propagation("private") == C.MS_PRIVATE
    assert parse_propagation("runbindable") == C.MS_UNBINDABLE | C.MS_REC
    with pytest.raises(UnsupportedError) as info:
        parse_propagation("sideways")
    assert "linux.rootfsPropagation" in str(info.value) and "sideways" in str(info.value)


LOCKED = C.MS_NOSUID | C.MS_NODEV | C.MS_RELATIME


def test_remount_keeps_locked_flags():
    flags = remount_flags(parse_mount_options(["rbind", "ro"]), LOCKED)
    assert flags == C.MS_BIND | C.MS_REMOUNT | C.MS_RDONLY | LOCKED


def test_remount_explicit_clear_and_atime_override():
    flags = remount_flags(parse_mount_options(["bind", "ro", "dev", "noatime"]), LOCKED)
    assert flags == C.MS_BIND | C.MS_REMOUNT | C.MS_RDONLY | C.MS_NOSUID | C.MS_NOATIME


def test_remount_drops_operation_flags():
    flags = remount_flags(MountOptions(C.MS_BIND | C.MS_REC | C.MS_NOEXEC), 0)
    assert flags == C.MS_BIND | C.MS_REMOUNT | C.MS_NOEXEC


def test_locked_flags_match_statvfs(tmp_path):
    f_flag = os.statvfs(str(tmp_path)).f_flag
    flags = locked_flags(str(tmp_path))
    assert bool(flags & C.MS_NOSUID) == bool(f_flag & os.ST_NOSUID)
    assert bool(flags & C.MS_NODEV) == bool(f_flag & os.ST_NODEV)
    assert bool(flags & C.MS_NOEXEC) == bool(f_flag & os.ST_NOEXEC)
    assert not flags & C.MS_RDONLY
    # exactly one atime mode is restated
    assert bin(flags & (C.MS_NOATIME | C.MS_RELATIME | C.MS_STRICTATIME)).count("1") == 1


MOUNTINFO = (
    "27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
    "40 27 0:40 / /var/lib/with\\040space rw master:3 - tmpfs tmpfs rw\n"
    "41 27 0:41 / /var/lib rw - tmpfs tmpfs rw\n"
    "42 41 0:42 / /var/lib/c rw shared:7 master:2 - tmpfs tmpfs rw\n"
    "43 27 0:43 / /var/lib rw unbindable - tmpfs over rw\n"
)


def test_mountinfo_parsing(tmp_path):
    path = tmp_path / "mountinfo"
    path.write_text(MOUNTINFO)
    mounts = mountinfo.read_mounts(str(path))
    assert [m.mount_point for m in mounts] == [
        "/", "/var/lib/with space", "/var/lib", "/var/lib/c", "/var/lib"]
    assert [m.shared for m in mounts] == [True, False, False, True, False]
    assert mounts[0].fstype == "ext4" and mounts[0].source == "/dev/vda"
    # the later /var/lib mount is on top
    assert mountinfo.mount_containing("/var/lib/x/y", mounts).source == "over"
    assert mountinfo.mount_containing("/var/lib/c/z", mounts).mount_id == 42
    assert mountinfo.mount_containing("/var/library", mounts).mount_id == 27
    assert mountinfo.is_mount_point("/var/lib/with space/", mounts)
    assert not mountinfo.is_mount_point("/var", mounts)
