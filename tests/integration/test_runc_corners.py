# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Corners where runc-based tooling relies on runc's behaviour (issue 21):
a read-only /dev with nested mounts, createContainer hooks in the
container's mount namespace, recursive mount attributes, cgroup v1 update
ordering, bind sources the user namespace cannot reach, --no-pivot.

Runnable against runc: OCI_RUNTIME_BIN=/usr/sbin/runc."""
from __future__ import absolute_import, division, print_function

import os
import subprocess

import pytest

import itest_helpers as H
# searchable is a fixture, used by name
from test_userns import searchable, userns_config  # noqa: F401 pylint: disable=unused-import


def _mount_entry(config, destination):
    for entry in config["mounts"]:
        if entry["destination"] == destination:
            return entry
    raise AssertionError("no mount at %s" % destination)


def test_read_only_dev_with_nested_mounts(oci):
    """A /dev tmpfs with "ro" and /dev/pts, /dev/shm below it: the mount
    points and device nodes are made first, read-only is applied last."""
    config = oci.config(["sh", "-c",
                         "grep -E ' /dev(/pts|/shm)? ' /proc/self/mountinfo > /out/mounts; "
                         "echo x > /dev/null && echo null-ok >> /out/result; "
                         "touch /dev/new 2>/dev/null || echo dev-ro >> /out/result; "
                         "touch /dev/shm/new && echo shm-rw >> /out/result"])
    dev = _mount_entry(config, "/dev")
    dev["options"] = dev["options"] + ["ro"]
    result = oci.rt.run(oci.new_id(), oci.bundle(config))
    assert result.returncode == 0, result
    with open(oci.out_file("result")) as handle:
        assert handle.read().split() == ["null-ok", "dev-ro", "shm-rw"]
    with open(oci.out_file("mounts")) as handle:
        mounts = {line.split()[4]: line.split()[5] for line in handle}
    assert mounts["/dev"].split(",")[0] == "ro", mounts
    assert set(mounts) == {"/dev", "/dev/pts", "/dev/shm"}


def test_no_pivot_runs_the_container_in_its_rootfs(oci):
    """run --no-pivot: the rootfs is moved onto "/" and chrooted into
    (runc's msMoveRoot) instead of pivot_root(2)."""
    config = oci.config(["sh", "-c", "ls /bin/busybox && echo hello > /out/result"])
    container_id = oci.new_id()
    oci.rt._remember(container_id)  # pylint: disable=protected-access
    result = oci.rt.cmd("run", "--no-pivot", "--bundle", oci.bundle(config), container_id)
    assert result.returncode == 0, result
    with open(oci.out_file("result")) as handle:
        assert handle.read() == "hello\n"


def test_exec_into_a_no_pivot_container(oci):
    """setns(2) into the mount namespace lands on the moved rootfs, as after pivot_root."""
    config = oci.config(["sleep", "30"])
    container_id = oci.new_id()
    oci.rt._remember(container_id)  # pylint: disable=protected-access
    result = oci.rt._with_files(  # pylint: disable=protected-access
        container_id, ["create", "--no-pivot", "--bundle", oci.bundle(config), container_id], {})
    assert result.returncode == 0, result
    oci.rt.start(container_id).check()
    result = oci.rt.cmd("exec", container_id, "sh", "-c", "test -x /bin/busybox && echo inside")
    assert result.returncode == 0 and result.stdout == "inside\n", result


def test_create_container_hook_runs_at_the_rootfs_in_the_container_mount_namespace(oci):
    """config.md createContainer: in the container's mount namespace, before
    pivot_root; runc sets the hook's working directory to the rootfs, so a
    relative bind mount made by the hook lands in the container."""
    src = os.path.join(oci.tmp, "hook-src")
    os.makedirs(src)
    with open(os.path.join(src, "data"), "w") as handle:
        handle.write("from the hook\n")
    config = oci.config(["sh", "-c", "cat /out/hooked/data; cat /out/cwd"])
    # Relative to "/" instead, this would fail (the host has no /out), not touch the host.
    script = "mkdir out/hooked && mount --bind %s out/hooked && pwd > out/cwd" % src
    H.add_hook(config, "createContainer", "/bin/busybox", ["sh", "-c", script])
    result = oci.rt.run(oci.new_id(), oci.bundle(config))
    assert result.returncode == 0, result
    data, cwd = result.stdout.splitlines()
    assert data == "from the hook"
    assert os.path.realpath(cwd) == os.path.realpath(oci.rootfs)
    # The bind was made in the container's mount namespace, not the host's.
    assert not H.host_mounts_under([oci.rootfs])


def _bind_with_sub_mount(oci):
    """A host dir with a tmpfs mounted at sub/ (the caller unmounts it)."""
    src = os.path.join(oci.tmp, "rec-src")
    os.makedirs(os.path.join(src, "sub"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0777", "rc-test", os.path.join(src, "sub")],
                   check=True, timeout=10)
    return src


@pytest.mark.parametrize("option, writable", [("rro", False), ("ro", True)])
def test_recursive_read_only_reaches_sub_mounts(oci, option, writable):
    """rro: mount_setattr(2) MOUNT_ATTR_RDONLY with AT_RECURSIVE makes the
    sub-mounts of a recursive bind read-only too; plain ro only the top."""
    src = _bind_with_sub_mount(oci)
    try:
        config = oci.config(["sh", "-c", "touch /mnt/r/top 2>/dev/null || echo top-ro; "
                                         "touch /mnt/r/sub/x 2>/dev/null && echo sub-rw || echo sub-ro"])
        H.add_bind(config, src, "/mnt/r", ["rbind", option])
        result = oci.rt.run(oci.new_id(), oci.bundle(config))
        assert result.returncode == 0, result
        assert result.stdout.split() == ["top-ro", "sub-rw" if writable else "sub-ro"]
        assert os.path.exists(os.path.join(src, "sub", "x")) == writable
    finally:
        subprocess.run(["umount", "-l", os.path.join(src, "sub")], check=False, timeout=10)


@pytest.mark.ours
def test_recursive_nosuid_noexec_on_a_tmpfs(oci):
    """Recursive attributes apply to any mount type: a tmpfs with rnoexec,
    rnosuid. (runc 1.1 applies them to bind mounts only and silently ignores
    them elsewhere; runc 1.2 applies them to every mount.)"""
    config = oci.config(["sh", "-c", "grep ' /mnt/t ' /proc/self/mountinfo"])
    config["mounts"].append({"destination": "/mnt/t", "type": "tmpfs", "source": "tmpfs",
                             "options": ["size=1m", "rnoexec", "rnosuid", "rnodev"]})
    result = oci.rt.run(oci.new_id(), oci.bundle(config))
    assert result.returncode == 0, result
    flags = result.stdout.split()[5].split(",")
    assert {"nosuid", "noexec", "nodev"} <= set(flags), result.stdout


MIB = 1024 * 1024
V1_UNLIMITED = 9223372036854771712  # PAGE_COUNTER_MAX * 4096, what -1 reads back as


def _require_v1(controller, *files):
    path = os.path.join(H.CGROUP_ROOT, controller)
    if not os.path.isfile(os.path.join(path, "cgroup.procs")):
        pytest.skip("host has no cgroup v1 %s hierarchy at %s" % (controller, path))
    for name in files:
        if not os.path.exists(os.path.join(path, name)):
            pytest.skip("the v1 %s hierarchy has no %s (swap accounting off?)" % (controller, name))


def _read(path):
    with open(path) as handle:
        return handle.read().strip()


def test_v1_update_memory_unlimited_after_memory_and_swap_limits(oci):
    """update --memory -1 after limit + swap: memsw is raised first, both unlimited (runc's fs/memory.go)."""
    _require_v1("memory", "memory.memsw.limit_in_bytes")
    config = oci.config(["sleep", "30"])
    config["linux"]["resources"]["memory"] = {"limit": 64 * MIB, "swap": 128 * MIB}
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(config))
    directory = oci.cgroup_dir(config, "memory")
    assert int(_read(directory + "/memory.memsw.limit_in_bytes")) == 128 * MIB
    result = oci.rt.cmd("update", "--memory", "-1", cid)
    assert result.returncode == 0, result
    assert int(_read(directory + "/memory.limit_in_bytes")) == V1_UNLIMITED
    assert int(_read(directory + "/memory.memsw.limit_in_bytes")) == V1_UNLIMITED
    # And back down: the memory limit is lowered before memsw.
    result = oci.rt.cmd("update", "--memory", "32m", "--memory-swap", "48m", cid)
    assert result.returncode == 0, result
    assert int(_read(directory + "/memory.limit_in_bytes")) == 32 * MIB
    assert int(_read(directory + "/memory.memsw.limit_in_bytes")) == 48 * MIB


def test_v1_update_cpu_period_and_quota_under_a_parent_quota(oci):
    """A smaller period with the old quota would exceed the parent's quota
    (sched-bwc.rst hierarchical limits): the quota goes in first, then the
    period again (runc's fs/cpu.go)."""
    _require_v1("cpu", "cpu.cfs_quota_us")
    config = oci.config(["sleep", "30"])
    config["linux"]["resources"]["cpu"] = {"quota": 50000, "period": 100000}
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(config))
    directory = oci.cgroup_dir(config, "cpu")
    parent = os.path.dirname(directory)
    with open(os.path.join(parent, "cpu.cfs_quota_us"), "w") as handle:
        handle.write("50000")  # the parent: half a CPU per 100 ms
    result = oci.rt.cmd("update", "--cpu-period", "50000", "--cpu-quota", "25000", cid)
    assert result.returncode == 0, result
    assert _read(directory + "/cpu.cfs_quota_us") == "25000"
    assert _read(directory + "/cpu.cfs_period_us") == "50000"
    # And up again: now the period must go first.
    result = oci.rt.cmd("update", "--cpu-period", "100000", "--cpu-quota", "50000", cid)
    assert result.returncode == 0, result
    assert _read(directory + "/cpu.cfs_quota_us") == "50000"
    assert _read(directory + "/cpu.cfs_period_us") == "100000"


def test_bind_source_the_user_namespace_cannot_reach(oci, searchable):  # noqa: F811
    """A bind source under a 0700 directory of host root: the mapped root
    cannot look it up, so it is opened on the host side (O_PATH) before the
    user namespace is entered and mounted by fd, as runc does."""
    locked = os.path.join(oci.tmp, "locked")
    data = os.path.join(locked, "data")
    os.makedirs(data)
    os.chmod(locked, 0o700)
    # The source is a shared mount: what the container mounts beneath its
    # bind must still not reach the host.
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "rc-test", data], check=True, timeout=10)
    try:
        subprocess.run(["mount", "--make-shared", data], check=True, timeout=10)
        _unreachable_bind_source(oci, locked, data)
    finally:
        subprocess.run(["umount", "-R", "-l", data], check=False, timeout=10)


def _unreachable_bind_source(oci, locked, data):
    with open(os.path.join(data, "file"), "w") as handle:
        handle.write("reached\n")
    os.makedirs(os.path.join(data, "inner"))
    config = userns_config(oci, ["sh", "-c", "cat /mnt/data/file > /out/out; "
                                             "grep -c ' /mnt/data/inner ' /proc/self/mountinfo >> /out/out"])
    H.add_bind(config, data, "/mnt/data", ["rbind", "ro"])
    config["mounts"].append({"destination": "/mnt/data/inner", "type": "tmpfs", "source": "tmpfs",
                             "options": ["size=1m"]})
    container_id = oci.new_id()
    oci.rt.create(container_id, oci.bundle(config)).check()
    assert not H.host_mounts_under([os.path.join(data, "inner")])
    oci.rt.start(container_id).check()
    oci.rt.wait_status(container_id, "stopped")
    with open(oci.out_file("out")) as handle:
        assert handle.read() == "reached\n1\n"


def test_no_pivot_in_a_user_namespace(oci, searchable):  # noqa: F811
    """--no-pivot in a user namespace, where the host's mounts are locked
    (detaching them may be refused: then they are covered by a tmpfs)."""
    config = userns_config(oci, ["sh", "-c", "id -u > /out/out"])
    container_id = oci.new_id()
    oci.rt._remember(container_id)  # pylint: disable=protected-access
    result = oci.rt.cmd("run", "--no-pivot", "--bundle", oci.bundle(config), container_id)
    assert result.returncode == 0, result
    with open(oci.out_file("out")) as handle:
        assert handle.read() == "0\n"
