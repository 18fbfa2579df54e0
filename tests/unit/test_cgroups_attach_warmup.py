# -*- coding: utf-8 -*-
"""cgroups/attach_warmup.py: which cgroup.procs the no-op migrations go to, and the thread's life."""
import os
import sys
import time

import pytest

from runtime.cgroups import attach_warmup

HYBRID_MOUNTINFO = """\
22 1 0:20 / / rw,relatime - ext4 /dev/vda rw
30 22 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw,nsdelegate
32 30 0:28 / /sys/fs/cgroup/systemd rw,nosuid - cgroup cgroup rw,xattr,name=systemd
33 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct
34 30 0:30 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory
"""

HYBRID_CGROUP = """\
4:memory:/user.slice/job
3:cpu,cpuacct:/user.slice
2:name=systemd:/user.slice/session-1.scope
0::/user.slice/session-1.scope
"""


def test_first_mapped_v1_hierarchy_is_preferred():
    path = attach_warmup.own_procs_file(HYBRID_CGROUP, HYBRID_MOUNTINFO)
    # systemd is the first v1 mount; its controller list "name=systemd" matches.
    assert path == "/sys/fs/cgroup/systemd/user.slice/session-1.scope/cgroup.procs"


def test_cheapest_hierarchy_to_attach_to_wins_over_mount_order():
    cgroup = "3:cpu,cpuacct:/a\n5:pids:/a\n6:memory:/a\n"
    mountinfo = ("33 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
                 "34 30 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
                 "35 30 0:31 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n")
    assert attach_warmup.own_procs_file(cgroup, mountinfo) == "/sys/fs/cgroup/pids/a/cgroup.procs"
    # without pids: the first of the equally costly ones
    assert attach_warmup.own_procs_file(cgroup, mountinfo.rsplit("35 ", 1)[0]) == \
        "/sys/fs/cgroup/cpu,cpuacct/a/cgroup.procs"


def test_comounted_controllers_match_in_any_order():
    cgroup = "3:cpuacct,cpu:/a/b\n"
    mountinfo = "33 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
    assert attach_warmup.own_procs_file(cgroup, mountinfo) == "/sys/fs/cgroup/cpu,cpuacct/a/b/cgroup.procs"


def test_unified_host_uses_the_cgroup2_tree():
    mountinfo = "30 22 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n"
    assert attach_warmup.own_procs_file("0::/system.slice/x.service\n", mountinfo) == \
        "/sys/fs/cgroup/system.slice/x.service/cgroup.procs"


def test_root_cgroup_maps_to_the_mount_point():
    mountinfo = "30 22 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
    assert attach_warmup.own_procs_file("0::/\n", mountinfo) == "/sys/fs/cgroup/cgroup.procs"


def test_a_mount_of_a_subtree_maps_below_its_root():
    mountinfo = "40 22 0:29 /lxc/c1 /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"
    assert attach_warmup.own_procs_file("5:pids:/lxc/c1/inner\n", mountinfo) == \
        "/sys/fs/cgroup/pids/inner/cgroup.procs"
    assert attach_warmup.own_procs_file("5:pids:/lxc/c1\n", mountinfo) == "/sys/fs/cgroup/pids/cgroup.procs"


@pytest.mark.parametrize("cgroup, mountinfo", [
    # our cgroup is outside what the mount shows: writing there would move us
    ("5:pids:/other\n", "40 22 0:29 /lxc/c1 /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"),
    # a prefix that is not a path component
    ("5:pids:/lxc/c10\n", "40 22 0:29 /lxc/c1 /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"),
    # outside our cgroup namespace
    ("0::/../../host.slice\n", "30 22 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"),
    # a removed cgroup
    ("0::/gone (deleted)\n", "30 22 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"),
    # no hierarchy line for the mounted controllers
    ("4:memory:/x\n", "40 22 0:29 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"),
    # no cgroup mount at all
    ("0::/\n", "22 1 0:20 / / rw,relatime - ext4 /dev/vda rw\n"),
    # garbage
    ("nonsense\n", "nonsense\n"),
])
def test_paths_that_do_not_map_give_none(cgroup, mountinfo):
    assert attach_warmup.own_procs_file(cgroup, mountinfo) is None


def test_escaped_mount_point_is_unescaped():
    # proc(5): mountinfo writes a space as \040 (detect.parse_mountinfo decodes it).
    mountinfo = "30 22 0:26 / /sys/fs/my\\040cgroup rw - cgroup2 cgroup2 rw\n"
    assert attach_warmup.own_procs_file("0::/a\n", mountinfo) == "/sys/fs/my cgroup/a/cgroup.procs"


def test_v1_that_does_not_map_falls_back_to_v2():
    cgroup = "4:memory:/elsewhere\n0::/user.slice\n"
    mountinfo = ("34 30 0:30 /sub /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
                 "31 30 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n")
    assert attach_warmup.own_procs_file(cgroup, mountinfo) == "/sys/fs/cgroup/unified/user.slice/cgroup.procs"


@pytest.fixture
def fake_procs(tmp_path, monkeypatch):
    """own_procs_file points at a regular file: the zeros the thread writes pile up there."""
    target = tmp_path / "cgroup.procs"
    target.write_bytes(b"")
    monkeypatch.setattr(attach_warmup, "own_procs_file", lambda: str(target))
    yield target
    for warmup in list(attach_warmup._current):
        warmup.end()


def wait_for(predicate, timeout=2.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()


def test_thread_writes_zero_until_ended_and_restores_the_switch_interval(fake_procs):
    before = sys.getswitchinterval()
    warmup = attach_warmup.begin()
    assert not warmup.stopped
    assert sys.getswitchinterval() <= attach_warmup.SWITCH_INTERVAL
    assert attach_warmup.begin() is warmup  # one per process
    assert wait_for(lambda: len(fake_procs.read_bytes()) >= 3)
    assert set(fake_procs.read_bytes()) == {ord("0")}
    warmup.end()
    assert sys.getswitchinterval() == before
    time.sleep(attach_warmup.INTERVAL * 10)
    settled = len(fake_procs.read_bytes())
    time.sleep(attach_warmup.INTERVAL * 10)
    assert len(fake_procs.read_bytes()) == settled
    warmup.end()  # idempotent
    assert attach_warmup.begin() is not warmup


def test_thread_stops_by_itself_after_max_seconds(fake_procs, monkeypatch):
    monkeypatch.setattr(attach_warmup, "MAX_SECONDS", 0.05)
    warmup = attach_warmup.begin()
    time.sleep(0.2)
    settled = len(fake_procs.read_bytes())
    assert settled > 0
    time.sleep(0.1)
    assert len(fake_procs.read_bytes()) == settled
    warmup.end()


def test_its_fd_sits_above_the_callers_fds(fake_procs):
    warmup = attach_warmup.begin()
    try:
        assert wait_for(fake_procs.read_bytes)
        fds = [int(fd) for fd in os.listdir("/proc/self/fd")]
        held = [fd for fd in fds if _points_to(fd, str(fake_procs))]
        assert held and all(fd >= attach_warmup.HIGH_FD for fd in held)
        assert all(os.get_inheritable(fd) is False for fd in held)
    finally:
        warmup.end()


def _points_to(fd, path):
    try:
        return os.readlink("/proc/self/fd/%d" % fd) == path
    except OSError:
        return False


def test_no_cgroupfs_means_no_thread(monkeypatch):
    monkeypatch.setattr(attach_warmup, "own_procs_file", lambda: None)
    before = sys.getswitchinterval()
    warmup = attach_warmup.begin()
    assert warmup.stopped and not attach_warmup._current
    assert sys.getswitchinterval() == before
    warmup.end()


def test_unreadable_proc_means_no_thread(monkeypatch):
    def broken():
        raise IOError(2, "No such file or directory")
    monkeypatch.setattr(attach_warmup, "own_procs_file", broken)
    warmup = attach_warmup.begin()
    assert warmup.stopped and not attach_warmup._current


@pytest.mark.skipif(os.geteuid() != 0, reason="moving a process in the host's cgroupfs needs root")
def test_on_this_host_the_warm_up_leaves_our_cgroups_unchanged():
    path = attach_warmup.own_procs_file()
    if path is None:
        pytest.skip("no cgroup hierarchy of this process is mounted where it maps")
    with open("/proc/self/cgroup") as handle:
        before = handle.read()
    warmup = attach_warmup.begin()
    try:
        time.sleep(0.05)
    finally:
        warmup.end()
    time.sleep(attach_warmup.INTERVAL * 5)
    with open("/proc/self/cgroup") as handle:
        assert handle.read() == before
    with open(path) as handle:
        assert str(os.getpid()) in handle.read().split()
