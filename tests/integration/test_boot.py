# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Coming back after a reboot: `oci-runtime boot` and the service records (our extension).

The reboot is simulated on this test's own things only: its state root is a
tmpfs mounted for the test; the "reboot" SIGKILLs the monitors and the
container processes of its containers, removes their veths and the test
network's bridge, removes their (now empty) cgroups, unmounts the tmpfs and
mounts a fresh one; then the boot entry point runs, as the host's init would
run it.
"""
from __future__ import absolute_import, division, print_function

import json
import os
import signal
import subprocess
import time

import pytest

import itest_helpers as H
from host_features import requires
from test_network import BRIDGE_NEEDS, Net, _links, _nft_comments

pytestmark = pytest.mark.ours

RESTART = "org.opencontainer.runtime.restart"


@pytest.fixture
def services_dir(tmp_path, monkeypatch):
    path = str(tmp_path / "services")
    monkeypatch.setenv("OCI_RUNTIME_SERVICES_DIR", path)
    return path


@pytest.fixture
def tmpfs_root(oci):
    """The test's state root on a tmpfs of its own; at the end: containers deleted, tmpfs unmounted."""
    root = oci.rt.root
    os.makedirs(root, 0o700)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0700,size=16m", "tmpfs", root], check=True)
    yield root
    for cid in reversed(oci.rt.ids):
        oci.rt.delete(cid, force=True)
    while H.host_mounts_under([root]):
        subprocess.run(["umount", "-l", root], check=False)


@pytest.fixture
def net(oci, tmpfs_root):
    network = Net(oci)
    yield network
    network.close()


def boot(oci):
    """The boot entry point, with its output in files: the containers it starts inherit its stdio."""
    out_path = os.path.join(oci.tmp, "boot.out")
    with open(out_path, "w") as out, open(out_path + ".err", "w") as err:
        code = subprocess.run([oci.rt.binary, "--root", oci.rt.root, "boot"], stdout=out, stderr=err,
                              stdin=subprocess.DEVNULL, timeout=120, check=False).returncode
    with open(out_path) as out, open(out_path + ".err") as err:
        return code, out.read(), err.read()


def simulate_reboot(oci, net, ids):
    root = oci.rt.root
    states = dict((cid, oci.rt.read_state_file(cid)) for cid in ids)
    for state in states.values():  # monitors first: a monitor must not see its container die
        _kill(state.get("monitor_pid"))
    for state in states.values():
        _kill(state.get("pid"))
    for state in states.values():
        H.wait_for(lambda: not H.pid_alive(state["pid"]), 10, what="container process to die")
    links = _links()
    for state in states.values():
        ifname = (state.get("network") or {}).get("host_ifname")
        if ifname in links:  # usually gone with the container's network namespace already
            subprocess.run(["ip", "link", "del", ifname], check=False, stderr=subprocess.DEVNULL)
    if net.bridge in _links():
        subprocess.run(["ip", "link", "del", net.bridge], check=True)
    H.remove_cgroup_tree(oci.cgroup_prefix)  # gone with the old kernel
    subprocess.run(["umount", root], check=True)
    assert not os.listdir(root)  # the tmpfs held everything
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0700,size=16m", "tmpfs", root], check=True)
    return states


def _kill(pid):
    if pid:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


@requires(*BRIDGE_NEEDS)
def test_reboot_brings_back_what_should_run_and_nothing_else(oci, services_dir, net):
    def container(args, policy, **network):
        config = net.config(args, **network)
        if policy:
            config["annotations"][RESTART] = policy
        cid = oci.new_id()
        oci.rt.create_started(cid, oci.bundle(config))
        return cid

    static_ip = net.prefix + "77"
    web = container(["sleep", "1000"], "always", ip=static_ip, publish=["127.0.0.1:%d:80" % (20000 + os.getpid() % 20000)])
    worker = container(["sleep", "1000"], "on-failure:3")
    stopped_by_user = container(["sleep", "1000"], "unless-stopped")
    plain = container(["sleep", "1000"], None)
    finished = container(["true"], "on-failure")
    oci.rt.kill(stopped_by_user, "KILL").check()
    H.wait_for(lambda: oci.rt.read_state_file(finished).get("status") == "stopped"
               and not H.pid_alive(oci.rt.read_state_file(finished)["monitor_pid"]), 10, what="one-shot done")
    H.wait_for(lambda: oci.rt.read_state_file(stopped_by_user).get("status") == "stopped", 10, what="kill")
    rules_before = sorted(c for c in _nft_comments() if c and c.startswith("oci:ctr:"))
    before = simulate_reboot(oci, net, [web, worker, stopped_by_user, plain, finished])

    code, out, err = boot(oci)
    assert code == 0, (out, err)
    running = sorted(oci.rt.list("--quiet").check().stdout.split())
    assert running == sorted([web, worker]), (out, err)
    for cid in (web, worker):
        now = oci.rt.read_state_file(cid)
        assert oci.rt.state(cid)["status"] == "running"
        assert now["config"] == before[cid]["config"]
        assert now["pid"] != before[cid]["pid"]
        assert not H.pid_alive(before[cid]["monitor_pid"])
    web_state = oci.rt.read_state_file(web)
    assert web_state["network"]["ip"] == static_ip
    addr = oci.rt.cmd("exec", web, "ip", "-4", "addr", "show", "eth0").check().stdout
    assert static_ip + "/" in addr
    # The published port's rules exist once, as before; no rule of a container that is not back.
    rules_after = sorted(c for c in _nft_comments() if c and c.startswith("oci:ctr:"))
    assert rules_after == sorted(c for c in rules_before if c in rules_after)
    assert web_state["network"]["nft_tag"] in rules_after
    assert rules_after.count(web_state["network"]["nft_tag"]) == rules_before.count(web_state["network"]["nft_tag"])
    # Addresses are leased to the containers that are back, and only to them.
    assert sorted(net.leases().values()) == sorted([web, worker])
    assert net.bridge in _links()  # made again by create
    # Running it again changes nothing.
    pids = dict((cid, oci.rt.read_state_file(cid)["pid"]) for cid in (web, worker))
    code, out, err = boot(oci)
    assert code == 0, err
    assert "left %s: exists already" % web in out
    assert pids == dict((cid, oci.rt.read_state_file(cid)["pid"]) for cid in (web, worker))
    # The boot-started container still has its policy: a crash brings it back.
    os.kill(pids[worker], signal.SIGKILL)
    H.wait_for(lambda: oci.rt.read_state_file(worker).get("restart_count") == 1
               and oci.rt.read_state_file(worker).get("status") == "running", 15, what="restart after boot")


def test_boot_without_records_does_nothing(oci, services_dir, tmpfs_root):
    code, out, err = boot(oci)
    assert (code, out) == (0, ""), err


def test_boot_reports_a_container_it_cannot_bring_back(oci, services_dir, tmpfs_root):
    cid = oci.new_id()
    rootfs = oci.private_rootfs()
    config = oci.config(["sleep", "1000"], rootfs=rootfs)
    config["annotations"] = {RESTART: "always"}
    oci.rt.create_started(cid, oci.bundle(config))
    state = oci.rt.read_state_file(cid)
    _kill(state["monitor_pid"])
    _kill(state["pid"])
    H.wait_for(lambda: not H.pid_alive(state["pid"]), 10, what="container to die")
    H.remove_cgroup_tree(oci.cgroup_prefix)
    subprocess.run(["umount", oci.rt.root], check=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0700,size=16m", "tmpfs", oci.rt.root], check=True)
    os.rename(rootfs, rootfs + ".gone")
    try:
        code, out, err = boot(oci)
    finally:
        os.rename(rootfs + ".gone", rootfs)
    assert code == 1
    assert cid in err
    with open(state["service_record"]) as handle:
        assert json.load(handle)["run"] is True  # tried again at the next boot
    time.sleep(0.1)


def test_boot_brings_back_a_container_after_the_one_whose_network_it_joins(oci, services_dir, tmpfs_root):
    name = oci.new_id()
    base, joined = name + "-z", name + "-a"  # records are read in name order: the joining one first
    config = oci.config(["sleep", "1000"])
    config["annotations"] = {RESTART: "always"}
    oci.rt.create_started(base, oci.bundle(config))
    config = oci.config(["sleep", "1000"])
    config["annotations"] = {RESTART: "always", "org.opencontainer.runtime.network": "container:" + base}
    oci.rt.create_started(joined, oci.bundle(config))
    for cid in (joined, base):
        state = oci.rt.read_state_file(cid)
        _kill(state["monitor_pid"])
        _kill(state["pid"])
        H.wait_for(lambda: not H.pid_alive(state["pid"]), 10, what="container to die")
    H.remove_cgroup_tree(oci.cgroup_prefix)
    subprocess.run(["umount", oci.rt.root], check=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0700,size=16m", "tmpfs", oci.rt.root], check=True)
    code, out, err = boot(oci)
    assert code == 0, (out, err)
    assert out.splitlines()[:2] == ["started %s" % base, "started %s" % joined]
    pids = [oci.rt.read_state_file(cid)["pid"] for cid in (base, joined)]
    assert os.readlink("/proc/%d/ns/net" % pids[0]) == os.readlink("/proc/%d/ns/net" % pids[1])
