# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Network room without root: annotations, network definitions, leases, nft rule text, DNS files."""
from __future__ import absolute_import, division, print_function

import json
import os
import threading

import pytest

from runtime.errors import SpecError
from runtime.network import annotations as A
from runtime.network import dnsfiles, ipam, nft
from runtime.network.common import NetworkError, veth_names
from runtime.network.store import NetworkStore, normalize
from runtime.network.wiring import Wiring


def config_with(**annotations):
    return {"annotations": dict((getattr(A, k.upper()), v) for k, v in annotations.items()),
            "linux": {"namespaces": [{"type": "network"}, {"type": "pid"}]}}


# -- annotations --------------------------------------------------------------
def test_no_annotation_no_wiring():
    assert A.request_from_config({}) is None
    assert Wiring.from_config({"annotations": {"other": "x"}}) is None


@pytest.mark.parametrize("value, mode, target", [
    ("none", "none", None), ("host", "host", None), ("bridge", "bridge", "oci0"),
    ("bridge:front", "bridge", "front"), ("container:web", "container", "web"),
])
def test_modes(value, mode, target):
    request = A.request_from_config(config_with(network=value))
    assert (request.mode, request.target) == (mode, target)


@pytest.mark.parametrize("value", ["", "bridge:", "bridge:../x", "container:", "host:x", "weird"])
def test_bad_modes(value):
    with pytest.raises(SpecError) as info:
        A.request_from_config(config_with(network=value))
    assert "annotations.org.opencontainer.runtime.network" in str(info.value)


def test_extras_need_bridge():
    with pytest.raises(SpecError, match="network.ip: needs"):
        A.request_from_config(config_with(ip="10.0.0.2"))
    with pytest.raises(SpecError, match="only applies to bridge"):
        A.request_from_config(config_with(network="host", publish="[]", mac="02:00:00:00:00:01"))


def test_bridge_extras_parsed():
    request = A.request_from_config(config_with(
        network="bridge:n", ip="10.1.0.9", mac="02:AA:00:00:00:01",
        publish=json.dumps(["8080:80", "127.0.0.1:5353:53/udp",
                            {"host_port": 9000, "container_port": "90", "protocol": "tcp"}])))
    assert request.ip == "10.1.0.9" and request.mac == "02:aa:00:00:00:01"
    assert [A.format_publish(p) for p in request.publish] == ["8080:80/tcp", "127.0.0.1:5353:53/udp", "9000:90/tcp"]


@pytest.mark.parametrize("item, fragment", [
    ("80", "must be"), ("0:80", "between 1 and 65535"), ("8080:80/sctp", "tcp or udp"),
    ("::1:80:80", "IPv4"), ("x:80", "not a port"), (7, "must be a string"), ({"port": 1}, "unknown keys"),
])
def test_bad_publish(item, fragment):
    with pytest.raises(SpecError, match=fragment):
        A.parse_publish([item])


def test_publish_twice_and_not_json():
    with pytest.raises(SpecError, match="published twice"):
        A.parse_publish(["8080:80", "8080:81"])
    with pytest.raises(SpecError, match="JSON list"):
        A.parse_publish("8080:80")


@pytest.mark.parametrize("ip", ["10.0.0", "fd00::2"])
def test_bad_ip(ip):
    with pytest.raises(SpecError):
        A.parse_ip(ip)


@pytest.mark.parametrize("mac", ["02:00:00:00:00", "01:00:00:00:00:01", "zz:00:00:00:00:01"])
def test_bad_mac(mac):
    with pytest.raises(SpecError):
        A.parse_mac(mac)


# -- definitions --------------------------------------------------------------
def test_default_network_without_file(tmp_path):
    store = NetworkStore(str(tmp_path))
    assert store.get("oci0") == {"name": "oci0", "bridge": "oci0", "subnet": "10.88.0.0/16",
                                 "gateway": "10.88.0.1", "mtu": 1500}
    assert store.get("other") is None
    assert store.path.endswith("/.networks")


def test_normalize():
    net = normalize({"name": "a-very-long-network-name", "subnet": "10.233.1.0/24", "subnet6": "fd00:233:1::/64",
                     "mtu": "1400"})
    assert net["gateway"] == "10.233.1.1" and net["gateway6"] == "fd00:233:1::1" and net["mtu"] == 1400
    assert net["bridge"].startswith("ocibr") and len(net["bridge"]) <= 15


@pytest.mark.parametrize("params, field", [
    ({"name": "x"}, "subnet"), ({"name": "x", "subnet": "10.0.0.1/24"}, "subnet"),
    ({"name": "x", "subnet": "fd00::/64"}, "subnet"), ({"name": "x", "subnet": "10.0.0.0/31"}, "subnet"),
    ({"name": "x", "subnet": "10.0.0.0/24", "gateway": "10.0.1.1"}, "gateway"),
    ({"name": "x", "subnet": "10.0.0.0/24", "bridge": "much-too-long-bridge"}, "bridge"),
    ({"name": "x", "subnet": "10.0.0.0/24", "mtu": 20}, "mtu"), ({"name": "../x", "subnet": "10.0.0.0/24"}, "name"),
    ({"name": "x", "subnet": "10.0.0.0/24", "color": "red"}, "color"),
])
def test_normalize_rejects(params, field):
    with pytest.raises(SpecError) as info:
        normalize(params)
    assert info.value.path == "network." + field


# -- leases -------------------------------------------------------------------
@pytest.fixture
def store(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    for name in ("c1", "c2", "c3"):
        (root / name).mkdir()
    return NetworkStore(str(root)).ensure()


NET = normalize({"name": "t", "subnet": "10.233.9.0/29", "subnet6": "fd00:233:9::/64"})


def test_allocate_in_order_and_keep(store):
    assert ipam.allocate(store, NET, "c1") == "10.233.9.2"
    assert ipam.allocate(store, NET, "c2") == "10.233.9.3"
    assert ipam.allocate(store, NET, "c1") == "10.233.9.2"  # a rerun keeps its address
    assert ipam.ipv6_for(NET, "10.233.9.3") == "fd00:233:9::3"
    assert ipam.release(store, "t", "c1") and not ipam.release(store, "t", "c1")
    assert ipam.allocate(store, NET, "c3") == "10.233.9.2"


def test_static_address(store):
    assert ipam.allocate(store, NET, "c1", "10.233.9.6") == "10.233.9.6"
    with pytest.raises(NetworkError, match="already leased to container c1"):
        ipam.allocate(store, NET, "c2", "10.233.9.6")
    for bad in ("10.233.9.1", "10.233.9.7", "10.233.10.2"):
        with pytest.raises(SpecError):
            ipam.allocate(store, NET, "c2", bad)


def test_exhausted_and_vanished_owner(store, tmp_path):
    for i in range(5):
        (tmp_path / "root" / ("x%d" % i)).mkdir()
        ipam.allocate(store, NET, "x%d" % i)
    with pytest.raises(NetworkError, match="no free address"):
        ipam.allocate(store, NET, "c1")
    os.rmdir(str(tmp_path / "root" / "x3"))  # removed without delete: its lease is free
    assert ipam.allocate(store, NET, "c1") == "10.233.9.5"


def test_parallel_allocations_never_collide(store, tmp_path):
    net = normalize({"name": "p", "subnet": "10.233.8.0/24"})
    owners = ["p%d" % i for i in range(24)]
    for owner in owners:
        (tmp_path / "root" / owner).mkdir()
    got = {}

    def take(owner):
        lock = store.lock()
        try:
            got[owner] = ipam.allocate(store, net, owner)
        finally:
            lock.release()
    threads = [threading.Thread(target=take, args=(o,)) for o in owners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(got.values())) == len(owners)
    assert sorted(ipam.read_leases(store, "p").values()) == sorted(owners)


# -- nft ----------------------------------------------------------------------
def test_rule_rendering():
    tag = nft.container_tag("/run/x", "web")
    assert tag.startswith("oci:ctr:") and len(tag) < 128 and tag != nft.container_tag("/run/y", "web")
    rules = nft.render_publish(A.parse_publish(["8080:80", "127.0.0.1:5353:53/udp"]), "10.233.9.2", tag)
    assert rules == [
        'add rule inet opencontainer published meta nfproto ipv4 tcp dport 8080 dnat ip to 10.233.9.2:80 comment "%s"' % tag,
        'add rule inet opencontainer published meta nfproto ipv4 ip daddr 127.0.0.1 udp dport 5353 '
        'dnat ip to 10.233.9.2:53 comment "%s"' % tag]
    net_rules = nft.render_network(NET, "oci:net:x")
    assert 'ip saddr 10.233.9.0/29 ip daddr != 10.233.9.0/29 masquerade comment "oci:net:x"' in net_rules[0]
    assert any("ip6 saddr fd00:233:9::/64" in r for r in net_rules)
    assert nft.render_delete([("published", 7)]) == ["delete rule inet opencontainer published handle 7"]
    base = nft.render_base()
    assert base[0] == "add table inet opencontainer" and "flush chain inet opencontainer prerouting" in base


def test_tagged_handles():
    listing = {"nftables": [{"metainfo": {}}, {"table": {"name": "opencontainer"}},
                            {"rule": {"chain": "published", "handle": 4, "comment": "oci:ctr:a"}},
                            {"rule": {"chain": "published", "handle": 5, "comment": "oci:ctr:b"}},
                            {"rule": {"chain": "prerouting", "handle": 6}}]}
    assert nft.tagged_handles(listing, "oci:ctr:a") == [("published", 4)]
    assert nft.tagged_handles({}, "oci:ctr:a") == []


def test_veth_names_fit():
    host, peer = veth_names("/run/x", "c" * 1024)
    assert len(host) <= 15 and len(peer) <= 15 and host != peer
    assert veth_names("/run/y", "c" * 1024)[0] != host


# -- DNS files ----------------------------------------------------------------
def test_resolv_conf_drops_loopback(tmp_path):
    first = tmp_path / "resolv.conf"
    first.write_text("nameserver 127.0.0.53\noptions edns0\n")
    second = tmp_path / "upstream.conf"
    second.write_text("search example\nnameserver 192.0.2.53\nnameserver ::1\n")
    assert dnsfiles.resolv_conf([str(first), str(second)]) == "search example\nnameserver 192.0.2.53\n"
    assert "no name server" in dnsfiles.resolv_conf([str(first)])


def test_hosts_and_mounts(tmp_path):
    files = dnsfiles.write_files(str(tmp_path), "web", ["10.233.9.2", None])
    assert "10.233.9.2\tweb" in open(files["hosts"]).read()
    config = {"mounts": [{"destination": "/etc/hosts/", "type": "bind", "source": "/x"}]}
    mounts = dnsfiles.bind_mounts(config, files)
    assert [m["destination"] for m in mounts] == ["/etc/resolv.conf"]
    assert mounts[0]["source"] == files["resolv.conf"] and mounts[0]["options"] == ["rbind"]


def test_host_mode_drops_the_network_namespace(tmp_path):
    config = config_with(network="host")
    state = {}
    init_config = Wiring.from_config(config).prepare(str(tmp_path), "c", str(tmp_path), config, state)
    assert [ns["type"] for ns in init_config["linux"]["namespaces"]] == ["pid"]
    assert config["linux"]["namespaces"][0] == {"type": "network"}  # the stored config stays as given
    assert state["network"] == {"mode": "host"}
