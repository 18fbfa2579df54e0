# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""OCI resources -> cgroup v2 control files.

The OCI fields were designed around cgroup v1; Documentation/admin-guide/
cgroup-v2.rst defines different files and units, so some values are
converted the way runc does it so that the same config behaves the same:

* cpu.shares (2..262144, default 1024) -> cpu.weight (1..10000, default 100)
  by the linear map weight = 1 + (shares - 2) * 9999 / 262142;
* quota/period -> cpu.max "QUOTA PERIOD" ("max" when there is no quota);
* blkio weight (10..1000) -> io.weight (1..10000) by the same kind of map;
* memory.swap (memory+swap in OCI) -> memory.swap.max (swap alone);
* unlimited is the word "max", not -1.

Fields v2 has no file for (realtime cpu, swappiness, oom killer switch,
kernel memory limits, leaf weights) raise UnsupportedError when set.
"""

from ..errors import SpecError, UnsupportedError
from . import v1
from .values import Write, boolean, field, integer, v2_limit

DEFAULT_CPU_PERIOD = 100000  # sched-bwc.rst: the kernel's default period, 100ms


def shares_to_weight(shares):
    """cpu.shares -> cpu.weight; 0 means "not set"."""
    if shares == 0:
        return 0
    return 1 + ((shares - 2) * 9999) // 262142


def blkio_weight_to_io_weight(weight):
    """blkio.weight (10..1000) -> io.weight (1..10000); 0 means "not set"."""
    if weight == 0:
        return 0
    return 1 + ((weight - 10) * 9999) // 990


def swap_max(swap, limit):
    """memory.swap.max for OCI memory+swap ``swap`` and memory ``limit``.

    Returns None when nothing should be written.
    """
    where = field("memory", "swap")
    if swap is None or swap == 0:
        # v1 compatibility: "memory unlimited, swap unset" means both unlimited.
        return "max" if limit == -1 else None
    if swap < 0:
        return "max"
    if limit is None or limit <= 0:
        raise SpecError(where, "a swap limit (%d) needs a positive memory.limit on cgroup v2, "
                        "where swap is limited separately from memory" % swap)
    if swap < limit:
        raise SpecError(where, "memory+swap limit %d is smaller than memory.limit %d"
                        % (swap, limit))
    return str(swap - limit)


def _unsupported(where, why):
    raise UnsupportedError("%s: not supported on cgroup v2: %s" % (where, why))


def memory(mem):
    writes = []
    limit = mem.get("limit")
    if limit is not None:
        limit = integer(field("memory", "limit"), limit, -1)
        writes.append(Write("memory", "memory.max", v2_limit(limit), field("memory", "limit")))
    swap = mem.get("swap")
    if swap is not None:
        swap = integer(field("memory", "swap"), swap, -1)
    swap_value = swap_max(swap, limit)
    if swap_value is not None:
        writes.append(Write("memory", "memory.swap.max", swap_value, field("memory", "swap")))
    if mem.get("reservation") is not None:
        where = field("memory", "reservation")
        writes.append(Write("memory", "memory.low", v2_limit(integer(where, mem["reservation"], -1)),
                            where))
    for key in ("kernel", "kernelTCP"):
        if mem.get(key) is not None:
            _unsupported(field("memory", key), "there is no separate kernel memory limit")
    if mem.get("swappiness") is not None:
        _unsupported(field("memory", "swappiness"), "there is no per-cgroup swappiness file")
    if mem.get("disableOOMKiller") is not None:
        where = field("memory", "disableOOMKiller")
        if boolean(where, mem["disableOOMKiller"]):
            _unsupported(where, "the OOM killer cannot be disabled per cgroup")
    if mem.get("useHierarchy") is not None:
        where = field("memory", "useHierarchy")
        if not boolean(where, mem["useHierarchy"]):
            _unsupported(where, "memory accounting is always hierarchical")
    return writes


def pids(section):
    return v1.pids(section)  # pids.max is the same file in both versions


def cpu(section):
    writes = []
    shares = section.get("shares")
    if shares is not None:
        weight = shares_to_weight(integer(field("cpu", "shares"), shares, 0))
        if weight:
            writes.append(Write("cpu", "cpu.weight", weight, field("cpu", "shares")))
    quota = section.get("quota")
    period = section.get("period")
    quota = 0 if quota is None else integer(field("cpu", "quota"), quota, -1)
    period = 0 if period is None else integer(field("cpu", "period"), period, 0)
    if quota != 0 or period != 0:
        which = field("cpu", "quota") if quota != 0 else field("cpu", "period")
        writes.append(Write("cpu", "cpu.max", "%s %d" % (quota if quota > 0 else "max",
                                                         period or DEFAULT_CPU_PERIOD), which))
    if section.get("burst") is not None:
        where = field("cpu", "burst")
        writes.append(Write("cpu", "cpu.max.burst", integer(where, section["burst"], 0), where))
    for key in ("realtimeRuntime", "realtimePeriod"):
        if section.get(key):
            integer(field("cpu", key), section[key])
            _unsupported(field("cpu", key), "there is no realtime scheduling group controller")
    if section.get("idle") is not None:
        where = field("cpu", "idle")
        writes.append(Write("cpu", "cpu.idle", integer(where, section["idle"], 0), where))
    return writes


def cpuset(section):
    return v1.cpuset(section)  # cpuset.cpus / cpuset.mems keep their names


def io(section):
    """io controller writes: io.weight and one io.max line per device."""
    writes = []
    if section.get("weight") is not None:
        where = field("blockIO", "weight")
        weight = blkio_weight_to_io_weight(integer(where, section["weight"], 0))
        if weight:
            writes.append(Write("io", "io.weight", "default %d" % weight, where))
    if section.get("leafWeight") is not None:
        _unsupported(field("blockIO", "leafWeight"), "io has no leaf weight")
    for index, entry in enumerate(v1.device_list(section, "weightDevice")):
        where = field("blockIO", "weightDevice", index)
        dev = v1.device_number(where, entry)
        if entry.get("leafWeight") is not None:
            _unsupported(where + ".leafWeight", "io has no leaf weight")
        if entry.get("weight") is not None:
            weight = blkio_weight_to_io_weight(integer(where + ".weight", entry["weight"], 0))
            writes.append(Write("io", "io.weight", "%s %d" % (dev, weight), where + ".weight"))
    # io.max takes "MAJ:MIN key=value..." and keeps keys not named, so the
    # four throttle lists are merged into one line per device.
    per_device = {}
    order = []
    for key, _filename, name in v1.THROTTLE_FIELDS:
        for index, entry in enumerate(v1.device_list(section, key)):
            where = field("blockIO", key, index)
            dev = v1.device_number(where, entry)
            rate = integer(where + ".rate", entry.get("rate"), 0)
            if dev not in per_device:
                per_device[dev] = ([], where)
                order.append(dev)
            per_device[dev][0].append("%s=%s" % (name, rate if rate > 0 else "max"))
    for dev in order:
        settings, where = per_device[dev]
        writes.append(Write("io", "io.max", "%s %s" % (dev, " ".join(settings)), where))
    return writes


def hugetlb(limits):
    return [Write("hugetlb", "hugetlb.%s.max" % size, v2_limit(limit), where + ".limit")
            for where, size, limit in v1.hugetlb_entries(limits)]


def rdma(limits):
    return v1.rdma(limits)
