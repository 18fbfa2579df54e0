# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A container's cgroup is its own (issue 22, section 2), with real containers.

delete acts on every process of the container's cgroup and removes it; these
tests put a second container where the first one's cgroup is (the same id in
another state root, the same linux.cgroupsPath in another config, a lost
claim) and check that the second one keeps running in its cgroup, and that
a container whose state was lost (a reboot simulation) leaves neither its
limits nor its cgroup to the next one.
"""
from __future__ import absolute_import, division, print_function

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import itest_helpers as H  # noqa: E402

pytestmark = pytest.mark.ours
MIB = 1024 * 1024


@pytest.fixture
def other_root(oci, tmp_path):
    """A second state root on the same host, cleaned up like the first."""
    runtime = H.Runtime(oci.rt.binary, str(tmp_path / "state-root-2"), oci.rt.workdir)
    yield runtime
    for container_id in reversed(runtime.ids):
        runtime.delete(container_id, force=True)
    shutil.rmtree(runtime.root, ignore_errors=True)


@pytest.fixture
def default_cgroups():
    """Register (state root, id) of containers on the default cgroup path; removed (and failed on) at the end."""
    registered = []
    yield lambda root, container_id: registered.append((root, container_id))
    leftovers = []
    for root, container_id in registered:
        tag = hashlib.sha256(os.path.realpath(root).encode()).hexdigest()[:8]
        leftovers += H.remove_cgroup_tree("opencontainer/%s/%s" % (tag, container_id))
        leftovers += H.remove_cgroup_tree("opencontainer/%s" % container_id)  # the old default path
    assert not leftovers, "cgroups left behind: %s" % leftovers


def _leaves(state):
    return sorted(state["cgroup"]["paths"].values())


def _hierarchy_dir(state, controller):
    """(is_v2, directory) of the container's cgroup where ``controller`` runs, or None."""
    cgroup = state["cgroup"]
    for hierarchy in cgroup["hierarchies"]:
        if hierarchy["fstype"] == "cgroup" and controller in hierarchy["controllers"]:
            return False, cgroup["paths"][hierarchy["name"]]
    for hierarchy in cgroup["hierarchies"]:
        if hierarchy["fstype"] == "cgroup2" and controller in hierarchy["controllers"]:
            return True, cgroup["paths"][hierarchy["name"]]
    return None


def _read(directory, name):
    with open(os.path.join(directory, name)) as handle:
        return handle.read().strip()


def _in_its_cgroup(runtime, container_id):
    """The container runs, and its init is in each of its cgroup directories."""
    state = runtime.read_state_file(container_id)
    assert runtime.status(container_id) == "running"
    for directory in _leaves(state):
        assert os.path.isdir(directory), "cgroup %s of %s is gone" % (directory, container_id)
        assert state["pid"] in H.cgroup_procs(directory), "%s left cgroup %s" % (container_id, directory)


def _stopped(runtime, container_id, config, oci):
    runtime.create(container_id, oci.bundle(config)).check()
    runtime.start(container_id).check()
    runtime.wait_status(container_id, "stopped")
    return runtime.read_state_file(container_id)


def test_same_id_in_two_state_roots_gets_two_cgroups(oci, other_root, default_cgroups):
    container_id = oci.new_id()
    default_cgroups(oci.rt.root, container_id)
    default_cgroups(other_root.root, container_id)
    first = _stopped(oci.rt, container_id, H.base_config(["true"], oci.rootfs), oci)
    other_root.create_started(container_id, oci.bundle(H.base_config(["sleep", "1000"], oci.rootfs)))
    second = other_root.read_state_file(container_id)

    oci.rt.delete(container_id).check()  # stopped, not forced: today this emptied the shared cgroup
    _in_its_cgroup(other_root, container_id)
    assert first["cgroup"]["path"] != second["cgroup"]["path"]
    tag = hashlib.sha256(os.path.realpath(other_root.root).encode()).hexdigest()[:8]
    assert second["cgroup"]["path"] == "opencontainer/%s/%s" % (tag, container_id)
    other_root.delete(container_id, force=True).check()
    assert not any(os.path.exists(d) for d in _leaves(first) + _leaves(second))
    assert not any(os.path.exists(s["cgroup"]["claim"]["file"]) for s in (first, second))


def test_same_cgroups_path_in_two_configs_is_refused_while_its_owner_exists(oci, other_root):
    shared = oci.cgroup_prefix + "/shared"
    first, second, third = oci.new_id(), oci.new_id(), oci.new_id()
    before = _stopped(oci.rt, first, H.base_config(["true"], oci.rootfs, shared), oci)

    # The stopped container still owns its cgroup: its delete would empty and remove it.
    sleeper = oci.bundle(H.base_config(["sleep", "1000"], oci.rootfs, shared))
    H.assert_fails(other_root.create(second, sleeper), "cgroup", first, oci.rt.root)
    assert all(os.path.isdir(d) for d in _leaves(before))

    oci.rt.delete(first).check()
    other_root.create_started(second, sleeper)
    # Another state root, the same path, the one inside it and the one around it: all refused.
    for path in (shared, shared + "/inner", oci.cgroup_prefix):
        message = H.assert_fails(oci.rt.create(third, oci.bundle(H.base_config(["true"], oci.rootfs, path))),
                                 "cgroup", second)
        assert "of its own" in message
        _in_its_cgroup(other_root, second)
    other_root.delete(second, force=True).check()


def test_delete_leaves_a_cgroup_that_another_container_took(oci, other_root):
    """A lost claim (its file removed): the next container may take the path; the first one's delete leaves it."""
    shared = oci.cgroup_prefix + "/taken"
    first, second = oci.new_id(), oci.new_id()
    state = _stopped(oci.rt, first, H.base_config(["true"], oci.rootfs, shared), oci)
    claim = (state["cgroup"].get("claim") or {}).get("file")
    if claim:
        os.unlink(claim)
    other_root.create_started(second, oci.bundle(H.base_config(["sleep", "1000"], oci.rootfs, shared)))

    result = oci.rt.delete(first).check()
    _in_its_cgroup(other_root, second)
    assert "no longer" in result.stderr
    other_root.delete(second, force=True).check()
    # Without the claim nothing told the second container that the runtime made that
    # directory: it reused it as a pre-existing cgroup, which delete leaves in place.
    assert all(os.path.isdir(d) for d in _leaves(state))
    H.remove_cgroup_tree(shared)


def _limits(oci):
    """Resources with a limit in every controller the host has (v1 or v2) that reset.py resets."""
    resources = {"devices": [{"allow": False, "access": "rwm"}],
                 "memory": {"limit": 20 * MIB}, "pids": {"limit": 7},
                 "cpu": {"shares": 512, "quota": 20000, "period": 50000}}
    if os.path.exists(os.path.join(H.CGROUP_ROOT, "memory", "memory.memsw.limit_in_bytes")):
        resources["memory"]["swap"] = 20 * MIB
    unified = os.path.join(H.CGROUP_ROOT, "unified")
    for root in (unified, H.CGROUP_ROOT):
        controllers = os.path.join(root, "cgroup.controllers")
        if os.path.isfile(controllers) and "hugetlb" in _read(root, "cgroup.controllers").split():
            resources["hugepageLimits"] = [{"pageSize": "2MB", "limit": 4 * MIB}]
            break
    return resources


def _assert_unlimited(state):
    """No limit of _limits() is left in the container's cgroups."""
    checked = []
    memory = _hierarchy_dir(state, "memory")
    if memory:
        is_v2, directory = memory
        if is_v2:
            assert _read(directory, "memory.max") == "max"
        else:
            assert int(_read(directory, "memory.limit_in_bytes")) >= 1 << 62
            if os.path.exists(os.path.join(directory, "memory.memsw.limit_in_bytes")):
                assert int(_read(directory, "memory.memsw.limit_in_bytes")) >= 1 << 62
        checked.append("memory")
    pids = _hierarchy_dir(state, "pids")
    if pids:
        assert _read(pids[1], "pids.max") == "max"
        checked.append("pids")
    cpu = _hierarchy_dir(state, "cpu")
    if cpu:
        if cpu[0]:
            assert _read(cpu[1], "cpu.max") == "max 100000" and _read(cpu[1], "cpu.weight") == "100"
        else:
            assert _read(cpu[1], "cpu.shares") == "1024"
            assert _read(cpu[1], "cpu.cfs_quota_us") == "-1"
            assert _read(cpu[1], "cpu.cfs_period_us") == "100000"
        checked.append("cpu")
    hugetlb = _hierarchy_dir(state, "hugetlb")
    if hugetlb and os.path.exists(os.path.join(hugetlb[1], "hugetlb.2MB.max")):
        value = _read(hugetlb[1], "hugetlb.2MB.max")
        assert value == "max" or int(value) >= 1 << 62
        checked.append("hugetlb")
    assert "memory" in checked and "pids" in checked, "host has no memory/pids controller to check: %s" % checked


def _lose_state(runtime, container_id):
    """What a crash or a reboot with a persistent cgroupfs does: monitor and init killed, state root wiped."""
    state = runtime.read_state_file(container_id)
    for key in ("monitor_pid", "pid"):
        try:
            os.kill(state[key], signal.SIGKILL)
        except OSError:
            pass
    H.wait_for(lambda: not any(H.pid_alive(state[k]) for k in ("monitor_pid", "pid")), 10, what="processes gone")
    for directory in _leaves(state):
        H.wait_for(lambda: not H.cgroup_procs(directory), 10, what="%s empty" % directory)
    shutil.rmtree(runtime.root)
    runtime.ids.remove(container_id)


@pytest.mark.parametrize("where", ["default", "configured"])
def test_reboot_simulation_leaves_no_stale_limit_and_no_cgroup(oci, default_cgroups, where):
    container_id = oci.new_id()
    default_cgroups(oci.rt.root, container_id)
    path = oci.cgroup_prefix + "/rb" if where == "configured" else None
    limited = H.base_config(["sleep", "1000"], oci.rootfs, path)
    limited["linux"]["resources"] = _limits(oci)
    plain = oci.bundle(H.base_config(["sleep", "1000"], oci.rootfs, path))

    oci.rt.create_started(container_id, oci.bundle(limited))
    first = oci.rt.read_state_file(container_id)
    assert _read(_hierarchy_dir(first, "pids")[1], "pids.max") == "7"
    _lose_state(oci.rt, container_id)
    for _round in range(2):  # a few reboots in a row, each adopting the last one's orphan
        oci.rt.create_started(container_id, plain)
        state = oci.rt.read_state_file(container_id)
        assert _leaves(state) == _leaves(first)
        _assert_unlimited(state)
        _lose_state(oci.rt, container_id)

    oci.rt.create_started(container_id, plain)
    state = oci.rt.read_state_file(container_id)
    _assert_unlimited(state)
    oci.rt.delete(container_id, force=True).check()
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and any(os.path.exists(d) for d in _leaves(state)):
        time.sleep(0.05)
    assert [d for d in _leaves(state) if os.path.exists(d)] == []
    assert not os.path.exists(state["cgroup"]["claim"]["file"]), "delete left the cgroup's claim"
    if where == "default":
        tag_dir = os.path.dirname(state["cgroup"]["path"])
        assert not H.cgroup_dirs_under(tag_dir), "the state root's level of %s is left" % tag_dir


def test_a_cgroup_with_processes_of_no_container_is_refused(oci):
    """No claim names it, but a process lives there: still not a container's to take (runc 1.2 refuses it too)."""
    path = oci.cgroup_prefix + "/foreign"
    sleeper = subprocess.Popen(["sleep", "1000"])
    made = []
    try:
        for mount in H.cgroup_mounts():
            directory = os.path.join(mount, path.lstrip("/"))
            os.makedirs(directory)
            made.append(directory)
            if os.path.exists(os.path.join(directory, "cpuset.cpus")):  # cpusets.rst: empty until set, top down
                for level in (os.path.dirname(directory), directory):
                    for name in ("cpuset.cpus", "cpuset.mems"):
                        with open(os.path.join(level, name), "w") as handle:
                            handle.write(_read(mount, name))
            with open(os.path.join(directory, "cgroup.procs"), "w") as handle:
                handle.write(str(sleeper.pid))
        container_id = oci.new_id()
        H.assert_fails(oci.rt.create(container_id, oci.bundle(H.base_config(["true"], oci.rootfs, path))),
                       "already holds 1 process", str(sleeper.pid))
        assert sleeper.poll() is None
        assert all(sleeper.pid in H.cgroup_procs(d) for d in made)
    finally:
        sleeper.kill()
        sleeper.wait()
        for directory in made:
            H.wait_for(lambda: not H.cgroup_procs(directory), 5, what="%s empty" % directory)
            os.rmdir(directory)


def _cgroup2_base():
    for base in (os.path.join(H.CGROUP_ROOT, "unified"), H.CGROUP_ROOT):
        if os.path.isfile(os.path.join(base, "cgroup.procs")) and os.path.isfile(os.path.join(base, "cgroup.controllers")):
            return base
    return None


@pytest.mark.skipif(_cgroup2_base() is None, reason="no cgroup2 hierarchy to attach a device program to")
def test_an_earlier_users_device_program_is_replaced(oci):
    """cgroup v2: a reused cgroup's old device filter would keep denying what the new config allows."""
    from runtime.cgroups import devices_bpf
    from runtime.cgroups.devices import normalize_rules
    from runtime.syscalls.host import real
    cgroup = os.path.join(_cgroup2_base(), oci.cgroup_prefix.lstrip("/"), "devices")
    os.makedirs(cgroup)
    try:
        deny_null = normalize_rules([{"allow": True, "access": "rwm"},
                                     {"allow": False, "type": "c", "major": 1, "minor": 3, "access": "rwm"}])
        allow_all = normalize_rules([{"allow": True, "access": "rwm"}])
        devices_bpf.apply_device_rules(cgroup, deny_null, real())
        devices_bpf.apply_device_rules(cgroup, allow_all, real())  # as for a fresh cgroup: added
        earlier = devices_bpf.attached_program_ids(cgroup, real())
        assert len(earlier) == 2  # both apply: /dev/null would still be denied
        devices_bpf.apply_device_rules(cgroup, allow_all, real(), replace=True)
        now = devices_bpf.attached_program_ids(cgroup, real())
        assert len(now) == 1 and not set(now) & set(earlier)
    finally:
        os.rmdir(cgroup)  # detaches and frees the program
        os.rmdir(os.path.dirname(cgroup))


def test_the_state_roots_cgroup_level_goes_with_its_last_container(oci, default_cgroups):
    """opencontainer/<tag> is shared by the state root's containers: the last delete removes it, whoever made it."""
    ids = [oci.new_id(), oci.new_id()]
    for container_id in ids:
        default_cgroups(oci.rt.root, container_id)
        oci.rt.create_started(container_id, oci.bundle(H.base_config(["sleep", "1000"], oci.rootfs)))
    tag_level = os.path.dirname(oci.rt.read_state_file(ids[0])["cgroup"]["path"])
    for container_id in ids:  # the maker of the shared level first
        oci.rt.delete(container_id, force=True).check()
    assert not H.cgroup_dirs_under(tag_level), "cgroup level %s of the state root is left" % tag_level
