# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""OCI resources -> cgroup v1 control files.

File names and units follow Documentation/admin-guide/cgroup-v1/ (memory.rst,
cpusets.rst, blkio-controller.rst, hugetlb.rst, net_cls.rst, net_prio.rst,
rdma.rst) and sched-bwc.rst / sched-rt-group.rst for the cpu controller. In
v1, -1 written to a limit file means "no limit".
"""

from ..errors import SpecError
from .values import Write, boolean, field, integer, page_size, text

# memory.limit_in_bytes of a fresh cgroup (PAGE_COUNTER_MAX pages), used when
# the current limit cannot be read.
_UNLIMITED = 1 << 63


def _unlimited_or_value(value):
    return _UNLIMITED if value < 0 else value


def memory(mem, current_limit=None):
    """memory controller writes; ``current_limit`` is memory.limit_in_bytes now."""
    writes = []
    limit = mem.get("limit")
    swap = mem.get("swap")
    limit_write = swap_write = None
    if limit is not None:
        limit_write = Write("memory", "memory.limit_in_bytes",
                            integer(field("memory", "limit"), limit, -1), field("memory", "limit"))
    if swap is not None:
        # OCI "swap" is memory+swap, exactly what memory.memsw.limit_in_bytes holds.
        swap_write = Write("memory", "memory.memsw.limit_in_bytes",
                           integer(field("memory", "swap"), swap, -1), field("memory", "swap"))
    if limit_write and swap_write:
        # The kernel keeps memsw >= memory at every moment (memory.rst 2.5):
        # when the limit grows, raise memsw first; when it shrinks, lower the
        # memory limit first.
        current = _UNLIMITED if current_limit is None else _unlimited_or_value(current_limit)
        if _unlimited_or_value(limit) > current:
            writes += [swap_write, limit_write]
        else:
            writes += [limit_write, swap_write]
    else:
        writes += [w for w in (limit_write, swap_write) if w]
    simple = (("reservation", "memory.soft_limit_in_bytes"),
              ("kernel", "memory.kmem.limit_in_bytes"),
              ("kernelTCP", "memory.kmem.tcp.limit_in_bytes"))
    for key, filename in simple:
        if mem.get(key) is not None:
            writes.append(Write("memory", filename, integer(field("memory", key), mem[key], -1),
                                field("memory", key)))
    if mem.get("swappiness") is not None:
        where = field("memory", "swappiness")
        value = integer(where, mem["swappiness"], 0)
        if value > 100:
            raise SpecError(where, "must be between 0 and 100, not %d" % value)
        writes.append(Write("memory", "memory.swappiness", value, where))
    if mem.get("disableOOMKiller") is not None:
        where = field("memory", "disableOOMKiller")
        if boolean(where, mem["disableOOMKiller"]):
            writes.append(Write("memory", "memory.oom_control", 1, where))
    if mem.get("useHierarchy") is not None:
        where = field("memory", "useHierarchy")
        writes.append(Write("memory", "memory.use_hierarchy",
                            1 if boolean(where, mem["useHierarchy"]) else 0, where))
    return writes


def pids(section):
    where = field("pids", "limit")
    if section.get("limit") is None:
        return []
    limit = integer(where, section["limit"])
    # runc writes "max" for 0 and -1: the pids controller has no "0 = none".
    return [Write("pids", "pids.max", limit if limit > 0 else "max", where)]


def cpu(section):
    """cpu controller writes (CFS bandwidth, shares, realtime, idle)."""
    writes = []

    def add(key, filename, minimum=None, skip_zero=True):
        if section.get(key) is None:
            return
        value = integer(field("cpu", key), section[key], minimum)
        if value == 0 and skip_zero:
            return  # 0 means "not set" for these fields, as in runc
        writes.append(Write("cpu", filename, value, field("cpu", key)))

    add("shares", "cpu.shares", 0)
    # sched-bwc.rst: the period is written first so that the quota is checked
    # against the new period (a fresh cgroup has quota -1, so any period fits).
    add("period", "cpu.cfs_period_us", 0)
    add("quota", "cpu.cfs_quota_us", -1)
    if len(writes) >= 2 and writes[-2].filename == "cpu.cfs_period_us" and writes[-1].filename == "cpu.cfs_quota_us":
        # ...unless the new period with the old quota exceeds the parent's
        # quota, while the new pair fits: then quota first (runc's fs/cpu.go).
        writes[-2].retry_after_next = True
    add("burst", "cpu.cfs_burst_us", 0, skip_zero=False)
    # sched-rt-group.rst: runtime must fit in the period, so period first.
    add("realtimePeriod", "cpu.rt_period_us", 0)
    add("realtimeRuntime", "cpu.rt_runtime_us", -1)
    add("idle", "cpu.idle", 0, skip_zero=False)
    return writes


def cpuset(section, controller="cpuset"):
    """cpuset.cpus / cpuset.mems (same names in v1 and v2)."""
    writes = []
    for key, filename in (("cpus", "cpuset.cpus"), ("mems", "cpuset.mems")):
        if section.get(key) is not None and section[key] != "":
            writes.append(Write(controller, filename, text(field("cpu", key), section[key]),
                                field("cpu", key)))
    return writes


def device_number(where, entry):
    if not isinstance(entry, dict):
        raise SpecError(where, "must be an object with major and minor")
    for key in ("major", "minor"):
        if key not in entry:
            raise SpecError("%s.%s" % (where, key), "is required")
    return "%d:%d" % (integer(where + ".major", entry["major"], 0),
                      integer(where + ".minor", entry["minor"], 0))


THROTTLE_FIELDS = (("throttleReadBpsDevice", "blkio.throttle.read_bps_device", "rbps"),
                   ("throttleWriteBpsDevice", "blkio.throttle.write_bps_device", "wbps"),
                   ("throttleReadIOPSDevice", "blkio.throttle.read_iops_device", "riops"),
                   ("throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", "wiops"))


def device_list(section, key):
    value = section.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise SpecError(field("blockIO", key), "must be an array")
    return value


def blkio(section):
    writes = []
    for key, filename, fallback in (("weight", "blkio.weight", "blkio.bfq.weight"),
                                    ("leafWeight", "blkio.leaf_weight", None)):
        if section.get(key) is not None:
            where = field("blockIO", key)
            writes.append(Write("blkio", filename, integer(where, section[key], 0), where,
                                fallback))
    for index, entry in enumerate(device_list(section, "weightDevice")):
        where = field("blockIO", "weightDevice", index)
        dev = device_number(where, entry)
        if entry.get("weight") is not None:
            writes.append(Write("blkio", "blkio.weight_device",
                                "%s %d" % (dev, integer(where + ".weight", entry["weight"], 0)),
                                where + ".weight", "blkio.bfq.weight_device"))
        if entry.get("leafWeight") is not None:
            writes.append(Write("blkio", "blkio.leaf_weight_device",
                                "%s %d" % (dev, integer(where + ".leafWeight",
                                                        entry["leafWeight"], 0)),
                                where + ".leafWeight"))
    for key, filename, _unused in THROTTLE_FIELDS:
        for index, entry in enumerate(device_list(section, key)):
            where = field("blockIO", key, index)
            dev = device_number(where, entry)
            rate = integer(where + ".rate", entry.get("rate"), 0)
            writes.append(Write("blkio", filename, "%s %d" % (dev, rate), where))
    return writes


def hugetlb_entries(limits):
    """Yield (JSON path, page size, limit) for linux.resources.hugepageLimits."""
    for index, entry in enumerate(limits):
        where = field("hugepageLimits", index)
        if not isinstance(entry, dict):
            raise SpecError(where, "must be an object with pageSize and limit")
        size = page_size(where + ".pageSize", entry.get("pageSize"))
        yield where, size, integer(where + ".limit", entry.get("limit"), -1)


def hugetlb(limits):
    return [Write("hugetlb", "hugetlb.%s.limit_in_bytes" % size, limit, where + ".limit")
            for where, size, limit in hugetlb_entries(limits)]


def net_cls(network):
    where = field("network", "classID")
    return [Write("net_cls", "net_cls.classid", integer(where, network["classID"], 0), where)]


def net_prio(network):
    priorities = network.get("priorities")
    if not isinstance(priorities, list):
        raise SpecError(field("network", "priorities"), "must be an array")
    writes = []
    for index, entry in enumerate(priorities):
        where = field("network", "priorities", index)
        if not isinstance(entry, dict):
            raise SpecError(where, "must be an object with name and priority")
        name = text(where + ".name", entry.get("name"))
        prio = integer(where + ".priority", entry.get("priority"), 0)
        # net_prio.rst: one "ifname priority" pair per write.
        writes.append(Write("net_prio", "net_prio.ifpriomap", "%s %d" % (name, prio), where))
    return writes


def rdma(limits):
    """rdma.max lines "DEVICE hca_handle=N hca_object=N" (same in v1 and v2)."""
    writes = []
    for device in sorted(limits):
        where = field("rdma", device)
        entry = limits[device]
        if not isinstance(entry, dict):
            raise SpecError(where, "must be an object")
        parts = [device]
        for key, name in (("hcaHandles", "hca_handle"), ("hcaObjects", "hca_object")):
            if entry.get(key) is not None:
                parts.append("%s=%d" % (name, integer(where + "." + key, entry[key], 0)))
        if len(parts) > 1:
            writes.append(Write("rdma", "rdma.max", " ".join(parts), where))
    return writes
