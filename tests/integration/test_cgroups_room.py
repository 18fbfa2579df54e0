# -*- coding: utf-8 -*-
"""The cgroup manager and the v2 device filter on this real host (root only).

Every test removes what it created (cgroups, child processes) in a
finalizer, also when it fails.
"""
import errno
import os
import signal
import time
import uuid

import pytest

from runtime.cgroups.detect import HYBRID, UNIFIED
from runtime.cgroups.devices import DEFAULT_ALLOWED_RULES, normalize_rules
from runtime.cgroups.manager import CgroupManager
from runtime.cgroups.v2 import shares_to_weight
from runtime.cgroups import devices_bpf
from runtime.errors import CgroupError
from runtime.syscalls.host import real

ROOT = "/sys/fs/cgroup"
UNIFIED = "/sys/fs/cgroup/unified"

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root to create cgroups"),
    pytest.mark.skipif(not os.path.isdir(ROOT), reason="no /sys/fs/cgroup on this host"),
]


def _read(path):
    with open(path) as handle:
        return handle.read().strip()


def _unified_controllers():
    try:
        return _read(os.path.join(UNIFIED, "cgroup.controllers")).split()
    except OSError:
        return []


def _hugepage_size():
    """The smallest huge page size the kernel offers, in cgroup spelling."""
    try:
        sizes = sorted(int(name.split("-")[1][:-2]) for name in
                       os.listdir("/sys/kernel/mm/hugepages") if name.endswith("kB"))
    except OSError:
        return None
    if not sizes:
        return None
    kib = sizes[0]
    for unit, factor in (("GB", 1 << 20), ("MB", 1 << 10)):
        if kib % factor == 0:
            return "%d%s" % (kib // factor, unit)
    return "%dKB" % kib


class Children(object):
    """Forked children that wait on a pipe; reaped by kill_all()."""

    def __init__(self):
        self.pids = []

    def sleeper(self):
        pid = os.fork()
        if pid == 0:  # child: sleep until killed
            try:
                while True:
                    time.sleep(60)
            finally:
                os._exit(0)
        self.pids.append(pid)
        return pid

    def kill_all(self):
        for pid in self.pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                os.waitpid(pid, 0)
            except OSError:
                pass
        self.pids = []


@pytest.fixture
def children():
    kids = Children()
    yield kids
    kids.kill_all()


@pytest.fixture
def manager_factory():
    made = []

    def make(resources_path_parent=None):
        unique = "room-%d-%s" % (os.getpid(), uuid.uuid4().hex[:8])
        parent = resources_path_parent or "ocitest-" + unique
        mgr = CgroupManager.plan(unique, "/%s/%s" % (parent, unique))
        made.append(mgr)
        return mgr

    yield make
    for mgr in made:
        try:
            mgr.destroy(timeout=5.0)
        except Exception:  # noqa: BLE001 - best effort cleanup, the test reports the failure
            pass


def _cgroup_lines(pid):
    """{hierarchy key: path} from /proc/<pid>/cgroup."""
    result = {}
    for line in _read("/proc/%d/cgroup" % pid).splitlines():
        _num, names, path = line.split(":", 2)
        result[names] = path
    return result


def test_manager_limits_join_and_destroy(manager_factory, children):
    mgr = manager_factory()
    resources = {"memory": {"limit": 64 << 20}, "pids": {"limit": 50},
                 "cpu": {"shares": 512}}
    page = _hugepage_size()
    via_v2 = mgr.mode == HYBRID and "hugetlb" in _unified_controllers()
    if page and (via_v2 or any("hugetlb" in h.controllers for h in mgr.hierarchies)):
        resources["hugepageLimits"] = [{"pageSize": page, "limit": 0}]
    mgr.create()
    assert mgr.created, "the cgroups were new, so create() must record them"
    mgr.apply(resources)
    pid = children.sleeper()
    mgr.add_process(pid)

    paths = mgr.paths
    membership = _cgroup_lines(pid)
    expected_rel = "/" + mgr.path
    for hierarchy in mgr.hierarchies:
        key = "" if hierarchy.is_v2 else hierarchy.name
        assert membership.get(key) == expected_rel, (hierarchy.name, membership)
        assert str(pid) in _read(os.path.join(paths[hierarchy.name], "cgroup.procs")).split()

    if mgr.mode == UNIFIED:
        leaf = paths[""]
        assert _read(os.path.join(leaf, "memory.max")) == str(64 << 20)
        assert _read(os.path.join(leaf, "pids.max")) == "50"
        assert _read(os.path.join(leaf, "cpu.weight")) == str(shares_to_weight(512))
    else:
        assert _read(os.path.join(paths["memory"], "memory.limit_in_bytes")) == str(64 << 20)
        assert _read(os.path.join(paths["pids"], "pids.max")) == "50"
        cpu = next(h for h in mgr.hierarchies if "cpu" in h.controllers)
        assert _read(os.path.join(paths[cpu.name], "cpu.shares")) == "512"
    if "hugepageLimits" in resources:
        if via_v2:
            huge = os.path.join(paths["unified"], "hugetlb.%s.max" % page)
            assert "hugetlb" in _read(os.path.join(UNIFIED, "cgroup.subtree_control")).split()
        else:
            huge_h = next(h for h in mgr.hierarchies if "hugetlb" in h.controllers)
            huge = os.path.join(paths[huge_h.name], "hugetlb.%s.limit_in_bytes" % page)
        assert _read(huge) == "0"

    assert pid in mgr.pids()
    restored = CgroupManager.from_dict(mgr.to_dict())
    assert pid in restored.pids()

    children.kill_all()
    restored.destroy(timeout=5.0)
    for directory in mgr.created:
        assert not os.path.exists(directory), directory
    for directory in paths.values():
        assert not os.path.exists(directory), directory
    assert restored.pids() == []
    restored.destroy()  # idempotent


def test_destroy_waits_for_exiting_process_and_reports_busy(manager_factory, children):
    mgr = manager_factory()
    mgr.create()
    pid = children.sleeper()
    mgr.add_process(pid)
    with pytest.raises(CgroupError) as info:
        mgr.destroy(timeout=0.2)
    assert "Device or resource busy" in str(info.value)
    children.kill_all()
    mgr.destroy(timeout=5.0)
    assert not any(os.path.exists(p) for p in mgr.paths.values())


def _child_open_results(join):
    """Fork a child that waits until ``join(pid)`` moved it, then opens
    /dev/null and /dev/zero for reading; returns their errnos (0 = opened)."""
    ready_r, ready_w = os.pipe()
    result_r, result_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(ready_w)
            os.close(result_r)
            os.read(ready_r, 1)
            answers = []
            for device in ("/dev/null", "/dev/zero"):
                try:
                    os.close(os.open(device, os.O_RDONLY))
                    answers.append("0")
                except OSError as exc:
                    answers.append(str(exc.errno))
            os.write(result_w, " ".join(answers).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(ready_r)
    os.close(result_w)
    try:
        join(pid)
        os.write(ready_w, b"x")
        os.close(ready_w)
        ready_w = None
        data = b""
        while True:
            chunk = os.read(result_r, 64)
            if not chunk:
                break
            data += chunk
    finally:
        if ready_w is not None:
            os.close(ready_w)
            os.kill(pid, signal.SIGKILL)
        os.close(result_r)
        os.waitpid(pid, 0)
    return [int(x) for x in data.decode().split()]


@pytest.mark.skipif(not os.path.isfile(os.path.join(UNIFIED, "cgroup.procs"))
                    and not os.path.isfile(os.path.join(ROOT, "cgroup.controllers")),
                    reason="no cgroup2 hierarchy to attach a device program to")
def test_bpf_device_filter_denies_dev_null_read():
    base = UNIFIED if os.path.isdir(UNIFIED) else ROOT
    cgroup = os.path.join(base, "ocitest-bpf-%d-%s" % (os.getpid(), uuid.uuid4().hex[:8]))
    os.mkdir(cgroup)
    try:
        rules = normalize_rules([{"allow": True, "access": "rwm"},
                                 {"allow": False, "type": "c", "major": 1, "minor": 3, "access": "r"}])
        devices_bpf.apply_device_rules(cgroup, rules, real())

        def join(pid):
            with open(os.path.join(cgroup, "cgroup.procs"), "w") as procs:
                procs.write(str(pid))

        null_errno, zero_errno = _child_open_results(join)
        assert null_errno == errno.EPERM
        assert zero_errno == 0
    finally:
        # The child is reaped, so the cgroup is empty; rmdir also detaches
        # and frees the program.
        for dummy in range(50):
            try:
                os.rmdir(cgroup)
                break
            except OSError as exc:
                if exc.errno != errno.EBUSY:
                    raise
                time.sleep(0.05)
    assert not os.path.exists(cgroup)


def test_v1_devices_controller_rules(manager_factory):
    mgr = manager_factory()
    if mgr.mode == UNIFIED or not any("devices" in h.controllers for h in mgr.hierarchies):
        pytest.skip("no cgroup v1 devices controller on this host")
    mgr.create()
    mgr.apply({"devices": [{"allow": False, "access": "rwm"},
                           {"allow": True, "type": "c", "major": 1, "minor": 5,
                            "access": "rwm"}]}, default_devices=False)
    listing = _read(os.path.join(mgr.paths["devices"], "devices.list"))
    assert listing == "c 1:5 rwm"
    null_errno, zero_errno = _child_open_results(mgr.add_process)
    assert null_errno == errno.EPERM
    assert zero_errno == 0
    mgr.destroy(timeout=5.0)
    assert not os.path.exists(mgr.paths["devices"])


def test_v1_default_devices_win_over_config_rules(manager_factory):
    mgr = manager_factory()
    if mgr.mode == UNIFIED or not any("devices" in h.controllers for h in mgr.hierarchies):
        pytest.skip("no cgroup v1 devices controller on this host")
    mgr.create()
    # the config denies everything; the default rules (runc's) still allow
    # /dev/null and /dev/zero, but not e.g. the first disk
    mgr.apply({"devices": [{"allow": False}]})
    listing = _read(os.path.join(mgr.paths["devices"], "devices.list")).splitlines()
    assert "c 1:3 rwm" in listing and "c 136:* rwm" in listing
    assert not any(line.startswith("b ") and line != "b *:* m" for line in listing)
    null_errno, zero_errno = _child_open_results(mgr.add_process)
    assert (null_errno, zero_errno) == (0, 0)
    mgr.destroy(timeout=5.0)


def test_kernel_verifier_accepts_every_rule_shape():
    """Every kind of block the program builder emits must pass the verifier."""
    rule_sets = [[], [{"allow": True}],
                 [{"allow": False}, {"allow": True, "type": "c", "major": 1, "minor": 3,
                                     "access": "rw"}],
                 [{"allow": True}, {"allow": False, "type": "b", "minor": 7, "access": "m"},
                  {"allow": False, "type": "a", "major": 5, "access": "w"}]]
    normalized = [normalize_rules(raw) for raw in rule_sets]
    normalized.append(normalize_rules([{"allow": False}])
                      + list(DEFAULT_ALLOWED_RULES))
    for rules in normalized:
        program = devices_bpf.build_program(rules)
        fd = devices_bpf.load_program(program, real())
        assert fd >= 0
        os.close(fd)
