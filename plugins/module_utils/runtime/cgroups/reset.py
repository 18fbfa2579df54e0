# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Limits an earlier user left in a reused cgroup, and the writes that undo them.

create writes only what the config asks for, which is right for a cgroup it
has just made: the kernel gives a new cgroup no limits. A cgroup directory
that already existed (the orphan of a container whose state was lost, or one
made by hand) keeps whatever was written to it, so a container whose config
sets no memory limit would silently run under the old one. Before the
config's own writes, every limit file that does not hold the value of a new
cgroup gets that value back, so that the container's limits are exactly its
config's. Only files that differ are written: a kernel that cannot set a
value (memory.kmem.limit_in_bytes on Linux 6.x) never has one to undo.

Defaults are those of a new child cgroup, from Documentation/admin-guide/
cgroup-v1/ (memory.rst, cpusets.rst, blkio-controller.rst, hugetlb.rst,
net_cls.rst, net_prio.rst, rdma.rst), scheduler/sched-bwc.rst and
sched-rt-group.rst, and cgroup-v2.rst. Device rules are not here: create
always writes the whole v1 device list (devices.py).
"""

from .. import pathlite
from .files import read_control

# memory.limit_in_bytes and friends of an unlimited v1 cgroup read as
# PAGE_COUNTER_MAX pages in bytes (9223372036854771712 with 4 KiB pages);
# anything from 2**62 up is "no limit" for every page size.
_V1_UNLIMITED_FROM = 1 << 62


def _v1_unlimited(current):
    try:
        return int(current) >= _V1_UNLIMITED_FROM
    except ValueError:
        return False


def _scalar(filename, default, is_default=None):
    """A one-value file whose default is ``default``."""
    def check(files, directory):
        current = read_control(files, directory, filename)
        if current is None:
            return []
        same = is_default(current) if is_default else current == default
        return [] if same else [(filename, default)]
    return check


def _v1_limit(filename):
    return _scalar(filename, "-1", _v1_unlimited)


def _from_parent(filename):
    """A v1 file a new cgroup copies from its parent (cpuset.cpus/mems after create, memory.swappiness)."""
    def check(files, directory):
        current = read_control(files, directory, filename)
        parent = read_control(files, pathlite.dirname(directory), filename)
        if current is None or parent is None or current == parent:
            return []
        return [(filename, parent)]
    return check


def _oom_control(files, directory):
    # memory.rst 10 "OOM Control": the file reads "oom_kill_disable N\nunder_oom N..."; 0 turns the killer back on.
    current = read_control(files, directory, "memory.oom_control")
    if current is None or "oom_kill_disable 1" not in current.splitlines():
        return []
    return [("memory.oom_control", "0")]


def _per_line(filename, reset_line):
    """A file of one entry per line; ``reset_line(line)`` is the write that clears one entry, or None."""
    def check(files, directory):
        current = read_control(files, directory, filename)
        writes = []
        for line in (current or "").splitlines():
            write = reset_line(line.split())
            if write is not None:
                writes.append((filename, write))
        return writes
    return check


def _throttle(words):
    # blkio-controller.rst: a rate of 0 removes the device's rule.
    return "%s 0" % words[0] if len(words) == 2 and words[1] != "0" else None


def _io_max(words):
    # cgroup-v2.rst "io.max": "max" removes a limit; a device line lists only limits that are set.
    if len(words) > 1 and any(not w.endswith("=max") for w in words[1:]):
        return "%s rbps=max wbps=max riops=max wiops=max" % words[0]
    return None


def _io_weight(words):
    # cgroup-v2.rst "io.weight": "default 100" for all devices, "MAJ:MIN default" drops an override.
    if len(words) == 2 and words[0] == "default":
        return None if words[1] == "100" else "default 100"
    return "%s default" % words[0] if len(words) == 2 else None


def _rdma(words):
    # rdma.rst: "max" lifts a limit.
    if len(words) > 1 and any(not w.endswith("=max") for w in words[1:]):
        return "%s hca_handle=max hca_object=max" % words[0]
    return None


def _ifpriomap(words):
    return "%s 0" % words[0] if len(words) == 2 and words[1] != "0" else None


def _hugetlb(suffixes, default, is_default=None):
    """hugetlb.<page size>.<suffix> for every page size the kernel lists."""
    def check(files, directory):
        try:
            names = files.listdir(directory)
        except (OSError, IOError):
            return []
        writes = []
        for name in names:
            if name.startswith("hugetlb.") and any(name.endswith(suffix) and name.count(".") == 1 + suffix.count(".")
                                                   for suffix in suffixes):
                writes.extend(_scalar(name, default, is_default)(files, directory))
        return writes
    return check


_THROTTLE = ("blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
             "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device")

# controller -> checks, in the order their writes must happen.
V1_DEFAULTS = {
    # memory.rst 2.5: memsw must stay >= the memory limit, so it is raised first.
    "memory": [_v1_limit("memory.memsw.limit_in_bytes"), _v1_limit("memory.limit_in_bytes"),
               _v1_limit("memory.soft_limit_in_bytes"), _v1_limit("memory.kmem.limit_in_bytes"),
               _v1_limit("memory.kmem.tcp.limit_in_bytes"), _from_parent("memory.swappiness"), _oom_control],
    "pids": [_scalar("pids.max", "max")],
    # sched-bwc.rst: quota -1 fits any period; sched-rt-group.rst: runtime 0 fits any period.
    "cpu": [_scalar("cpu.cfs_quota_us", "-1"), _scalar("cpu.cfs_period_us", "100000"),
            _scalar("cpu.cfs_burst_us", "0"), _scalar("cpu.rt_runtime_us", "0"),
            _scalar("cpu.rt_period_us", "1000000"), _scalar("cpu.shares", "1024"), _scalar("cpu.idle", "0")],
    "cpuset": [_from_parent("cpuset.cpus"), _from_parent("cpuset.mems")],
    "blkio": [_per_line(name, _throttle) for name in _THROTTLE],
    "hugetlb": [_hugetlb((".limit_in_bytes", ".rsvd.limit_in_bytes"), "-1", _v1_unlimited)],
    "net_cls": [_scalar("net_cls.classid", "0")],
    "net_prio": [_per_line("net_prio.ifpriomap", _ifpriomap)],
    "rdma": [_per_line("rdma.max", _rdma)],
}

# cgroup v2: a controller's files exist in the cgroup only while its parent enables it, so a
# missing file is simply skipped.
V2_DEFAULTS = [
    _scalar("memory.swap.max", "max"), _scalar("memory.max", "max"), _scalar("memory.high", "max"),
    _scalar("memory.low", "0"), _scalar("memory.min", "0"), _scalar("memory.oom.group", "0"),
    _scalar("memory.swap.high", "max"), _scalar("memory.zswap.max", "max"),
    _scalar("pids.max", "max"),
    _scalar("cpu.max", "max 100000"), _scalar("cpu.max.burst", "0"), _scalar("cpu.weight", "100"),
    _scalar("cpu.idle", "0"), _scalar("cpu.uclamp.min", "0.00"), _scalar("cpu.uclamp.max", "max"),
    _scalar("cpuset.cpus", ""), _scalar("cpuset.mems", ""),
    _per_line("io.max", _io_max), _per_line("io.weight", _io_weight),
    # hugetlb.<size>.max reads as a byte count, not "max", on some kernels (6.x): both mean no limit.
    _hugetlb((".max", ".rsvd.max"), "max", lambda current: current == "max" or _v1_unlimited(current)),
    _per_line("rdma.max", _rdma),
]


def stale_limit_writes(files, hierarchy, directory):
    """(file name, value) writes that give ``directory`` a new cgroup's limits again, in order."""
    if hierarchy.is_v2:
        checks = V2_DEFAULTS
    else:
        checks = [check for controller in hierarchy.controllers for check in V1_DEFAULTS.get(controller, [])]
    writes = []
    for check in checks:
        writes.extend(check(files, directory))
    return writes
