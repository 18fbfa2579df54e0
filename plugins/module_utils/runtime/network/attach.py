# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A container on a bridge: a veth pair, one end on the bridge, the other its eth0.

veth(4): the pair is created in the host's network namespace, the host end
is enslaved to the bridge, and the peer is moved into the container's
namespace (IFLA_NET_NS_FD, an fd of /proc/<init pid>/ns/net, which create
can open because the init is its grandchild and still waits for `start`).
The peer's configuration (name eth0, MAC, address, default route) must be
made from inside that namespace: a forked child joins it with setns(2)
(only the child: the runtime itself stays in the host's namespace) and
opens its own netlink socket there. Deleting the host end deletes the pair;
when the container's namespace goes away the kernel deletes it as well.
"""

import errno
import ipaddress
import json
import os
import socket

from ..syscalls import consts as C
from ..syscalls.host import real
from .bridge import link_index, strerror
from .common import NetworkError, ipr, netlink_errors

CONTAINER_IFNAME = "eth0"


def attach(network, init_pid, host_ifname, peer_ifname, ipv4, ipv6=None, mac=None):
    """Wire the container of ``init_pid`` to ``network``; return the MAC address of its eth0."""
    failure = netlink_errors()
    try:
        netns_fd = os.open("/proc/%d/ns/net" % init_pid, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as e:
        raise NetworkError("cannot open the network namespace of pid %d: %s" % (init_pid, e.strerror))
    try:
        with ipr() as route:
            try:
                bridge = link_index(route, network["bridge"])
                if bridge is None:
                    raise NetworkError("network %s: bridge %s does not exist" % (network["name"], network["bridge"]))
                for stale in (host_ifname, peer_ifname):  # left by an interrupted create of the same id
                    index = link_index(route, stale)
                    if index is not None:
                        route.link("del", index=index)
                route.link("add", ifname=host_ifname, kind="veth", peer=peer_ifname)
                host, peer = link_index(route, host_ifname), link_index(route, peer_ifname)
                route.link("set", index=host, master=bridge, mtu=network["mtu"])
                route.link("set", index=peer, mtu=network["mtu"])
                route.link("set", index=peer, net_ns_fd=netns_fd)
                route.link("set", index=host, state="up")
            except failure as e:
                raise NetworkError("network %s: creating veth pair %s: %s" % (network["name"], host_ifname, strerror(e)))
        plan = {"peer": peer_ifname, "mac": mac, "ipv4": ipv4, "ipv6": ipv6,
                "prefix4": ipaddress.ip_network(network["subnet"]).prefixlen, "gateway": network["gateway"],
                "prefix6": ipaddress.ip_network(network["subnet6"]).prefixlen if ipv6 else None,
                "gateway6": network.get("gateway6")}
        result = run_in_netns(netns_fd, _configure_peer, plan)
    except BaseException:
        detach(host_ifname)
        raise
    finally:
        os.close(netns_fd)
    return result["mac"]


def detach(host_ifname):
    """Delete the host end of a container's veth pair (and so the pair); True if it existed."""
    failure = netlink_errors()
    with ipr() as route:
        index = link_index(route, host_ifname)
        if index is None:
            return False
        try:
            route.link("del", index=index)
        except failure as e:
            if e.code != errno.ENODEV:  # gone with the container's namespace meanwhile
                raise NetworkError("removing veth %s: %s" % (host_ifname, strerror(e)))
    return True


def _configure_peer(plan):
    """In the container's namespace: eth0 with its MAC, addresses, MTU, default routes."""
    failure = netlink_errors()
    with ipr() as route:
        try:
            index = link_index(route, plan["peer"])
            change = {"ifname": CONTAINER_IFNAME}
            if plan["mac"]:
                change["address"] = plan["mac"]
            route.link("set", index=index, **change)
            route.addr("add", index=index, address=plan["ipv4"], prefixlen=plan["prefix4"])
            if plan["ipv6"]:
                # No duplicate address detection: the lease makes the address
                # unique, and DAD would keep it unusable for a second or more.
                _quiet_write("/proc/sys/net/ipv6/conf/%s/accept_dad" % CONTAINER_IFNAME, "0")
                route.addr("add", index=index, address=plan["ipv6"], prefixlen=plan["prefix6"], family=socket.AF_INET6)
            route.link("set", index=index, state="up")
            route.route("add", dst="0.0.0.0/0", gateway=plan["gateway"])
            if plan["ipv6"]:
                route.route("add", dst="::/0", gateway=plan["gateway6"], family=socket.AF_INET6)
            mac = route.get_links(index)[0].get_attr("IFLA_ADDRESS")
        except failure as e:
            raise NetworkError("configuring %s in the container: %s" % (CONTAINER_IFNAME, strerror(e)))
    return {"mac": mac}


def _quiet_write(path, value):
    try:
        with open(path, "w") as handle:
            handle.write(value)
    except (IOError, OSError):
        pass


def run_in_netns(netns_fd, func, arg):
    """Run ``func(arg)`` in a forked child that joined the namespace ``netns_fd``; return its JSON result."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code
        code = 1
        try:
            os.close(read_end)
            real().setns(netns_fd, C.CLONE_NEWNET)
            payload = {"ok": func(arg)}
            code = 0
        except BaseException as e:
            payload = {"error": str(e) or e.__class__.__name__}
        try:
            data = json.dumps(payload).encode("utf-8")
            while data:
                data = data[os.write(write_end, data):]
        finally:
            os._exit(code)
    os.close(write_end)
    chunks = []
    try:
        while True:
            chunk = os.read(read_end, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)
    try:
        payload = json.loads(b"".join(chunks).decode("utf-8"))
    except ValueError:
        raise NetworkError("the helper in the container's network namespace died without an answer")
    if "error" in payload:
        raise NetworkError(payload["error"])
    return payload["ok"]
