# -*- coding: utf-8 -*-
"""apply(): which files get which values on legacy, hybrid and unified hosts."""
import errno
import os
import struct
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_cgroups_sim import SimHost  # noqa: E402

from runtime import cgroups  # noqa: E402
from runtime.errors import CgroupError, SpecError, UnsupportedError  # noqa: E402
from runtime.syscalls.fake import FakeSyscalls  # noqa: E402

LEAF = "opencontainer/c1"


def setup(tmp_path, mode, v2_controllers=None, syscalls=None):
    host = SimHost(tmp_path, mode, v2_controllers)
    mgr = host.manager("c1", syscalls=syscalls)
    mgr.create()
    del host.files.writes[:]  # only apply()'s writes from here on
    return host, mgr


def writes(host):
    return list(host.files.writes)


# -- legacy (v1) ---------------------------------------------------------------

def test_v1_memory_on_fresh_cgroup_sets_limit_before_swap(tmp_path):
    host, mgr = setup(tmp_path, "legacy")
    mgr.apply({"memory": {"limit": 100 << 20, "swap": 200 << 20, "reservation": 50 << 20,
                          "swappiness": 10, "disableOOMKiller": True, "useHierarchy": True}})
    m = "memory/" + LEAF + "/"
    assert writes(host) == [
        (m + "memory.limit_in_bytes", str(100 << 20)),
        (m + "memory.memsw.limit_in_bytes", str(200 << 20)),
        (m + "memory.soft_limit_in_bytes", str(50 << 20)),
        (m + "memory.swappiness", "10"),
        (m + "memory.oom_control", "1"),
        (m + "memory.use_hierarchy", "1"),
    ]


def test_v1_memory_raising_the_limit_sets_swap_first(tmp_path):
    host, mgr = setup(tmp_path, "legacy")
    with open(host.path("memory", LEAF, "memory.limit_in_bytes"), "w") as handle:
        handle.write("1048576\n")
    mgr.apply({"memory": {"limit": -1, "swap": -1}})
    assert [os.path.basename(p) for p, _v in writes(host)] == \
        ["memory.memsw.limit_in_bytes", "memory.limit_in_bytes"]
    assert [v for _p, v in writes(host)] == ["-1", "-1"]


def test_v1_missing_kernel_memory_file_is_unsupported(tmp_path):
    _host, mgr = setup(tmp_path, "legacy")
    with pytest.raises(UnsupportedError) as info:
        mgr.apply({"memory": {"kernel": 1 << 20}})
    assert "linux.resources.memory.kernel" in str(info.value)
    assert "memory.kmem.limit_in_bytes" in str(info.value)


def test_v1_kernel_tcp_is_written_when_present(tmp_path):
    host, mgr = setup(tmp_path, "legacy")
    mgr.apply({"memory": {"kernelTCP": 4096}})
    assert writes(host) == [("memory/%s/memory.kmem.tcp.limit_in_bytes" % LEAF, "4096")]


def test_swappiness_out_of_range_is_a_spec_error(tmp_path):
    _host, mgr = setup(tmp_path, "legacy")
    with pytest.raises(SpecError) as info:
        mgr.apply({"memory": {"swappiness": 101}})
    assert info.value.path == "linux.resources.memory.swappiness"


def test_v1_pids_and_cpu(tmp_path):
    host, mgr = setup(tmp_path, "legacy")
    mgr.apply({"pids": {"limit": -1},
               "cpu": {"shares": 512, "quota": 20000, "period": 50000, "burst": 1000,
                       "realtimePeriod": 1000000, "realtimeRuntime": 950000, "idle": 0,
                       "cpus": "0-1", "mems": "0"}})
    c = "cpu,cpuacct/" + LEAF + "/"
    assert writes(host) == [
        ("pids/%s/pids.max" % LEAF, "max"),
        (c + "cpu.shares", "512"),
        (c + "cpu.cfs_period_us", "50000"),
        (c + "cpu.cfs_quota_us", "20000"),
        (c + "cpu.cfs_burst_us", "1000"),
        (c + "cpu.rt_period_us", "1000000"),
        (c + "cpu.rt_runtime_us", "950000"),
        (c + "cpu.idle", "0"),
        ("cpuset/%s/cpuset.cpus" % LEAF, "0-1"),
        ("cpuset/%s/cpuset.mems" % LEAF, "0"),
    ]


def test_v1_pids_number(tmp_path):
    host, mgr = setup(tmp_path, "legacy")
    mgr.apply({"pids": {"limit": 64}})
    assert writes(host) == [("pids/%s/pids.max" % LEAF, "64")]


def test_v1_blkio(tmp_path):
    host, mgr = setup(tmp_path, "legacy")
    mgr.apply({"blockIO": {
        "weight": 300, "leafWeight": 200,
        "weightDevice": [{"major": 8, "minor": 0, "weight": 500, "leafWeight": 400}],
        "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}],
        "throttleWriteIOPSDevice": [{"major": 8, "minor": 16, "rate": 100}]}})
    b = "blkio/" + LEAF + "/"
    assert writes(host) == [
        (b + "blkio.weight", "300"),
        (b + "blkio.leaf_weight", "200"),
        (b + "blkio.weight_device", "8:0 500"),
        (b + "blkio.leaf_weight_device", "8:0 400"),
        (b + "blkio.throttle.read_bps_device", "8:0 1048576"),
        (b + "blkio.throttle.write_iops_device", "8:16 100"),
    ]


def test_v1_blkio_weight_falls_back_to_bfq(tmp_path):
    host, mgr = setup(tmp_path, "legacy")
    leaf = host.path("blkio", LEAF)
    os.rename(os.path.join(leaf, "blkio.weight"), os.path.join(leaf, "blkio.bfq.weight"))
    mgr.apply({"blockIO": {"weight": 300}})
    assert writes(host) == [("blkio/%s/blkio.bfq.weight" % LEAF, "300")]


def test_v1_hugetlb_names(tmp_path):
    host, mgr = setup(tmp_path, "legacy")
    mgr.apply({"hugepageLimits": [{"pageSize": "2MB", "limit": 4194304},
                                  {"pageSize": "1GB", "limit": -1}]})
    assert writes(host) == [("hugetlb/%s/hugetlb.2MB.limit_in_bytes" % LEAF, "4194304"),
                            ("hugetlb/%s/hugetlb.1GB.limit_in_bytes" % LEAF, "-1")]


def test_bad_page_size_is_a_spec_error(tmp_path):
    _host, mgr = setup(tmp_path, "legacy")
    with pytest.raises(SpecError) as info:
        mgr.apply({"hugepageLimits": [{"pageSize": "2M", "limit": 1}]})
    assert info.value.path == "linux.resources.hugepageLimits[0].pageSize"


def test_unknown_page_size_is_unsupported(tmp_path):
    _host, mgr = setup(tmp_path, "legacy")
    with pytest.raises(UnsupportedError) as info:
        mgr.apply({"hugepageLimits": [{"pageSize": "64KB", "limit": 1}]})
    assert "hugetlb.64KB.limit_in_bytes" in str(info.value)


def test_v1_devices_lines(tmp_path):
    host, mgr = setup(tmp_path, "legacy")
    mgr.apply({"devices": [
        {"allow": False, "access": "rwm"},
        {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
        {"allow": True, "type": "c", "major": 136, "access": "wr"},
        {"allow": False, "type": "b", "minor": 7},
        {"allow": True, "type": "a", "major": 10, "minor": 200, "access": "r"},
    ]})
    d = "devices/" + LEAF + "/"
    assert writes(host) == [
        (d + "devices.deny", "a"),
        (d + "devices.deny", "a"),
        (d + "devices.allow", "c 1:3 rwm"),
        (d + "devices.allow", "c 136:* rw"),
        (d + "devices.deny", "b *:7 rwm"),
        # "a" with a narrower match is spelled per type: the kernel reads a
        # leading "a" as "everything"
        (d + "devices.allow", "c 10:200 r"),
        (d + "devices.allow", "b 10:200 r"),
    ]


def test_device_rule_errors_name_the_rule():
    with pytest.raises(SpecError) as info:
        cgroups.normalize_rules([{"allow": True}, {"allow": True, "type": "x"}])
    assert info.value.path == "linux.resources.devices[1].type"
    with pytest.raises(SpecError) as info:
        cgroups.normalize_rules([{"allow": True, "access": "rx"}])
    assert info.value.path == "linux.resources.devices[0].access"
    with pytest.raises(SpecError) as info:
        cgroups.normalize_rules([{"type": "c"}])
    assert info.value.path == "linux.resources.devices[0].allow"


def test_v1_network(tmp_path):
    host, mgr = setup(tmp_path, "legacy")
    mgr.apply({"network": {"classID": 1048577,
                           "priorities": [{"name": "eth0", "priority": 500},
                                          {"name": "lo", "priority": 1}]}})
    assert writes(host) == [("net_cls,net_prio/%s/net_cls.classid" % LEAF, "1048577"),
                            ("net_cls,net_prio/%s/net_prio.ifpriomap" % LEAF, "eth0 500"),
                            ("net_cls,net_prio/%s/net_prio.ifpriomap" % LEAF, "lo 1")]


def test_unified_map_on_v1_host_is_unsupported(tmp_path):
    _host, mgr = setup(tmp_path, "legacy")
    with pytest.raises(UnsupportedError) as info:
        mgr.apply({"unified": {"memory.high": "1000"}})
    assert "linux.resources.unified.memory.high" in str(info.value)


def test_missing_controller_is_unsupported_not_ignored(tmp_path):
    _host, mgr = setup(tmp_path, "legacy")
    with pytest.raises(UnsupportedError) as info:
        mgr.apply({"rdma": {"mlx5_0": {"hcaHandles": 2}}})
    assert "rdma" in str(info.value) and "linux.resources.rdma" in str(info.value)


def test_write_error_names_field_file_and_value(tmp_path):
    host, mgr = setup(tmp_path, "legacy")
    host.files.fail["memory.limit_in_bytes"] = errno.EBUSY
    with pytest.raises(CgroupError) as info:
        mgr.apply({"memory": {"limit": 1}})
    assert str(info.value) == ("linux.resources.memory.limit: writing 1 to %s: "
                               "Device or resource busy"
                               % host.path("memory", LEAF, "memory.limit_in_bytes"))


def test_eopnotsupp_is_unsupported(tmp_path):
    host, mgr = setup(tmp_path, "legacy")
    host.files.fail["memory.kmem.tcp.limit_in_bytes"] = errno.EOPNOTSUPP
    with pytest.raises(UnsupportedError) as info:
        mgr.apply({"memory": {"kernelTCP": 1}})
    assert "linux.resources.memory.kernelTCP" in str(info.value)


@pytest.mark.parametrize("resources", [None, {}, {"memory": {}, "cpu": {"cpus": ""},
                                                  "hugepageLimits": [], "network": {}}])
def test_empty_resources_write_nothing(tmp_path, resources):
    host, mgr = setup(tmp_path, "legacy")
    mgr.apply(resources)
    assert writes(host) == []


# -- unified (v2) ----------------------------------------------------------------

@pytest.mark.parametrize("shares,weight", [(2, 1), (1024, 39), (512, 20), (262144, 10000)])
def test_shares_to_weight(shares, weight):
    assert cgroups.shares_to_weight(shares) == weight


def test_v2_cpu_and_subtree_control(tmp_path):
    host, mgr = setup(tmp_path, "unified")
    mgr.apply({"cpu": {"shares": 1024, "quota": 50000, "period": 100000, "burst": 10,
                       "idle": 1}})
    assert writes(host) == [
        ("cgroup.subtree_control", "+cpu"),
        ("opencontainer/cgroup.subtree_control", "+cpu"),
        (LEAF + "/cpu.weight", "39"),
        (LEAF + "/cpu.max", "50000 100000"),
        (LEAF + "/cpu.max.burst", "10"),
        (LEAF + "/cpu.idle", "1"),
    ]


@pytest.mark.parametrize("cpu,line", [({"quota": -1}, "max 100000"),
                                      ({"period": 250000}, "max 250000"),
                                      ({"quota": 20000}, "20000 100000")])
def test_v2_cpu_max(tmp_path, cpu, line):
    host, mgr = setup(tmp_path, "unified")
    mgr.apply({"cpu": cpu})
    assert host.files.written("cpu.max") == [(LEAF + "/cpu.max", line)]


def test_v2_only_needed_controllers_are_enabled(tmp_path):
    host, mgr = setup(tmp_path, "unified")
    mgr.apply({"pids": {"limit": 10}, "memory": {"limit": 1 << 30}})
    enabled = host.files.written("cgroup.subtree_control")
    assert sorted(set(v for _p, v in enabled)) == ["+memory", "+pids"]
    with open(host.path("opencontainer", "cgroup.subtree_control")) as handle:
        assert sorted(handle.read().split()) == ["memory", "pids"]


def test_v2_memory(tmp_path):
    host, mgr = setup(tmp_path, "unified")
    mgr.apply({"memory": {"limit": 100 << 20, "swap": 300 << 20, "reservation": -1}})
    assert [w for w in writes(host) if "subtree" not in w[0]] == [
        (LEAF + "/memory.max", str(100 << 20)),
        (LEAF + "/memory.swap.max", str(200 << 20)),
        (LEAF + "/memory.low", "max"),
    ]


@pytest.mark.parametrize("mem,swap_max", [({"limit": -1}, "max"),
                                          ({"limit": 10, "swap": -1}, "max"),
                                          ({"limit": 10, "swap": 10}, "0"),
                                          ({"limit": 10}, None)])
def test_v2_swap_conversion(tmp_path, mem, swap_max):
    host, mgr = setup(tmp_path, "unified")
    mgr.apply({"memory": mem})
    found = host.files.written("memory.swap.max")
    assert found == ([(LEAF + "/memory.swap.max", swap_max)] if swap_max else [])


@pytest.mark.parametrize("mem", [{"swap": 100}, {"limit": 100, "swap": 50}])
def test_v2_impossible_swap_is_a_spec_error(tmp_path, mem):
    _host, mgr = setup(tmp_path, "unified")
    with pytest.raises(SpecError) as info:
        mgr.apply({"memory": mem})
    assert info.value.path == "linux.resources.memory.swap"


@pytest.mark.parametrize("resources,field", [
    ({"memory": {"swappiness": 10}}, "linux.resources.memory.swappiness"),
    ({"memory": {"kernel": 10}}, "linux.resources.memory.kernel"),
    ({"memory": {"disableOOMKiller": True}}, "linux.resources.memory.disableOOMKiller"),
    ({"cpu": {"realtimeRuntime": 1000}}, "linux.resources.cpu.realtimeRuntime"),
    ({"blockIO": {"leafWeight": 10}}, "linux.resources.blockIO.leafWeight"),
    ({"network": {"classID": 1}}, "linux.resources.network.classID"),
])
def test_v2_has_no_file_for_these(tmp_path, resources, field):
    _host, mgr = setup(tmp_path, "unified")
    with pytest.raises(UnsupportedError) as info:
        mgr.apply(resources)
    assert field in str(info.value)


def test_v2_io_weight_and_max_lines(tmp_path):
    host, mgr = setup(tmp_path, "unified")
    mgr.apply({"blockIO": {
        "weight": 500,
        "weightDevice": [{"major": 8, "minor": 0, "weight": 10}],
        "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1000}],
        "throttleWriteBpsDevice": [{"major": 8, "minor": 16, "rate": 2000}],
        "throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 20}],
        "throttleReadIOPSDevice": [{"major": 8, "minor": 0, "rate": 0}]}})
    assert [w for w in writes(host) if "subtree" not in w[0]] == [
        (LEAF + "/io.weight", "default 4950"),
        (LEAF + "/io.weight", "8:0 1"),
        (LEAF + "/io.max", "8:0 rbps=1000 riops=max wiops=20"),
        (LEAF + "/io.max", "8:16 wbps=2000"),
    ]
    assert ("cgroup.subtree_control", "+io") in writes(host)


def test_v2_hugetlb_and_pids(tmp_path):
    host, mgr = setup(tmp_path, "unified")
    mgr.apply({"hugepageLimits": [{"pageSize": "2MB", "limit": -1},
                                  {"pageSize": "1GB", "limit": 1 << 30}],
               "pids": {"limit": 0}})
    assert [w for w in writes(host) if "subtree" not in w[0]] == [
        (LEAF + "/pids.max", "max"),
        (LEAF + "/hugetlb.2MB.max", "max"),
        (LEAF + "/hugetlb.1GB.max", str(1 << 30)),
    ]


def test_v2_unified_map(tmp_path):
    host, mgr = setup(tmp_path, "unified")
    mgr.apply({"unified": {"memory.high": "50000000", "cgroup.max.depth": "3"}})
    assert writes(host) == [
        ("cgroup.subtree_control", "+memory"),
        ("opencontainer/cgroup.subtree_control", "+memory"),
        (LEAF + "/cgroup.max.depth", "3"),
        (LEAF + "/memory.high", "50000000"),
    ]


@pytest.mark.parametrize("key", ["../memory.high", "memory", "a/b.c"])
def test_v2_unified_map_rejects_paths(tmp_path, key):
    _host, mgr = setup(tmp_path, "unified")
    with pytest.raises(SpecError) as info:
        mgr.apply({"unified": {key: "1"}})
    assert info.value.path == "linux.resources.unified." + key


def test_v2_controller_missing_from_cgroup_controllers(tmp_path):
    _host, mgr = setup(tmp_path, "unified", ["cpu", "memory"])
    with pytest.raises(UnsupportedError) as info:
        mgr.apply({"pids": {"limit": 5}})
    assert "pids" in str(info.value) and "linux.resources.pids" in str(info.value)


def test_v2_devices_use_a_bpf_program(tmp_path):
    fake = FakeSyscalls()
    host, mgr = setup(tmp_path, "unified", syscalls=fake)
    mgr.apply({"devices": [{"allow": False, "access": "rwm"},
                           {"allow": True, "type": "c", "major": 1, "minor": 3}]})
    assert [c[1] for c in fake.calls if c[0] == "bpf"] == [5, 8]  # PROG_LOAD, PROG_ATTACH
    load = fake.calls[0][2]
    prog_type, insn_count = struct.unpack_from("=II", load)
    assert prog_type == 15 and insn_count > 0
    assert struct.unpack_from("=I", load, 68) == (6,)  # expected_attach_type
    attach = fake.calls[1][2]
    _target, _prog, attach_type, flags, _replace = struct.unpack("=IIIII", attach)
    assert (attach_type, flags) == (6, 2)  # BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI
    assert host.files.written("devices.deny") == []


# -- hybrid ------------------------------------------------------------------------

def test_hybrid_puts_hugetlb_in_unified_and_the_rest_in_v1(tmp_path):
    fake = FakeSyscalls()
    host, mgr = setup(tmp_path, "hybrid", syscalls=fake)
    mgr.apply({"memory": {"limit": 1 << 30}, "cpu": {"shares": 1024},
               "hugepageLimits": [{"pageSize": "2MB", "limit": 0}],
               "devices": [{"allow": True, "type": "c", "major": 1, "minor": 5}]})
    assert writes(host) == [
        ("unified/cgroup.subtree_control", "+hugetlb"),
        ("unified/opencontainer/cgroup.subtree_control", "+hugetlb"),
        ("memory/%s/memory.limit_in_bytes" % LEAF, str(1 << 30)),
        ("cpu/%s/cpu.shares" % LEAF, "1024"),
        ("unified/%s/hugetlb.2MB.max" % LEAF, "0"),
        ("devices/%s/devices.deny" % LEAF, "a"),
        ("devices/%s/devices.allow" % LEAF, "c 1:5 rwm"),
    ]
    assert fake.calls == []  # v1 devices controller, no bpf


def test_hybrid_unified_map_needs_a_v2_controller(tmp_path):
    _host, mgr = setup(tmp_path, "hybrid")
    with pytest.raises(UnsupportedError) as info:
        mgr.apply({"unified": {"memory.high": "1"}})
    assert "cgroup v2" in str(info.value) and "memory" in str(info.value)


def test_hybrid_unified_map_for_a_v2_controller(tmp_path):
    host, mgr = setup(tmp_path, "hybrid")
    mgr.apply({"unified": {"hugetlb.2MB.max": "0"}})
    assert writes(host)[-1] == ("unified/%s/hugetlb.2MB.max" % LEAF, "0")


def test_hybrid_without_v1_devices_falls_back_to_bpf(tmp_path):
    fake = FakeSyscalls()
    host = SimHost(tmp_path, "hybrid")
    host.mountinfo = "\n".join(l for l in host.mountinfo.splitlines() if "/devices " not in l)
    mgr = host.manager("c1", syscalls=fake)
    mgr.create()
    mgr.apply({"devices": [{"allow": True}]})
    assert [c[1] for c in fake.calls] == [5, 8]
