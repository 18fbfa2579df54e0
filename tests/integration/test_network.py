# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bridge networks, published ports and shared network namespaces with real containers.

Only addresses this test creates: a bridge and a 10.233.N.0/24 subnet of
its own per test, containers on it, and the host talking to them through
the bridge or its own loopback. Nothing leaves the machine. The finalizer
deletes the containers, then the network (bridge, nft rules, leases), and
restores net.ipv4.ip_forward.
"""
from __future__ import absolute_import, division, print_function

import json
import os
import random
import socket
import subprocess
import threading
import time
import uuid

import pytest

import itest_helpers as H
from host_features import command_works, path_exists, python_module, requires

pytestmark = [
    pytest.mark.ours,
    requires(python_module("pyroute2", "tests/requirements.txt"),
             command_works(["nft", "list", "tables"], "nftables (apt package nftables, kernel nf_tables)"),
             path_exists("/usr/lib/python3/dist-packages/pyroute2", "the CLI's /usr/bin/python3 needs python3-pyroute2")),
]

NET = "org.opencontainer.runtime.network"


def _links():
    from runtime.network.common import ipr
    with ipr() as route:
        return set(link.get_attr("IFLA_IFNAME") for link in route.get_links())


def _nft_comments():
    from runtime.network import nft
    return [item["rule"].get("comment") for item in nft.list_table().get("nftables", []) if "rule" in item]


class Net(object):
    def __init__(self, oci):
        from runtime.network import manage
        self.oci = oci
        self.root = oci.rt.root
        self.name = "t" + uuid.uuid4().hex[:8]
        self.bridge = "octest" + uuid.uuid4().hex[:6]
        used = subprocess.run(["ip", "-4", "route"], stdout=subprocess.PIPE, universal_newlines=True, check=False).stdout
        third = random.choice([n for n in range(1, 250) if "10.233.%d." % n not in used])
        self.prefix = "10.233.%d." % third
        self.gateway = self.prefix + "1"
        with open("/proc/sys/net/ipv4/ip_forward") as handle:
            self.ip_forward = handle.read().strip()
        manage.define_network(self.root, {"name": self.name, "subnet": self.prefix + "0/24", "bridge": self.bridge})

    def config(self, args, network=None, **annotations):
        config = self.oci.config(args, out=False)
        caps = sorted(set(config["process"]["capabilities"]["bounding"]) | {"CAP_NET_RAW"})  # busybox ping
        config["process"]["capabilities"] = dict((k, list(caps)) for k in ("bounding", "effective", "permitted"))
        config["annotations"] = {NET: network or "bridge:" + self.name}
        for key, value in annotations.items():
            config["annotations"][NET + "." + key] = value if isinstance(value, str) else json.dumps(value)
        return config

    def started(self, args, network=None, **annotations):
        container_id = self.oci.new_id()
        self.oci.rt.create_started(container_id, self.oci.bundle(self.config(args, network, **annotations)))
        return container_id, self.oci.rt.read_state_file(container_id).get("network")

    def leases(self):
        path = os.path.join(self.root, ".networks", self.name + ".leases")
        with open(path) as handle:
            return json.load(handle)["ipv4"]

    def close(self):
        from runtime.network import manage
        for container_id in reversed(self.oci.rt.ids):
            self.oci.rt.delete(container_id, force=True)
        try:
            manage.remove_network(self.root, self.name)
        finally:
            if self.bridge in _links():
                subprocess.run(["ip", "link", "del", self.bridge], check=False)
            with open("/proc/sys/net/ipv4/ip_forward", "w") as handle:
                handle.write(self.ip_forward)


@pytest.fixture
def net(oci):
    network = Net(oci)
    yield network
    network.close()


def run_out(oci, config):
    result = oci.rt.run(oci.new_id(), oci.bundle(config))
    assert result.returncode == 0, result
    return result.stdout


def http_get(host, port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=2) as conn:
                conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
                data = b""
                while True:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return data.decode("latin-1")
                    data += chunk
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_containers_ping_each_other_and_the_host_reaches_them(oci, net):
    first, record = net.started(["sleep", "1000"])
    assert record["ip"].startswith(net.prefix) and record["gateway"] == net.gateway
    assert record["host_ifname"] in _links()
    out = run_out(oci, net.config(["sh", "-c", "ip -4 addr show eth0; ip route; cat /etc/hosts; "
                                   "ping -c1 -W3 %s && echo PEER-OK" % record["ip"]]))
    assert "inet " + net.prefix in out and "default via " + net.gateway in out
    assert "oci-test" in out and "PEER-OK" in out
    host = subprocess.run(["busybox", "ping", "-c1", "-W3", record["ip"]], stdout=subprocess.PIPE,
                          universal_newlines=True, timeout=20, check=False)
    assert host.returncode == 0, host.stdout
    # resolv.conf and hosts are the state dir's files, the shared rootfs is untouched.
    assert os.path.isfile(os.path.join(oci.rt.root, first, "hosts"))
    with open(os.path.join(oci.rootfs, "etc", "hosts")) as handle:
        assert record["ip"] not in handle.read()


def test_static_ip_and_mac(oci, net):
    _cid, record = net.started(["sleep", "1000"], ip=net.prefix + "77", mac="02:42:0a:e9:00:77")
    assert record["ip"] == net.prefix + "77" and record["mac"] == "02:42:0a:e9:00:77"
    out = run_out(oci, net.config(["ip", "link", "show", "eth0"], mac="02:42:0a:e9:00:78"))
    assert "02:42:0a:e9:00:78" in out
    clash = oci.rt.create(oci.new_id(), oci.bundle(net.config(["true"], ip=net.prefix + "77")))
    H.assert_fails(clash, "already leased")


def test_published_port_answers_and_rules_go_with_the_container(oci, net):
    port = random.randint(20000, 29999)
    script = "mkdir -p /tmp/www && echo hello-from-container > /tmp/www/index.html && exec httpd -f -p 80 -h /tmp/www"
    cid, record = net.started(["sh", "-c", script], publish=["%d:80" % port, "127.0.0.1:%d:80" % (port + 1)])
    assert record["publish"][0]["host_port"] == port
    assert _nft_comments().count(record["nft_tag"]) == 2
    assert "hello-from-container" in http_get(record["ip"], 80)          # the host reaches it directly
    assert "hello-from-container" in http_get(net.gateway, port)        # DNAT on a host address
    assert "hello-from-container" in http_get("127.0.0.1", port + 1)    # DNAT on loopback (route_localnet)
    oci.rt.delete(cid, force=True).check()
    assert record["nft_tag"] not in _nft_comments()
    assert record["host_ifname"] not in _links()
    assert net.leases() == {}


def test_parallel_creates_get_distinct_addresses_and_delete_frees_all(oci, net):
    ids = [oci.new_id() for dummy in range(6)]
    port = random.randint(30000, 39999)
    # One config each: a cgroup is one container's (create refuses a path another container claims).
    bundles = dict((c, oci.bundle(net.config(["sleep", "1000"], publish=["%d:80" % port]))) for c in ids)
    results = {}
    threads = [threading.Thread(target=lambda c=c: results.__setitem__(c, oci.rt.create(c, bundles[c]))) for c in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for container_id in ids:
        results[container_id].check()
    records = [oci.rt.read_state_file(c)["network"] for c in ids]
    addresses = [r["ip"] for r in records]
    assert len(set(addresses)) == len(ids)
    assert sorted(net.leases().items()) == sorted(zip(addresses, ids))
    for container_id in ids:
        oci.rt.delete(container_id, force=True).check()
    links, comments = _links(), _nft_comments()
    assert net.leases() == {}
    assert not [r for r in records if r["host_ifname"] in links or r["nft_tag"] in comments]


def test_shared_network_namespace_sees_the_interfaces(oci, net):
    first, record = net.started(["sleep", "1000"])
    pid = oci.rt.state(first)["pid"]
    out = run_out(oci, net.config(["sh", "-c", "readlink /proc/self/ns/net; ip -4 addr show eth0; cat /etc/hosts"],
                                  network="container:" + first))
    assert os.readlink("/proc/%d/ns/net" % pid) in out
    assert record["ip"] in out
    missing = oci.rt.create(oci.new_id(), oci.bundle(net.config(["true"], network="container:no-such")))
    H.assert_fails(missing, "no-such")


def test_none_has_only_lo_and_host_is_the_host(oci, net):
    assert run_out(oci, net.config(["ls", "/sys/class/net"], network="none")).split() == ["lo"]
    config = net.config(["readlink", "/proc/self/ns/net"], network="host")
    assert run_out(oci, config).strip() == os.readlink("/proc/self/ns/net")


def test_deleting_a_network_in_use_fails(oci, net):
    from runtime.network import manage
    from runtime.network.common import NetworkError
    cid, _record = net.started(["sleep", "1000"])
    with pytest.raises(NetworkError, match="in use by containers %s" % cid):
        manage.remove_network(net.root, net.name)
    assert net.bridge in _links()


def test_bad_annotations_and_unknown_network_change_nothing(oci, net):
    bad = oci.rt.create(oci.new_id(), oci.bundle(net.config(["true"], publish=["99999:80"])))
    H.assert_fails(bad, "publish", "65535")
    unknown = oci.rt.create(oci.new_id(), oci.bundle(net.config(["true"], network="bridge:nosuchnet")))
    H.assert_fails(unknown, "nosuchnet", "does not exist")
    assert net.leases() == {} if os.path.exists(os.path.join(net.root, ".networks", net.name + ".leases")) else True
    assert oci.rt.list("--quiet").stdout.split() == []
