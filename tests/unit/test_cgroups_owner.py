# -*- coding: utf-8 -*-
"""Who owns a cgroup (cgroups/owner.py, lifetime.py, reset.py) on the simulated cgroupfs.

The claims live in a temp directory and the "state roots" are temp
directories holding the owners' state.json, as the runtime writes them.
"""
import errno
import hashlib
import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_cgroups_sim import SimFiles, SimHost  # noqa: E402

from runtime.cgroups import owner  # noqa: E402
from runtime.cgroups.manager import CgroupManager, resolve_cgroups_path  # noqa: E402
from runtime.errors import CgroupError  # noqa: E402
from runtime.syscalls.fake import FakeSyscalls  # noqa: E402


class Host(object):
    """A SimHost plus a claim directory and state roots where owners record their state."""

    def __init__(self, tmp_path, mode="legacy"):
        self.tmp = str(tmp_path)
        self.sim = SimHost(tmp_path, mode)
        self.claims = os.path.join(self.tmp, "claims")

    def root(self, name):
        path = os.path.join(self.tmp, name)
        if not os.path.isdir(path):
            os.mkdir(path)
        return path

    def manager(self, root, container_id, cgroups_path=None):
        return self.sim.manager(container_id, cgroups_path, state_root=self.root(root), claims_dir=self.claims)

    def created(self, root, container_id, cgroups_path=None):
        """create() as lifecycle/create.py runs it: state saved with the claim token first."""
        mgr = self.manager(root, container_id, cgroups_path)
        self.save(mgr)
        mgr.create()
        self.save(mgr)
        return mgr

    def save(self, mgr, status="created"):
        directory = os.path.join(mgr.claim["state_root"], mgr.container_id)
        if not os.path.isdir(directory):
            os.mkdir(directory)
        with open(os.path.join(directory, "state.json"), "w") as handle:
            json.dump({"id": mgr.container_id, "status": status, "cgroup": mgr.to_dict()}, handle)

    def forget(self, mgr):
        """The owner's state is lost (a crash, a wiped state root)."""
        os.unlink(os.path.join(mgr.claim["state_root"], mgr.container_id, "state.json"))

    def write(self, mgr, hierarchy, filename, value):
        with open(os.path.join(mgr.paths[hierarchy], filename), "w") as handle:
            handle.write(value)

    def read(self, mgr, hierarchy, filename):
        with open(os.path.join(mgr.paths[hierarchy], filename)) as handle:
            return handle.read().strip()


def test_default_path_differs_per_state_root_and_follows_its_real_path(tmp_path):
    one, two = str(tmp_path / "one"), str(tmp_path / "two")
    os.mkdir(one)
    os.mkdir(two)
    os.symlink(one, str(tmp_path / "link"))
    tag = hashlib.sha256(os.path.realpath(one).encode()).hexdigest()[:8]
    assert resolve_cgroups_path("web", None, one) == "opencontainer/%s/web" % tag
    assert resolve_cgroups_path("web", "", str(tmp_path / "link")) == "opencontainer/%s/web" % tag
    assert resolve_cgroups_path("web", None, two) != resolve_cgroups_path("web", None, one)
    assert resolve_cgroups_path("web", "/a/b", one) == "a/b"  # a configured path is the config's


def test_create_claims_the_cgroup_and_destroy_gives_the_claim_up(tmp_path):
    host = Host(tmp_path)
    mgr = host.created("r1", "c1")
    claim = owner.read_claim(mgr.claim["file"])
    assert claim["token"] == mgr.claim["token"] and claim["id"] == "c1"
    assert claim["state_root"] == host.root("r1")
    assert set(claim["inodes"]) == set(mgr.paths) == set(mgr.identity["inodes"])
    assert mgr.owns_cgroup()
    mgr.destroy(timeout=0.5)
    assert owner.read_claim(mgr.claim["file"]) is None
    assert not os.path.exists(host.sim.path("memory", "opencontainer"))


@pytest.mark.parametrize("status", ["created", "stopped"])
def test_a_path_another_existing_container_owns_is_refused(tmp_path, status):
    host = Host(tmp_path)
    first = host.created("r1", "c1", "/shared")
    host.save(first, status)
    second = host.manager("r2", "c1", "/shared")
    host.save(second)
    with pytest.raises(CgroupError) as info:
        second.create()
    message = str(info.value)
    assert "linux.cgroupsPath" in message and "container c1 of state root %s" % host.root("r1") in message
    assert "status %s" % status in message
    assert second.created == [] and first.owns_cgroup()
    assert owner.read_claim(first.claim["file"])["token"] == first.claim["token"]


@pytest.mark.parametrize("taken,asked", [("a", "a/b"), ("a/b", "a"), ("a/b", "a/b/c/d")])
def test_a_path_inside_or_around_another_containers_cgroup_is_refused(tmp_path, taken, asked):
    host = Host(tmp_path)
    host.created("r1", "c1", taken)
    other = host.manager("r2", "c2", asked)
    host.save(other)
    with pytest.raises(CgroupError) as info:
        other.create()
    assert "c1" in str(info.value)


def test_a_claim_whose_owner_is_gone_or_replaced_is_stale(tmp_path):
    host = Host(tmp_path)
    first = host.created("r1", "c1", "/shared")
    claims = owner.Claims(host.claims, host.sim.files)
    assert claims.live_owner(owner.read_claim(first.claim["file"])) is not None
    # the same id in that state root is another container now (another token)
    replaced = host.manager("r1", "c1", "/elsewhere")
    host.save(replaced)
    assert claims.live_owner(owner.read_claim(first.claim["file"])) is None
    host.forget(replaced)
    assert claims.live_owner(owner.read_claim(first.claim["file"])) is None


def test_a_claim_from_before_a_reboot_is_stale(tmp_path, monkeypatch):
    host = Host(tmp_path)
    first = host.created("r1", "c1", "/shared")
    claims = owner.Claims(host.claims, host.sim.files)
    fake_boot = tmp_path / "boot_id"
    fake_boot.write_text("another-boot\n")
    monkeypatch.setattr(owner, "BOOT_ID", str(fake_boot))
    assert claims.live_owner(owner.read_claim(first.claim["file"])) is None
    assert not first.owns_cgroup()  # and its delete leaves whatever is at that path now


def test_an_unreadable_claim_is_taken_as_live(tmp_path):
    host = Host(tmp_path)
    mgr = host.manager("r1", "c1", "/shared")
    os.makedirs(host.claims)
    with open(mgr.claim["file"], "w") as handle:
        handle.write("{truncated")
    host.save(mgr)
    with pytest.raises(CgroupError) as info:
        mgr.create()
    assert "unreadable claim" in str(info.value)


def test_an_orphan_of_a_lost_container_is_adopted_and_removed_at_destroy(tmp_path):
    host = Host(tmp_path)
    first = host.created("r1", "c1", "/shared/c1")
    host.forget(first)
    second = host.created("r2", "c2", "/shared/c1")
    # the leaf and its parent were the lost container's: now the new one's to remove
    assert sorted(second.created) == sorted(first.created)
    assert owner.read_claim(second.claim["file"])["token"] == second.claim["token"]
    assert not first.owns_cgroup()  # its claim is the new container's now
    second.destroy(timeout=0.5)
    assert not os.path.exists(host.sim.path("memory", "shared"))


def test_an_orphan_on_the_default_path_is_adopted_without_a_claim(tmp_path):
    host = Host(tmp_path)
    first = host.created("r1", "c1")
    host.forget(first)
    os.unlink(first.claim["file"])  # claims lost too
    again = host.created("r1", "c1")
    assert again.path == first.path
    assert set(first.created) <= set(again.created)
    again.destroy(timeout=0.5)
    assert not os.path.exists(host.sim.path("memory", "opencontainer"))


def test_a_cgroup_made_by_someone_else_is_reused_and_left_in_place(tmp_path):
    host = Host(tmp_path)
    os.makedirs(host.sim.path("memory", "admin", "made"))
    mgr = host.created("r1", "c1", "/admin/made")
    assert host.sim.path("memory", "admin", "made") not in mgr.created
    assert mgr.preexisting == [host.sim.path("memory", "admin", "made")]
    mgr.destroy(timeout=0.5)
    assert os.path.isdir(host.sim.path("memory", "admin", "made"))


def test_a_cgroup_with_processes_is_not_adopted(tmp_path):
    host = Host(tmp_path)
    first = host.created("r1", "c1", "/shared")
    first.add_process(300)
    host.forget(first)
    second = host.manager("r2", "c2", "/shared")
    host.save(second)
    with pytest.raises(CgroupError) as info:
        second.create()
    assert "already holds 1 process" in str(info.value)
    assert second.created == []
    assert owner.read_claim(first.claim["file"])["token"] == first.claim["token"]


def test_owns_cgroup_sees_a_replaced_directory_and_a_taken_claim(tmp_path):
    host = Host(tmp_path)
    mgr = host.created("r1", "c1", "/x")
    assert mgr.owns_cgroup()
    mgr.identity["inodes"]["memory"] += 1  # as if removed and made again: another kernfs node
    assert not mgr.owns_cgroup()
    mgr.identity["inodes"]["memory"] -= 1
    taken = dict(owner.read_claim(mgr.claim["file"]), token="someone-else")
    with open(mgr.claim["file"], "w") as handle:
        json.dump(taken, handle)
    assert not mgr.owns_cgroup()
    mgr.release_claim()  # not ours: stays
    assert owner.read_claim(mgr.claim["file"])["token"] == "someone-else"


def test_owns_cgroup_without_records_unless_a_later_container_claimed_the_path(tmp_path, monkeypatch):
    host = Host(tmp_path)
    monkeypatch.setattr(owner, "CLAIMS_DIR", host.claims)
    mgr = host.created("r1", "c1", "/x")
    data = mgr.to_dict()
    del data["claim"], data["identity"]  # state written before claims existed
    old = CgroupManager.from_dict(data, files=host.sim.files)
    assert not old.owns_cgroup()  # a container of this version claims /x
    mgr.release_claim()
    assert old.owns_cgroup()


def test_create_makes_a_parent_again_that_a_concurrent_delete_removed(tmp_path):
    host = Host(tmp_path)

    class Racy(SimFiles):
        raced = []

        def mkdir(self, path):
            if path.endswith("/leaf") and not self.raced:
                self.raced.append(path)
                SimFiles.rmdir(self, os.path.dirname(path))  # another container's delete: an empty shared parent goes
                raise OSError(errno.ENOENT, os.strerror(errno.ENOENT))
            SimFiles.mkdir(self, path)

    racy = Racy(host.sim.mount_root, host.sim.files.v2_roots)
    host.sim.files = racy
    mgr = host.created("r1", "c1", "/parent/leaf")
    assert Racy.raced and all(os.path.isdir(d) for d in mgr.paths.values())


def _write_all(host, mgr, values):
    for hierarchy, filename, value in values:
        host.write(mgr, hierarchy, filename, value)


def test_stale_v1_limits_of_an_adopted_cgroup_are_reset_before_the_configs(tmp_path):
    host = Host(tmp_path)
    first = host.created("r1", "c1", "/shared")
    host.forget(first)
    _write_all(host, first, [
        ("memory", "memory.limit_in_bytes", "20971520"), ("memory", "memory.memsw.limit_in_bytes", "20971520"),
        ("memory", "memory.soft_limit_in_bytes", "9223372036854771712"), ("memory", "memory.oom_control",
                                                                          "oom_kill_disable 1\nunder_oom 0\n"),
        ("pids", "pids.max", "7"), ("cpu,cpuacct", "cpu.shares", "512"), ("cpu,cpuacct", "cpu.cfs_quota_us", "20000"),
        ("cpu,cpuacct", "cpu.cfs_period_us", "100000"),
        ("blkio", "blkio.throttle.read_bps_device", "8:0 1048576\n8:16 0\n"),
        ("cpuset", "cpuset.cpus", "1"), ("hugetlb", "hugetlb.2MB.limit_in_bytes", "4194304")])
    second = host.created("r2", "c2", "/shared")
    del host.sim.files.writes[:]
    second.apply({"memory": {"limit": 50 * 1024 * 1024}})
    writes = [(path.split("/")[0] + "/" + path.rsplit("/", 1)[1], value) for path, value in host.sim.files.writes]
    assert writes.index(("memory/memory.memsw.limit_in_bytes", "-1")) < writes.index(
        ("memory/memory.limit_in_bytes", "-1")) < writes.index(("memory/memory.limit_in_bytes", "52428800"))
    for expected in [("pids/pids.max", "max"), ("cpu,cpuacct/cpu.shares", "1024"),
                     ("cpu,cpuacct/cpu.cfs_quota_us", "-1"), ("memory/memory.oom_control", "0"),
                     ("blkio/blkio.throttle.read_bps_device", "8:0 0"), ("cpuset/cpuset.cpus", "0-3"),
                     ("hugetlb/hugetlb.2MB.limit_in_bytes", "-1")]:
        assert expected in writes
    assert ("memory/memory.soft_limit_in_bytes", "-1") not in writes  # already unlimited: not written
    assert ("cpu,cpuacct/cpu.cfs_period_us", "100000") not in writes
    assert ("blkio/blkio.throttle.read_bps_device", "8:16 0") not in writes


def test_stale_v2_limits_of_an_adopted_cgroup_are_reset(tmp_path):
    host = Host(tmp_path, "unified")
    first = host.created("r1", "c1", "/shared")
    first.apply({"memory": {"limit": 20971520}, "pids": {"limit": 7}, "cpu": {"quota": 20000, "period": 50000},
                 "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}]}, default_devices=False)
    host.write(first, "", "io.max", "8:0 rbps=1048576 wbps=max riops=max wiops=max\n")
    host.write(first, "", "memory.swap.max", "max")
    host.write(first, "", "memory.low", "0")
    host.write(first, "", "memory.high", "max")
    host.write(first, "", "cpu.weight", "100")
    host.forget(first)
    second = host.created("r2", "c2", "/shared")
    second.apply({}, default_devices=False)
    for filename, value in [("memory.max", "max"), ("pids.max", "max"), ("cpu.max", "max 100000"),
                            ("hugetlb.2MB.max", "max"), ("io.max", "8:0 rbps=max wbps=max riops=max wiops=max")]:
        assert host.read(second, "", filename) == value


def test_a_fresh_cgroup_gets_no_reset_writes(tmp_path):
    host = Host(tmp_path)
    mgr = host.created("r1", "c1", "/fresh")
    assert mgr.preexisting == []
    del host.sim.files.writes[:]
    mgr.apply({})
    assert [p for p, _v in host.sim.files.writes if not p.split("/")[-1].startswith("devices.")] == []


def test_a_reused_cgroup_keeps_no_stale_limit(tmp_path):
    """Also without claims (the manager as the unit tests of apply build it): apply resets first."""
    host = SimHost(tmp_path, "legacy")
    os.makedirs(host.path("memory", "opencontainer", "c1"))
    os.makedirs(host.path("pids", "opencontainer", "c1"))
    for hierarchy, filename, value in [("memory", "memory.limit_in_bytes", "20971520"),
                                       ("memory", "memory.memsw.limit_in_bytes", "20971520"),
                                       ("pids", "pids.max", "7")]:
        with open(host.path(hierarchy, "opencontainer", "c1", filename), "w") as handle:
            handle.write(value)
    mgr = host.manager("c1")
    mgr.create()
    mgr.apply({})
    for hierarchy, filename, value in [("memory", "memory.limit_in_bytes", "-1"),
                                       ("memory", "memory.memsw.limit_in_bytes", "-1"), ("pids", "pids.max", "max")]:
        with open(host.path(hierarchy, "opencontainer", "c1", filename)) as handle:
            assert handle.read().strip() == value


@pytest.mark.parametrize("reused", [False, True])
def test_v2_device_programs_of_a_reused_cgroup_are_looked_up_to_be_replaced(tmp_path, reused):
    host = Host(tmp_path, "unified")
    if reused:
        os.makedirs(host.sim.path("x"))
    fake = FakeSyscalls()
    mgr = host.sim.manager("c1", "/x", syscalls=fake, state_root=host.root("r1"), claims_dir=host.claims)
    host.save(mgr)
    mgr.create()
    mgr.apply({})
    commands = [call[1] for call in fake.calls if call[0] == "bpf"]
    # BPF_PROG_QUERY (16) first for a reused cgroup (the fake lists no program, so nothing is detached)
    assert commands == ([16] if reused else []) + [5, 8]


@pytest.mark.parametrize("order", [("c1", "c2"), ("c2", "c1")])
def test_the_default_paths_shared_parents_go_with_the_last_container(tmp_path, order):
    host = Host(tmp_path)
    managers = dict((cid, host.created("r1", cid)) for cid in ("c1", "c2"))
    tag_level = os.path.dirname(managers["c1"].paths["memory"])
    managers[order[0]].destroy(timeout=0.5)
    assert os.path.isdir(tag_level)  # the other container still lives there
    managers[order[1]].destroy(timeout=0.5)
    assert not os.path.exists(host.sim.path("memory", "opencontainer"))
