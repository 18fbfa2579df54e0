# -*- coding: utf-8 -*-
"""apply() on unified (cgroup v2) and hybrid hosts: files, values, conversions."""
import os
import struct
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_cgroups_sim import SimHost  # noqa: E402

from runtime.cgroups.v2 import shares_to_weight  # noqa: E402
from runtime.errors import SpecError, UnsupportedError  # noqa: E402
from runtime.syscalls.fake import FakeSyscalls  # noqa: E402

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


# -- unified (v2) ----------------------------------------------------------------

@pytest.mark.parametrize("shares,weight", [(2, 1), (1024, 39), (512, 20), (262144, 10000)])
def test_shares_to_weight(shares, weight):
    assert shares_to_weight(shares) == weight


def test_v2_cpu_and_subtree_control(tmp_path):
    host, mgr = make_manager(tmp_path, "unified")
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
    host, mgr = make_manager(tmp_path, "unified")
    mgr.apply({"cpu": cpu})
    assert host.files.written("cpu.max") == [(LEAF + "/cpu.max", line)]


def test_v2_only_needed_controllers_are_enabled(tmp_path):
    host, mgr = make_manager(tmp_path, "unified")
    mgr.apply({"pids": {"limit": 10}, "memory": {"limit": 1 << 30}})
    enabled = host.files.written("cgroup.subtree_control")
    assert sorted(set(v for _p, v in enabled)) == ["+memory", "+pids"]
    with open(host.path("opencontainer", "cgroup.subtree_control")) as handle:
        assert sorted(handle.read().split()) == ["memory", "pids"]


def test_v2_memory(tmp_path):
    host, mgr = make_manager(tmp_path, "unified")
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
    host, mgr = make_manager(tmp_path, "unified")
    mgr.apply({"memory": mem})
    found = host.files.written("memory.swap.max")
    assert found == ([(LEAF + "/memory.swap.max", swap_max)] if swap_max else [])


@pytest.mark.parametrize("mem", [{"swap": 100}, {"limit": 100, "swap": 50}])
def test_v2_impossible_swap_is_a_spec_error(tmp_path, mem):
    _host, mgr = make_manager(tmp_path, "unified")
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
    _host, mgr = make_manager(tmp_path, "unified")
    with pytest.raises(UnsupportedError) as info:
        mgr.apply(resources)
    assert field in str(info.value)


def test_v2_io_weight_and_max_lines(tmp_path):
    host, mgr = make_manager(tmp_path, "unified")
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
    host, mgr = make_manager(tmp_path, "unified")
    mgr.apply({"hugepageLimits": [{"pageSize": "2MB", "limit": -1},
                                  {"pageSize": "1GB", "limit": 1 << 30}],
               "pids": {"limit": 0}})
    assert [w for w in writes(host) if "subtree" not in w[0]] == [
        (LEAF + "/pids.max", "max"),
        (LEAF + "/hugetlb.2MB.max", "max"),
        (LEAF + "/hugetlb.1GB.max", str(1 << 30)),
    ]


def test_v2_unified_map(tmp_path):
    host, mgr = make_manager(tmp_path, "unified")
    mgr.apply({"unified": {"memory.high": "50000000", "cgroup.max.depth": "3"}})
    assert writes(host) == [
        ("cgroup.subtree_control", "+memory"),
        ("opencontainer/cgroup.subtree_control", "+memory"),
        (LEAF + "/cgroup.max.depth", "3"),
        (LEAF + "/memory.high", "50000000"),
    ]


@pytest.mark.parametrize("key", ["../memory.high", "memory", "a/b.c"])
def test_v2_unified_map_rejects_paths(tmp_path, key):
    _host, mgr = make_manager(tmp_path, "unified")
    with pytest.raises(SpecError) as info:
        mgr.apply({"unified": {key: "1"}})
    assert info.value.path == "linux.resources.unified." + key


def test_v2_controller_missing_from_cgroup_controllers(tmp_path):
    _host, mgr = make_manager(tmp_path, "unified", ["cpu", "memory"])
    with pytest.raises(UnsupportedError) as info:
        mgr.apply({"pids": {"limit": 5}})
    assert "pids" in str(info.value) and "linux.resources.pids" in str(info.value)


def test_v2_default_devices_load_a_program_without_config_rules(tmp_path):
    fake = FakeSyscalls()
    _host, mgr = make_manager(tmp_path, "unified", syscalls=fake)
    mgr.apply(None)
    assert [c[1] for c in fake.calls if c[0] == "bpf"] == [5, 8]
    fake.calls[:] = []
    mgr.apply(None, default_devices=False)
    assert fake.calls == []


def test_v2_devices_use_a_bpf_program(tmp_path):
    fake = FakeSyscalls()
    host, mgr = make_manager(tmp_path, "unified", syscalls=fake)
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
    host, mgr = make_manager(tmp_path, "hybrid", syscalls=fake)
    mgr.apply({"memory": {"limit": 1 << 30}, "cpu": {"shares": 1024},
               "hugepageLimits": [{"pageSize": "2MB", "limit": 0}],
               "devices": [{"allow": True, "type": "c", "major": 1, "minor": 5}]})
    done = writes(host, devices=True)
    assert done[:7] == [
        ("unified/cgroup.subtree_control", "+hugetlb"),
        ("unified/opencontainer/cgroup.subtree_control", "+hugetlb"),
        ("memory/%s/memory.limit_in_bytes" % LEAF, str(1 << 30)),
        ("cpu/%s/cpu.shares" % LEAF, "1024"),
        ("unified/%s/hugetlb.2MB.max" % LEAF, "0"),
        ("devices/%s/devices.deny" % LEAF, "a"),
        ("devices/%s/devices.allow" % LEAF, "c 1:5 rwm"),
    ]
    assert all(p == "devices/%s/devices.allow" % LEAF for p, _v in done[7:])  # the defaults
    assert fake.calls == []  # v1 devices controller, no bpf


def test_hybrid_unified_map_needs_a_v2_controller(tmp_path):
    _host, mgr = make_manager(tmp_path, "hybrid")
    with pytest.raises(UnsupportedError) as info:
        mgr.apply({"unified": {"memory.high": "1"}})
    assert "cgroup v2" in str(info.value) and "memory" in str(info.value)


def test_hybrid_unified_map_for_a_v2_controller(tmp_path):
    host, mgr = make_manager(tmp_path, "hybrid")
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
