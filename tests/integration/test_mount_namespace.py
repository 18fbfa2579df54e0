# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""config-linux.md "Namespaces", type mount: new, joined by path, or none (the runtime's).

Without a new mount namespace this runtime makes no mount and creates no
device node: the process is chroot(2)ed into root.path, and the host's mount
table and /dev are exactly as before create, start, exec and delete
(rootfs/chroot.py). With one, nothing is created or re-owned in the host's
/dev either: test_host_dev.py.
"""
from __future__ import absolute_import, division, print_function

import os
import stat

import pytest

import itest_helpers as H
from host_features import requires, user_namespaces
from hostview import HostView

pytestmark = pytest.mark.ours  # runc and crun mount in the host's namespace here

# config-linux.md "Default Devices" (name, major, minor)
DEFAULT_DEVICES = (("null", 1, 3), ("zero", 1, 5), ("full", 1, 7), ("random", 1, 8),
                   ("urandom", 1, 9), ("tty", 5, 0))


def without_mounts(config, mount_ns_path=None):
    """The config with nothing that needs a new mount namespace, and none (or one joined by path)."""
    H.remove_namespace(config, "mount")
    if mount_ns_path:
        H.set_namespace(config, "mount", mount_ns_path)
    config["mounts"] = []
    config["root"]["readonly"] = False
    for key in ("maskedPaths", "readonlyPaths"):
        config["linux"].pop(key, None)
    return config


def rootfs_with_devices(oci):
    """A private busybox rootfs whose /dev already holds the default devices (made by the test)."""
    rootfs = oci.private_rootfs()
    for name, major, minor in DEFAULT_DEVICES:
        os.mknod(os.path.join(rootfs, "dev", name), stat.S_IFCHR | 0o666, os.makedev(major, minor))
    return rootfs


def exec_out(oci, cid, argv):
    result = oci.rt.cmd("exec", cid, *argv)
    assert result.returncode == 0, result
    return result.stdout


def mnt_ns(pid="self"):
    return os.readlink("/proc/%s/ns/mnt" % pid)


def same_file(a, b):
    first, second = os.stat(a), os.stat(b)
    return (first.st_dev, first.st_ino) == (second.st_dev, second.st_ino)


def test_no_mount_namespace_with_the_hosts_root(oci):
    host = HostView([oci.tmp])
    marker = oci.out_file("marker")
    config = without_mounts(oci.config(["sh", "-c", "readlink /proc/self/ns/mnt > %s; ls -ln /dev/null >> %s; "
                                                    "exec sleep 30" % (marker, marker)], out=False, rootfs="/"))
    cid = oci.new_id()
    oci.rt.create(cid, oci.bundle(config)).check()
    host.assert_unchanged()
    pid = oci.rt.state(cid)["pid"]
    assert mnt_ns(pid) == mnt_ns()
    assert same_file("/proc/%d/root" % pid, "/")
    oci.rt.start(cid).check()
    H.wait_for(lambda: len(open(marker).read().splitlines()) == 2, what="both lines of %s" % marker)
    lines = open(marker).read().splitlines()
    assert lines[0] == mnt_ns()
    assert "1,   3" in lines[1] or "1, 3" in lines[1], lines
    # exec: the container's root, the host's mount namespace
    assert exec_out(oci, cid, ["readlink", "/proc/self/ns/mnt"]).strip() == mnt_ns()
    host.assert_unchanged()
    oci.rt.kill(cid, "KILL").check()
    oci.rt.wait_status(cid, "stopped")
    oci.rt.delete(cid).check()
    host.assert_unchanged()


def test_no_mount_namespace_chroots_into_the_rootfs(oci):
    rootfs = rootfs_with_devices(oci)
    host = HostView([oci.tmp, rootfs])
    config = without_mounts(oci.config(["sh", "-c", "cat /etc/hostname > /tmp/seen; exec sleep 30"],
                                       out=False, rootfs=rootfs))
    cid = oci.new_id()
    state = oci.rt.create_started(cid, oci.bundle(config))
    pid = state["pid"]
    assert mnt_ns(pid) == mnt_ns()
    assert same_file("/proc/%d/root" % pid, rootfs)
    assert H.wait_file(os.path.join(rootfs, "tmp", "seen")).strip() == "rootfs"
    # exec enters the same chroot (not the host's "/", which the mount namespace would give)
    assert exec_out(oci, cid, ["cat", "/etc/hostname"]).strip() == "rootfs"
    assert exec_out(oci, cid, ["sh", "-c", "echo x > /dev/null && echo ok"]).strip() == "ok"
    oci.rt.kill(cid, "KILL").check()
    oci.rt.wait_status(cid, "stopped")
    oci.rt.delete(cid).check()
    host.assert_unchanged()
    # nothing was created in the rootfs either
    assert sorted(os.listdir(os.path.join(rootfs, "dev"))) == sorted(name for name, dummy, dummy2 in DEFAULT_DEVICES)


def test_no_mount_namespace_needs_the_default_devices(oci):
    rootfs = oci.private_rootfs()  # an empty /dev
    host = HostView([oci.tmp, rootfs])
    config = without_mounts(oci.config(["true"], out=False, rootfs=rootfs))
    cid = oci.new_id()
    H.assert_fails(oci.rt.create(cid, oci.bundle(config)), "root.path", "/dev/null", "creates no device nodes")
    assert not oci.rt.state_result(cid).ok
    assert H.cgroup_dirs_under(config["linux"]["cgroupsPath"]) == {}
    assert os.listdir(os.path.join(rootfs, "dev")) == []
    host.assert_unchanged()


@pytest.mark.parametrize("field, value", [
    ("mounts", None),
    ("linux.maskedPaths", ["/proc/kcore"]),
    ("root.readonly", True),
    ("linux.devices", [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229}]),
])
def test_no_mount_namespace_refuses_what_needs_mounts(oci, field, value):
    host = HostView([oci.tmp, oci.rootfs])
    config = oci.config(["true"], out=False)
    H.remove_namespace(config, "mount")
    if field != "mounts":
        config = without_mounts(config)
        section, key = field.split(".")
        config[section][key] = value
    cid = oci.new_id()
    H.assert_fails(oci.rt.create(cid, oci.bundle(config)), field, "needs a new mount namespace")
    assert not oci.rt.state_result(cid).ok
    assert H.cgroup_dirs_under(config["linux"]["cgroupsPath"]) == {}
    host.assert_unchanged()


def test_join_a_mount_namespace_by_path(oci):
    first_config = oci.config(["sleep", "30"], out=False)
    first = oci.new_id()
    first_pid = oci.rt.create_started(first, oci.bundle(first_config))["pid"]
    with open("/proc/%d/mountinfo" % first_pid) as handle:
        first_mounts = handle.read()
    host = HostView([oci.tmp, oci.rootfs])

    # root.path "/" of the joined namespace: the first container's root
    second_config = without_mounts(oci.config(["sh", "-c", "cat /etc/hostname > /tmp/joined; exec sleep 30"],
                                              out=False, rootfs="/"),
                                   "/proc/%d/ns/mnt" % first_pid)
    second = oci.new_id()
    second_pid = oci.rt.create_started(second, oci.bundle(second_config))["pid"]
    assert mnt_ns(second_pid) == mnt_ns(first_pid)
    assert same_file("/proc/%d/root" % second_pid, "/proc/%d/root" % first_pid)
    assert exec_out(oci, first, ["sh", "-c", "while [ ! -s /tmp/joined ]; do sleep 0.02; done; "
                                             "cat /tmp/joined"]).strip() == "rootfs"
    assert exec_out(oci, second, ["cat", "/etc/hostname"]).strip() == "rootfs"
    oci.rt.kill(second, "KILL").check()
    oci.rt.wait_status(second, "stopped")
    oci.rt.delete(second).check()
    # the first container's mount table and the host's are as before
    with open("/proc/%d/mountinfo" % first_pid) as handle:
        assert handle.read() == first_mounts
    assert oci.rt.status(first) == "running"
    host.assert_unchanged()


def test_root_path_is_looked_up_in_the_joined_namespace(oci):
    """root.path names a directory of the joined namespace, which need not exist on the host."""
    jail = "/oci-test-jail-only-in-the-container"
    assert not os.path.exists(jail)
    first_rootfs = oci.private_rootfs()
    inner = first_rootfs + jail
    H.build_busybox_rootfs(inner)
    with open(os.path.join(inner, "etc", "hostname"), "w") as handle:
        handle.write("jail\n")
    for name, major, minor in DEFAULT_DEVICES:
        os.mknod(os.path.join(inner, "dev", name), stat.S_IFCHR | 0o666, os.makedev(major, minor))
    first = oci.new_id()
    first_pid = oci.rt.create_started(first, oci.bundle(oci.config(["sleep", "30"], out=False,
                                                                   rootfs=first_rootfs)))["pid"]
    config = without_mounts(oci.config(["cat", "/etc/hostname"], out=False, rootfs=jail),
                            "/proc/%d/ns/mnt" % first_pid)
    result = oci.rt.run(oci.new_id(), oci.bundle(config))
    assert result.returncode == 0, result
    assert result.stdout.strip() == "jail"
    assert not os.path.exists(jail)


def test_join_a_mount_namespace_refuses_mounts(oci):
    first = oci.new_id()
    first_pid = oci.rt.create_started(first, oci.bundle(oci.config(["sleep", "30"], out=False)))["pid"]
    with open("/proc/%d/mountinfo" % first_pid) as handle:
        first_mounts = handle.read()
    config = oci.config(["true"], out=False)
    H.set_namespace(config, "mount", "/proc/%d/ns/mnt" % first_pid)
    cid = oci.new_id()
    H.assert_fails(oci.rt.create(cid, oci.bundle(config)), "mounts", "/proc/%d/ns/mnt" % first_pid)
    with open("/proc/%d/mountinfo" % first_pid) as handle:
        assert handle.read() == first_mounts


def test_join_a_mount_namespace_without_the_root_path(oci):
    first = oci.new_id()
    first_pid = oci.rt.create_started(first, oci.bundle(oci.config(["sleep", "30"], out=False)))["pid"]
    config = without_mounts(oci.config(["true"], out=False, rootfs=oci.tmp), "/proc/%d/ns/mnt" % first_pid)
    cid = oci.new_id()
    H.assert_fails(oci.rt.create(cid, oci.bundle(config)), "root.path", "joined mount namespace")
    assert not oci.rt.state_result(cid).ok
    assert oci.rt.status(first) == "running"


@requires(user_namespaces())
def test_no_mount_namespace_with_a_user_namespace(oci):
    """chroot(2) needs CAP_SYS_CHROOT in the container's user namespace only; the host stays as it was."""
    rootfs = rootfs_with_devices(oci)
    os.chmod(os.path.join(rootfs, "tmp"), 0o1777)
    host = HostView([oci.tmp, rootfs])
    config = without_mounts(oci.config(["sh", "-c", "id -u > /tmp/uid; cat /etc/hostname >> /tmp/uid"],
                                       out=False, rootfs=rootfs))
    H.set_namespace(config, "user")
    config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    # the mapped root must reach the rootfs: pytest makes its directories 0700
    changed = []
    path = os.path.dirname(rootfs)
    while path not in ("/", "/tmp"):
        mode = os.stat(path).st_mode & 0o7777
        if not mode & 0o001:
            os.chmod(path, mode | 0o001)
            changed.append((path, mode))
        path = os.path.dirname(path)
    try:
        result = oci.rt.run(oci.new_id(), oci.bundle(config))
    finally:
        for path, mode in changed:
            os.chmod(path, mode)
    assert result.returncode == 0, result
    with open(os.path.join(rootfs, "tmp", "uid")) as handle:
        assert handle.read().split() == ["0", "rootfs"]
    host.assert_unchanged()
