# -*- coding: utf-8 -*-
"""Stats (runc's events --stats shape) from simulated v1 and v2 cgroup files."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_cgroups_sim import SimHost  # noqa: E402

from runtime.cgroups import stats  # noqa: E402

LEAF = "opencontainer/c1"


def put(directory, name, text):
    with open(os.path.join(directory, name), "w") as handle:
        handle.write(text)


def test_v1_stats(tmp_path):
    host = SimHost(tmp_path, "legacy")
    mgr = host.manager("c1")
    mgr.create()
    cpu = host.path("cpu,cpuacct", LEAF)
    put(cpu, "cpuacct.usage", "5000\n")
    put(cpu, "cpuacct.usage_percpu", "3000 2000 \n")
    put(cpu, "cpuacct.stat", "user 3\nsystem 2\n")
    put(cpu, "cpu.stat", "nr_periods 10\nnr_throttled 4\nthrottled_time 777\n")
    mem = host.path("memory", LEAF)
    put(mem, "memory.usage_in_bytes", "4096\n")
    put(mem, "memory.max_usage_in_bytes", "8192\n")
    put(mem, "memory.limit_in_bytes", "1048576\n")
    put(mem, "memory.failcnt", "1\n")
    put(mem, "memory.stat", "cache 100\nrss 200\n")
    put(host.path("pids", LEAF), "pids.current", "3\n")
    put(host.path("pids", LEAF), "pids.max", "max\n")
    put(host.path("blkio", LEAF), "blkio.throttle.io_service_bytes_recursive",
        "8:0 Read 10\n8:0 Write 20\nTotal 30\n")
    put(host.path("hugetlb", LEAF), "hugetlb.2MB.usage_in_bytes", "0\n")
    put(host.path("hugetlb", LEAF), "hugetlb.2MB.failcnt", "2\n")
    put(host.path("cpuset", LEAF), "cpuset.cpus", "0-2,5\n")
    data = mgr.stats()
    hz = os.sysconf("SC_CLK_TCK")
    assert data["cpu"]["usage"] == {"total": 5000, "percpu": [3000, 2000], "percpu_kernel": [],
                                    "percpu_user": [], "user": 3 * 10 ** 9 // hz,
                                    "kernel": 2 * 10 ** 9 // hz}
    assert data["cpu"]["throttling"] == {"periods": 10, "throttledPeriods": 4, "throttledTime": 777}
    assert data["memory"]["usage"] == {"limit": 1048576, "usage": 4096, "max": 8192, "failcnt": 1}
    assert data["memory"]["cache"] == 100 and data["memory"]["raw"]["rss"] == 200
    assert data["pids"] == {"current": 3, "limit": 0}
    assert data["blkio"]["ioServiceBytesRecursive"] == [
        {"major": 8, "minor": 0, "op": "Read", "value": 10},
        {"major": 8, "minor": 0, "op": "Write", "value": 20}]
    assert data["hugetlb"] == {"2MB": {"usage": 0, "max": 0, "failcnt": 2}}
    assert data["cpuset"]["cpus"] == [0, 1, 2, 5]
    assert data["network_interfaces"] is None


def test_v2_stats(tmp_path):
    host = SimHost(tmp_path, "unified")
    mgr = host.manager("c1")
    mgr.create()
    mgr.apply({"memory": {"limit": 1 << 20}, "pids": {"limit": 9}, "blockIO": {"weight": 100}},
              default_devices=False)
    leaf = host.path(LEAF)
    put(leaf, "cpu.stat", "usage_usec 7\nuser_usec 4\nsystem_usec 3\nnr_periods 2\nnr_throttled 1\n"
        "throttled_usec 5\n")
    put(leaf, "memory.current", "4096\n")
    put(leaf, "memory.peak", "9000\n")
    put(leaf, "memory.events", "low 0\nhigh 0\nmax 6\noom 0\n")
    put(leaf, "memory.swap.current", "100\n")
    put(leaf, "memory.swap.max", "max\n")
    put(leaf, "memory.stat", "anon 10\nfile 20\n")
    put(leaf, "pids.current", "2\n")
    put(leaf, "io.stat", "8:16 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0\n")
    data = mgr.stats()
    assert data["cpu"]["usage"]["total"] == 7000 and data["cpu"]["usage"]["user"] == 4000
    assert data["cpu"]["throttling"] == {"periods": 2, "throttledPeriods": 1, "throttledTime": 5000}
    assert data["memory"]["usage"] == {"limit": 1 << 20, "usage": 4096, "max": 9000, "failcnt": 6}
    assert data["memory"]["swap"]["limit"] == stats.UINT64_MAX
    assert data["memory"]["swap"]["usage"] == 4196
    assert data["memory"]["cache"] == 20
    assert data["pids"] == {"current": 2, "limit": 9}
    assert data["blkio"]["ioServiceBytesRecursive"] == [
        {"major": 8, "minor": 16, "op": "Read", "value": 1},
        {"major": 8, "minor": 16, "op": "Write", "value": 2}]
    assert data["blkio"]["ioServicedRecursive"][1]["value"] == 4


def test_missing_files_read_as_zero(tmp_path):
    host = SimHost(tmp_path, "unified", v2_controllers=["cpu"])
    mgr = host.manager("c1")
    mgr.create()
    with open(host.path(LEAF, "cgroup.procs"), "w") as handle:
        handle.write("11\n12\n")
    data = mgr.stats()
    assert data["pids"] == {"current": 2, "limit": 0}  # counted from cgroup.procs
    assert data["memory"]["usage"]["usage"] == 0
    assert data["hugetlb"] == {}


def test_cpu_list():
    assert stats.cpu_list("0-3,8,10-11") == [0, 1, 2, 3, 8, 10, 11]
    assert stats.cpu_list("") == []
