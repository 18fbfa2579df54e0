# -*- coding: utf-8 -*-
"""apply() on a legacy (cgroup v1) host: which files get which values."""
import errno
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_cgroups_sim import SimHost  # noqa: E402

from runtime.cgroups import devices  # noqa: E402
from runtime.cgroups.devices import normalize_rules  # noqa: E402
from runtime.syscalls.fake import FakeSyscalls  # noqa: E402
from runtime.errors import CgroupError, SpecError, UnsupportedError  # noqa: E402

LEAF = "opencontainer/c1"


def make_manager(tmp_path, mode, v2_controllers=None, syscalls=None):
    host = SimHost(tmp_path, mode, v2_controllers)
    # a fake even when unused: the default device rules load a bpf program
    mgr = host.manager("c1", syscalls=syscalls if syscalls is not None else FakeSyscalls())
    mgr.create()
    del host.files.writes[:]  # only apply()'s writes from here on
    return host, mgr


def writes(host, devices=False):
    """apply()'s writes; those of the default device rules only if asked."""
    return [w for w in host.files.writes if devices or "/devices." not in w[0]]


# -- legacy (v1) ---------------------------------------------------------------

def test_v1_memory_on_fresh_cgroup_sets_limit_before_swap(tmp_path):
    host, mgr = make_manager(tmp_path, "legacy")
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
    host, mgr = make_manager(tmp_path, "legacy")
    with open(host.path("memory", LEAF, "memory.limit_in_bytes"), "w") as handle:
        handle.write("1048576\n")
    mgr.apply({"memory": {"limit": -1, "swap": -1}})
    assert [os.path.basename(p) for p, _v in writes(host)] == \
        ["memory.memsw.limit_in_bytes", "memory.limit_in_bytes"]
    assert [v for _p, v in writes(host)] == ["-1", "-1"]


def test_v1_missing_kernel_memory_file_is_unsupported(tmp_path):
    _host, mgr = make_manager(tmp_path, "legacy")
    with pytest.raises(UnsupportedError) as info:
        mgr.apply({"memory": {"kernel": 1 << 20}})
    assert "linux.resources.memory.kernel" in str(info.value)
    assert "memory.kmem.limit_in_bytes" in str(info.value)


def test_v1_kernel_tcp_is_written_when_present(tmp_path):
    host, mgr = make_manager(tmp_path, "legacy")
    mgr.apply({"memory": {"kernelTCP": 4096}})
    assert writes(host) == [("memory/%s/memory.kmem.tcp.limit_in_bytes" % LEAF, "4096")]


def test_swappiness_out_of_range_is_a_spec_error(tmp_path):
    _host, mgr = make_manager(tmp_path, "legacy")
    with pytest.raises(SpecError) as info:
        mgr.apply({"memory": {"swappiness": 101}})
    assert info.value.path == "linux.resources.memory.swappiness"


def test_v1_pids_and_cpu(tmp_path):
    host, mgr = make_manager(tmp_path, "legacy")
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
    host, mgr = make_manager(tmp_path, "legacy")
    mgr.apply({"pids": {"limit": 64}})
    assert writes(host) == [("pids/%s/pids.max" % LEAF, "64")]


def test_v1_blkio(tmp_path):
    host, mgr = make_manager(tmp_path, "legacy")
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
    host, mgr = make_manager(tmp_path, "legacy")
    leaf = host.path("blkio", LEAF)
    os.rename(os.path.join(leaf, "blkio.weight"), os.path.join(leaf, "blkio.bfq.weight"))
    mgr.apply({"blockIO": {"weight": 300}})
    assert writes(host) == [("blkio/%s/blkio.bfq.weight" % LEAF, "300")]


def test_v1_hugetlb_names(tmp_path):
    host, mgr = make_manager(tmp_path, "legacy")
    mgr.apply({"hugepageLimits": [{"pageSize": "2MB", "limit": 4194304},
                                  {"pageSize": "1GB", "limit": -1}]})
    assert writes(host) == [("hugetlb/%s/hugetlb.2MB.limit_in_bytes" % LEAF, "4194304"),
                            ("hugetlb/%s/hugetlb.1GB.limit_in_bytes" % LEAF, "-1")]


def test_bad_page_size_is_a_spec_error(tmp_path):
    _host, mgr = make_manager(tmp_path, "legacy")
    with pytest.raises(SpecError) as info:
        mgr.apply({"hugepageLimits": [{"pageSize": "2M", "limit": 1}]})
    assert info.value.path == "linux.resources.hugepageLimits[0].pageSize"


def test_unknown_page_size_is_unsupported(tmp_path):
    _host, mgr = make_manager(tmp_path, "legacy")
    with pytest.raises(UnsupportedError) as info:
        mgr.apply({"hugepageLimits": [{"pageSize": "64KB", "limit": 1}]})
    assert "hugetlb.64KB.limit_in_bytes" in str(info.value)


def test_v1_devices_lines(tmp_path):
    host, mgr = make_manager(tmp_path, "legacy")
    mgr.apply({"devices": [
        {"allow": False, "access": "rwm"},
        {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
        {"allow": True, "type": "c", "major": 136, "access": "wr"},
        {"allow": False, "type": "b", "minor": 7},
        {"allow": True, "type": "a", "major": 10, "minor": 200, "access": "r"},
    ]}, default_devices=False)
    d = "devices/" + LEAF + "/"
    assert writes(host, devices=True) == [
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


def test_default_device_rules_follow_the_config_rules(tmp_path):
    host, mgr = make_manager(tmp_path, "legacy")
    mgr.apply({"devices": [{"allow": False, "type": "c", "major": 1, "minor": 3}]})
    lines = [(os.path.basename(p), v) for p, v in writes(host, devices=True)]
    assert lines[:2] == [("devices.deny", "a"), ("devices.deny", "c 1:3 rwm")]
    # the defaults come last, so /dev/null is allowed again (as with runc)
    assert ("devices.allow", "c 1:3 rwm") in lines[2:]
    assert ("devices.allow", "c 136:* rwm") in lines
    assert ("devices.allow", "c *:* m") in lines


def test_default_device_rules_without_config_rules(tmp_path):
    host, mgr = make_manager(tmp_path, "legacy")
    mgr.apply(None)
    lines = [(os.path.basename(p), v) for p, v in writes(host, devices=True)]
    assert lines[0] == ("devices.deny", "a")
    assert len(lines) == 1 + len(devices.DEFAULT_ALLOWED_RULES)
    assert all(name == "devices.allow" for name, _v in lines[1:])


def test_no_devices_controller_skips_defaults_but_not_config_rules(tmp_path):
    host = SimHost(tmp_path, "legacy")
    host.mountinfo = "\n".join(l for l in host.mountinfo.splitlines() if "/devices " not in l)
    mgr = host.manager("c1")
    mgr.create()
    mgr.apply({})
    with pytest.raises(UnsupportedError) as info:
        mgr.apply({"devices": [{"allow": True}]})
    assert "devices" in str(info.value) and "linux.resources.devices" in str(info.value)


def test_device_rule_errors_name_the_rule():
    with pytest.raises(SpecError) as info:
        normalize_rules([{"allow": True}, {"allow": True, "type": "x"}])
    assert info.value.path == "linux.resources.devices[1].type"
    with pytest.raises(SpecError) as info:
        normalize_rules([{"allow": True, "access": "rx"}])
    assert info.value.path == "linux.resources.devices[0].access"
    with pytest.raises(SpecError) as info:
        normalize_rules([{"type": "c"}])
    assert info.value.path == "linux.resources.devices[0].allow"


def test_v1_network(tmp_path):
    host, mgr = make_manager(tmp_path, "legacy")
    mgr.apply({"network": {"classID": 1048577,
                           "priorities": [{"name": "eth0", "priority": 500},
                                          {"name": "lo", "priority": 1}]}})
    assert writes(host) == [("net_cls,net_prio/%s/net_cls.classid" % LEAF, "1048577"),
                            ("net_cls,net_prio/%s/net_prio.ifpriomap" % LEAF, "eth0 500"),
                            ("net_cls,net_prio/%s/net_prio.ifpriomap" % LEAF, "lo 1")]


def test_unified_map_on_v1_host_is_unsupported(tmp_path):
    _host, mgr = make_manager(tmp_path, "legacy")
    with pytest.raises(UnsupportedError) as info:
        mgr.apply({"unified": {"memory.high": "1000"}})
    assert "linux.resources.unified.memory.high" in str(info.value)


def test_missing_controller_is_unsupported_not_ignored(tmp_path):
    _host, mgr = make_manager(tmp_path, "legacy")
    with pytest.raises(UnsupportedError) as info:
        mgr.apply({"rdma": {"mlx5_0": {"hcaHandles": 2}}})
    assert "rdma" in str(info.value) and "linux.resources.rdma" in str(info.value)


def test_write_error_names_field_file_and_value(tmp_path):
    host, mgr = make_manager(tmp_path, "legacy")
    host.files.fail["memory.limit_in_bytes"] = errno.EBUSY
    with pytest.raises(CgroupError) as info:
        mgr.apply({"memory": {"limit": 1}})
    assert str(info.value) == ("linux.resources.memory.limit: writing 1 to %s: "
                               "Device or resource busy"
                               % host.path("memory", LEAF, "memory.limit_in_bytes"))


def test_eopnotsupp_is_unsupported(tmp_path):
    host, mgr = make_manager(tmp_path, "legacy")
    host.files.fail["memory.kmem.tcp.limit_in_bytes"] = errno.EOPNOTSUPP
    with pytest.raises(UnsupportedError) as info:
        mgr.apply({"memory": {"kernelTCP": 1}})
    assert "linux.resources.memory.kernelTCP" in str(info.value)


@pytest.mark.parametrize("resources", [None, {}, {"memory": {}, "cpu": {"cpus": ""},
                                                  "hugepageLimits": [], "network": {}}])
def test_empty_resources_write_nothing(tmp_path, resources):
    host, mgr = make_manager(tmp_path, "legacy")
    mgr.apply(resources, default_devices=False)
    assert writes(host, devices=True) == []
