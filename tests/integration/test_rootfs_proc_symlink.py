# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""proc and sysfs are mounted on ordinary directories only (CVE-2019-19921).

A rootfs whose /proc (or /sys) is a symlink would get procfs mounted
wherever the link points, and the masked and read-only paths under /proc
would then protect another place than the container's /proc. runc refuses
such a destination since 1.0.0-rc10 ("must be mounted on ordinary
directory"); so does this runtime, for any proc or sysfs mount whose
destination has a symlink in it, checked without following symlinks.
"""
from __future__ import absolute_import, division, print_function

import os

import pytest

import itest_helpers as H

MESSAGE = "must be mounted on an ordinary directory"


def mount_of(config, fstype):
    return next(m for m in config["mounts"] if m["type"] == fstype)


def assert_refused_and_nothing_left(oci, config, cid):
    result = oci.rt.create(cid, oci.bundle(config))
    assert not result.ok, result
    if H.binary_is_ours():
        assert MESSAGE in result.stderr, result
    else:
        assert "ordinary directory" in result.stderr, result
    assert not oci.rt.state_result(cid).ok
    assert not os.path.exists(os.path.join(oci.rt.root, cid))
    assert H.cgroup_dirs_under(config["linux"]["cgroupsPath"]) == {}


@pytest.mark.parametrize("fstype,name", [("proc", "proc"), ("sysfs", "sys")])
@pytest.mark.parametrize("target", ["absolute", "relative"])
def test_symlinked_destination_is_refused(oci, fstype, name, target):
    rootfs = oci.private_rootfs()
    os.rmdir(os.path.join(rootfs, name))
    os.makedirs(os.path.join(rootfs, "fake" + name))
    os.symlink("/fake" + name if target == "absolute" else "fake" + name, os.path.join(rootfs, name))
    config = oci.config(["true"], rootfs=rootfs)
    assert_refused_and_nothing_left(oci, config, oci.new_id())
    assert os.listdir(os.path.join(rootfs, "fake" + name)) == []  # nothing was mounted there


@pytest.mark.ours  # runc checks only the last component (os.Lstat of the joined path)
def test_symlink_in_a_parent_of_the_destination_is_refused(oci):
    rootfs = oci.private_rootfs()
    os.makedirs(os.path.join(rootfs, "real", "proc"))
    os.symlink("real", os.path.join(rootfs, "link"))
    config = oci.config(["true"], rootfs=rootfs)
    mount_of(config, "proc")["destination"] = "/link/proc"
    assert_refused_and_nothing_left(oci, config, oci.new_id())


def test_a_file_as_destination_is_refused(oci):
    rootfs = oci.private_rootfs()
    os.rmdir(os.path.join(rootfs, "proc"))
    with open(os.path.join(rootfs, "proc"), "w") as handle:
        handle.write("not a directory\n")
    config = oci.config(["true"], rootfs=rootfs)
    assert_refused_and_nothing_left(oci, config, oci.new_id())


def test_ordinary_and_missing_directories_still_work(oci):
    """The same checks pass a normal rootfs, and a missing /sys is created as a directory."""
    rootfs = oci.private_rootfs()
    os.rmdir(os.path.join(rootfs, "sys"))
    config = oci.config(["sh", "-c", "grep -c ' /proc proc ' /proc/mounts; grep -c ' /sys sysfs ' /proc/mounts"],
                        rootfs=rootfs)
    result = oci.rt.run(oci.new_id(), oci.bundle(config))
    assert result.returncode == 0, result
    assert result.stdout.split() == ["1", "1"]
    assert os.path.isdir(os.path.join(rootfs, "sys")) and not os.path.islink(os.path.join(rootfs, "sys"))
