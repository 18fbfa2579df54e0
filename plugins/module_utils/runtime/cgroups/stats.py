# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Usage statistics of a cgroup, in the shape runc's `events --stats` prints.

Tools written for runc (containerd's shim, podman) parse that JSON, so the
keys follow it: data.cpu.usage (nanoseconds), data.cpu.throttling,
data.memory.{usage,swap,kernel,kernelTCP} (bytes: limit, usage, max,
failcnt) plus raw memory.stat, data.pids.{current,limit} (limit 0 = none),
data.blkio.* lists of {major, minor, op, value} and data.hugetlb per page
size. Sources: cgroup-v1/{cpuacct,memory,blkio-controller,hugetlb,pids}.rst,
scheduler/sched-bwc.rst (cpu.stat) and cgroup-v2.rst (cpu.stat, memory.*,
io.stat, pids.*, hugetlb.*). A file the kernel does not have reads as 0.

``dirs`` maps a controller name to (flavor, directory): "v1" or "v2".
"""

import os

from .files import read_control

# A v2 limit of "max" is reported as the largest uint64, as runc does.
UINT64_MAX = (1 << 64) - 1

_BLKIO_V1 = (("ioServiceBytesRecursive", "io_service_bytes_recursive"),
             ("ioServicedRecursive", "io_serviced_recursive"),
             ("ioQueueRecursive", "io_queued_recursive"),
             ("ioServiceTimeRecursive", "io_service_time_recursive"),
             ("ioWaitTimeRecursive", "io_wait_time_recursive"),
             ("ioMergedRecursive", "io_merged_recursive"),
             ("ioTimeRecursive", "time_recursive"),
             ("sectorsRecursive", "sectors_recursive"))


def _int(text, unlimited=UINT64_MAX):
    if text is None or text == "":
        return 0
    if text == "max":
        return unlimited
    try:
        return int(text.split()[0])
    except ValueError:
        return 0


def _keyed(text):
    """"key value" lines (memory.stat, cpu.stat, cgroup.events) -> dict of ints."""
    out = {}
    for line in (text or "").splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                out[parts[0]] = int(parts[1])
            except ValueError:
                continue
    return out


def _read(files, directory, name):
    return read_control(files, directory, name)


def _cpu(files, dirs):
    usage = {"total": 0, "percpu": [], "percpu_kernel": [], "percpu_user": [], "kernel": 0, "user": 0}
    throttling = {"periods": 0, "throttledPeriods": 0, "throttledTime": 0}
    acct = dirs.get("cpuacct")
    if acct and acct[0] == "v1":
        d = acct[1]
        usage["total"] = _int(_read(files, d, "cpuacct.usage"))
        for key, name in (("percpu", "cpuacct.usage_percpu"), ("percpu_kernel", "cpuacct.usage_percpu_sys"),
                          ("percpu_user", "cpuacct.usage_percpu_user")):
            usage[key] = [int(v) for v in (_read(files, d, name) or "").split() if v.isdigit()]
        # cpuacct.stat counts USER_HZ ticks (cpuacct.rst); runc reports nanoseconds.
        ticks = _keyed(_read(files, d, "cpuacct.stat"))
        hertz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        usage["user"] = ticks.get("user", 0) * 1000000000 // hertz
        usage["kernel"] = ticks.get("system", 0) * 1000000000 // hertz
    cpu = dirs.get("cpu")
    if cpu:
        stat = _keyed(_read(files, cpu[1], "cpu.stat"))
        throttling["periods"] = stat.get("nr_periods", 0)
        throttling["throttledPeriods"] = stat.get("nr_throttled", 0)
        if cpu[0] == "v1":
            throttling["throttledTime"] = stat.get("throttled_time", 0)
        else:
            # cgroup-v2.rst: cpu.stat is in microseconds.
            throttling["throttledTime"] = stat.get("throttled_usec", 0) * 1000
            if not (acct and acct[0] == "v1"):
                usage["total"] = stat.get("usage_usec", 0) * 1000
                usage["user"] = stat.get("user_usec", 0) * 1000
                usage["kernel"] = stat.get("system_usec", 0) * 1000
    return {"usage": usage, "throttling": throttling}


def _entry(limit=0, usage=0, maximum=0, failcnt=0):
    return {"limit": limit, "usage": usage, "max": maximum, "failcnt": failcnt}


def _memory_v1(files, d):
    def entry(prefix):
        return _entry(_int(_read(files, d, prefix + "limit_in_bytes")),
                      _int(_read(files, d, prefix + "usage_in_bytes")),
                      _int(_read(files, d, prefix + "max_usage_in_bytes")),
                      _int(_read(files, d, prefix + "failcnt")))
    raw = _keyed(_read(files, d, "memory.stat"))
    return {"cache": raw.get("cache", 0), "usage": entry("memory."), "swap": entry("memory.memsw."),
            "kernel": entry("memory.kmem."), "kernelTCP": entry("memory.kmem.tcp."), "raw": raw}


def _memory_v2(files, d):
    raw = _keyed(_read(files, d, "memory.stat"))
    usage = _int(_read(files, d, "memory.current"))
    events = _keyed(_read(files, d, "memory.events"))
    memory = _entry(_int(_read(files, d, "memory.max")), usage,
                    _int(_read(files, d, "memory.peak")), events.get("max", 0))
    # Like runc: v2 swap is reported as memory+swap, the v1 meaning of "swap".
    swap_usage = _int(_read(files, d, "memory.swap.current"))
    swap_limit = _int(_read(files, d, "memory.swap.max"))
    if swap_limit != UINT64_MAX and memory["limit"] != UINT64_MAX:
        swap_limit += memory["limit"]
    else:
        swap_limit = UINT64_MAX
    swap_events = _keyed(_read(files, d, "memory.swap.events"))
    return {"cache": raw.get("file", 0), "usage": memory,
            "swap": _entry(swap_limit, swap_usage + usage, 0, swap_events.get("max", 0)),
            "kernel": _entry(), "kernelTCP": _entry(), "raw": raw}


def _pids(files, dirs, fallback_count):
    where = dirs.get("pids")
    if not where:
        return {"current": fallback_count(), "limit": 0}
    # pids.rst: pids.max "max" means no limit; runc reports 0 for it.
    return {"current": _int(_read(files, where[1], "pids.current")),
            "limit": _int(_read(files, where[1], "pids.max"), unlimited=0)}


def _device_lines(text):
    """Lines "MAJ:MIN Op VALUE" of the v1 blkio files ("Total N" skipped)."""
    entries = []
    for line in (text or "").splitlines():
        parts = line.split()
        if len(parts) == 3 and ":" in parts[0]:
            major, dummy, minor = parts[0].partition(":")
            try:
                entries.append({"major": int(major), "minor": int(minor), "op": parts[1], "value": int(parts[2])})
            except ValueError:
                continue
        elif len(parts) == 2 and ":" in parts[0]:  # sectors/time: no op
            major, dummy, minor = parts[0].partition(":")
            try:
                entries.append({"major": int(major), "minor": int(minor), "op": "", "value": int(parts[1])})
            except ValueError:
                continue
    return entries


def _blkio(files, dirs):
    where = dirs.get("blkio") or dirs.get("io")
    out = dict((key, []) for key, _name in _BLKIO_V1)
    if not where:
        return out
    flavor, d = where
    if flavor == "v1":
        for key, name in _BLKIO_V1:
            out[key] = _device_lines(_read(files, d, "blkio." + name))
        if not out["ioServiceBytesRecursive"]:
            # Without CFQ/BFQ only the throttle files count I/O (blkio-controller.rst).
            out["ioServiceBytesRecursive"] = _device_lines(_read(files, d, "blkio.throttle.io_service_bytes_recursive")
                                                           or _read(files, d, "blkio.throttle.io_service_bytes"))
            out["ioServicedRecursive"] = _device_lines(_read(files, d, "blkio.throttle.io_serviced_recursive")
                                                       or _read(files, d, "blkio.throttle.io_serviced"))
        return out
    # cgroup-v2.rst io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N".
    for line in (_read(files, d, "io.stat") or "").splitlines():
        parts = line.split()
        if not parts or ":" not in parts[0]:
            continue
        major, dummy, minor = parts[0].partition(":")
        values = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
        for key, name, op in (("ioServiceBytesRecursive", "rbytes", "Read"), ("ioServiceBytesRecursive", "wbytes", "Write"),
                              ("ioServicedRecursive", "rios", "Read"), ("ioServicedRecursive", "wios", "Write")):
            try:
                out[key].append({"major": int(major), "minor": int(minor), "op": op, "value": int(values.get(name, 0))})
            except ValueError:
                continue
    return out


def _hugetlb(files, dirs, names):
    where = dirs.get("hugetlb")
    out = {}
    if not where:
        return out
    flavor, d = where
    suffix = ".usage_in_bytes" if flavor == "v1" else ".current"
    for name in names(d):
        if not (name.startswith("hugetlb.") and name.endswith(suffix)) or name.startswith("hugetlb.rsvd"):
            continue
        size = name[len("hugetlb."):-len(suffix)]
        if "." in size:
            continue
        base = "hugetlb." + size
        if flavor == "v1":
            out[size] = {"usage": _int(_read(files, d, name)),
                         "max": _int(_read(files, d, base + ".max_usage_in_bytes")),
                         "failcnt": _int(_read(files, d, base + ".failcnt"))}
        else:
            out[size] = {"usage": _int(_read(files, d, name)), "max": 0,
                         "failcnt": _keyed(_read(files, d, base + ".events")).get("max", 0)}
    return out


_CPUSET_V1_FLAGS = ("cpu_exclusive", "mem_hardwall", "mem_exclusive", "memory_migrate", "memory_spread_page",
                    "memory_spread_slab", "memory_pressure", "sched_load_balance", "sched_relax_domain_level")


def cpu_list(text):
    """"0-2,5" (cpusets.rst list format) -> [0, 1, 2, 5]."""
    out = []
    for part in (text or "").split(","):
        low, dummy, high = part.strip().partition("-")
        try:
            out.extend(range(int(low), int(high or low) + 1))
        except ValueError:
            continue
    return out


def _cpuset(files, dirs):
    where = dirs.get("cpuset")
    if not where:
        return {"cpus": [], "mems": []}
    flavor, d = where
    if flavor == "v1":
        out = {"cpus": cpu_list(_read(files, d, "cpuset.cpus")), "mems": cpu_list(_read(files, d, "cpuset.mems"))}
        for name in _CPUSET_V1_FLAGS:
            value = _read(files, d, "cpuset." + name)
            try:
                out[name] = int(value)
            except (TypeError, ValueError):
                out[name] = 0
        return out
    # cgroup-v2.rst: the .effective files hold what the cgroup really gets.
    return {"cpus": cpu_list(_read(files, d, "cpuset.cpus.effective")),
            "mems": cpu_list(_read(files, d, "cpuset.mems.effective"))}


def collect(files, dirs, names, fallback_count):
    """One stats sample (the ``data`` object of runc's stats event).

    ``names(directory)`` lists the files of a cgroup directory (hugetlb page
    sizes are found from the file names); ``fallback_count()`` counts the
    processes when there is no pids controller.
    """
    memory = dirs.get("memory")
    if memory and memory[0] == "v1":
        mem = _memory_v1(files, memory[1])
    elif memory:
        mem = _memory_v2(files, memory[1])
    else:
        mem = {"cache": 0, "usage": _entry(), "swap": _entry(), "kernel": _entry(), "kernelTCP": _entry(), "raw": {}}
    return {"cpu": _cpu(files, dirs), "cpuset": _cpuset(files, dirs), "memory": mem,
            "pids": _pids(files, dirs, fallback_count), "blkio": _blkio(files, dirs),
            "hugetlb": _hugetlb(files, dirs, names), "intel_rdt": {}, "network_interfaces": None}
