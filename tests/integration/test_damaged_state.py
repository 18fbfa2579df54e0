# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A container whose state.json is truncated or corrupt (lifecycle/damaged.py).

list shows it as "unknown" with the reason, state and plain delete fail
naming the file, delete --force kills its processes and removes it, and a
process that only pretends to be its monitor gets nobody killed.
"""
from __future__ import absolute_import, division, print_function

import json
import os
import subprocess
import sys

import pytest

import itest_helpers as H
import test_network

pytestmark = pytest.mark.ours
net = test_network.net  # the bridge network fixture


def _damage(oci, cid, how):
    path = oci.rt.state_file(cid)
    with open(path, "rb") as handle:
        content = handle.read()
    damaged = {"truncated": content[:len(content) // 3], "zeroed": b"\0" * len(content),
               "empty": b""}[how]
    with open(path, "wb") as handle:
        handle.write(damaged)
    return path


def _running(oci, config):
    cid = oci.new_id()
    state = oci.rt.create_started(cid, oci.bundle(config))
    stored = oci.rt.read_state_file(cid)
    return cid, state["pid"], stored["monitor_pid"], stored["cgroup"]["paths"]


def _gone(pid):
    return not H.pid_alive(pid)


def _empty_and_removed(paths):
    """A linux.cgroupsPath cgroup is emptied but left in place (damaged.py says why): check, then rmdir it."""
    for directory in paths.values():
        if os.path.isdir(directory):
            with open(os.path.join(directory, "cgroup.procs")) as handle:
                assert handle.read().split() == [], directory
            os.rmdir(directory)


def test_listed_as_unknown_with_the_reason(oci):
    cid, pid, monitor, paths = _running(oci, oci.config(["sleep", "60"]))
    path = _damage(oci, cid, "truncated")
    listed = json.loads(oci.rt.list("--format", "json").check().stdout)
    entry = [c for c in listed if c["id"] == cid]
    assert entry and entry[0]["status"] == "unknown", listed
    assert path in entry[0]["reason"]
    table = oci.rt.list().check()
    row = [line.split() for line in table.stdout.splitlines() if line.startswith(cid)]
    assert row and row[0][2] == "unknown", table.stdout
    assert path in table.stderr
    assert H.pid_alive(pid) and H.pid_alive(monitor)
    oci.rt.delete(cid, force=True).check()
    _empty_and_removed(paths)


@pytest.mark.parametrize("how", ["truncated", "zeroed", "empty"])
def test_state_and_plain_delete_fail_naming_the_file(oci, how):
    cid, pid, _monitor, paths = _running(oci, oci.config(["sleep", "60"]))
    path = _damage(oci, cid, how)
    H.assert_fails(oci.rt.state_result(cid), path)
    H.assert_fails(oci.rt.delete(cid), path, "--force")
    assert H.pid_alive(pid)
    assert os.path.isdir(os.path.dirname(path))
    oci.rt.delete(cid, force=True).check()
    H.wait_for(lambda: _gone(pid), 5, what="the init gone")
    _empty_and_removed(paths)


def test_force_delete_removes_processes_and_default_cgroup(oci):
    config = oci.config(["sh", "-c", "sleep 60 & sleep 60 & wait"])
    del config["linux"]["cgroupsPath"]  # the default cgroup, derived from the id
    cid, pid, monitor, paths = _running(oci, config)
    try:
        with open(os.path.join(paths["pids"], "cgroup.procs")) as handle:
            members = [int(p) for p in handle.read().split()]
        assert len(members) == 3
        _damage(oci, cid, "truncated")
        result = oci.rt.delete(cid, force=True).check()
        assert "poststop hooks not run" in result.stderr
        for p in members + [monitor]:
            H.wait_for(lambda: _gone(p), 5, what="pid %d gone" % p)
        assert not os.path.exists(os.path.join(oci.rt.root, cid))
        for directory in paths.values():
            assert not os.path.exists(directory), directory
        assert cid not in oci.rt.list("--format", "json").check().stdout
    finally:  # outside the test's cgroup prefix: the fixture would not clean it
        H.remove_cgroup_tree(os.path.relpath(paths["pids"], os.path.join(H.CGROUP_ROOT, "pids")))


def _custom_cgroup_container(oci):
    # Without a pid namespace the init's children outlive it: they are found in its cgroup.
    config = oci.config(["sh", "-c", "sleep 60 & sleep 60 & wait"])
    config["linux"]["namespaces"] = [n for n in config["linux"]["namespaces"] if n["type"] != "pid"]
    cid, pid, monitor, paths = _running(oci, config)
    with open(os.path.join(paths["pids"], "cgroup.procs")) as handle:
        members = [int(p) for p in handle.read().split()]
    return cid, monitor, paths, members


def _claim_file(cid, oci):
    claims = "/run/opencontainer/cgroup-owners"
    for name in os.listdir(claims) if os.path.isdir(claims) else ():
        with open(os.path.join(claims, name)) as handle:
            if json.load(handle).get("id") == cid:
                return os.path.join(claims, name)
    return None


def test_force_delete_of_custom_cgroup_removes_what_its_claim_says_create_made(oci):
    cid, monitor, paths, members = _custom_cgroup_container(oci)
    claim = _claim_file(cid, oci)
    assert claim is not None
    _damage(oci, cid, "zeroed")
    result = oci.rt.delete(cid, force=True).check()
    assert "left in place" not in result.stderr
    for p in members + [monitor]:
        H.wait_for(lambda: _gone(p), 5, what="pid %d gone" % p)
    assert not os.path.exists(os.path.join(oci.rt.root, cid))
    assert [d for d in paths.values() if os.path.exists(d)] == []
    assert not os.path.exists(claim)


def test_force_delete_of_custom_cgroup_without_its_claim_empties_it(oci):
    cid, monitor, paths, members = _custom_cgroup_container(oci)
    os.unlink(_claim_file(cid, oci))  # the claim lost too: whether create made the cgroup is unknown
    _damage(oci, cid, "zeroed")
    result = oci.rt.delete(cid, force=True).check()
    assert "left in place" in result.stderr
    for p in members + [monitor]:
        H.wait_for(lambda: _gone(p), 5, what="pid %d gone" % p)
    assert not os.path.exists(os.path.join(oci.rt.root, cid))
    _empty_and_removed(paths)


FORGER = """
import os, sys, time
if sys.argv[2] == "0":
    # Fork a child, then exec again naming it as the init: it stays our child.
    victim = os.fork()
    if victim == 0:
        time.sleep(60)
        os._exit(0)
    os.execv(sys.executable, [sys.executable, "-I", "-S", "-B", sys.argv[0], sys.argv[1], str(victim)])
sys.stdout.write(sys.argv[2] + "\\n")
sys.stdout.flush()
time.sleep(60)
"""


def test_a_forged_monitor_gets_nobody_killed(oci, tmp_path):
    # A process whose command line is that of the container's monitor, whose
    # "init" is its own child, but which does not hold the container
    # directory open: delete --force must not trust it.
    cid, pid, monitor, paths = _running(oci, oci.config(["sleep", "60"]))
    script = tmp_path / ".libexec" / "monitor-forged" / "monitor.py"
    script.parent.mkdir(parents=True)
    script.write_text(FORGER)
    container_dir = os.path.join(oci.rt.root, cid)
    forger = subprocess.Popen([sys.executable, "-I", "-S", "-B", str(script), container_dir, "0"],
                              stdout=subprocess.PIPE, universal_newlines=True)
    victim = None
    try:
        victim = int(forger.stdout.readline())
        with open("/proc/%d/stat" % victim) as handle:
            assert int(handle.read().rsplit(")", 1)[1].split()[1]) == forger.pid
        _damage(oci, cid, "truncated")
        oci.rt.delete(cid, force=True).check()
        H.wait_for(lambda: _gone(pid) and _gone(monitor), 5, what="the container's init and monitor gone")
        assert H.pid_alive(victim), "a process named by a forged monitor was killed"
        assert forger.poll() is None
        _empty_and_removed(paths)
    finally:
        forger.kill()
        forger.wait()
        if victim:
            try:
                os.kill(victim, 9)
                os.waitpid(victim, 0)
            except OSError:
                pass


def test_force_delete_undoes_the_network_without_the_record(oci, net):
    # The network record (veth, nft tag, lease) was in the lost state: the
    # names are derived from the state root and the id, the lease from the id.
    _links, _nft_comments = test_network._links, test_network._nft_comments
    port = 20000 + os.getpid() % 9000
    cid, record = net.started(["sleep", "60"], publish=["%d:80" % port])
    paths = oci.rt.read_state_file(cid)["cgroup"]["paths"]
    assert net.leases() == {record["ip"]: cid}
    assert record["host_ifname"] in _links() and record["nft_tag"] in _nft_comments()
    _damage(oci, cid, "truncated")
    oci.rt.delete(cid, force=True).check()
    assert net.leases() == {}
    assert record["host_ifname"] not in _links()
    assert record["nft_tag"] not in _nft_comments()
    _empty_and_removed(paths)


def test_force_delete_of_a_paused_damaged_container(oci):
    # A frozen (cgroup v1 freezer) process acts on SIGKILL only once thawed.
    cid, pid, monitor, paths = _running(oci, oci.config(["sleep", "60"]))
    oci.rt.cmd("pause", cid).check()
    _damage(oci, cid, "truncated")
    oci.rt.delete(cid, force=True).check()
    for p in (pid, monitor):
        H.wait_for(lambda: _gone(p), 5, what="pid %d gone" % p)
    assert not os.path.exists(os.path.join(oci.rt.root, cid))
    _empty_and_removed(paths)
