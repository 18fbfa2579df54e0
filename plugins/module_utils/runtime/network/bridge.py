# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Linux bridge of a network, through netlink (pyroute2).

The bridge carries the gateway address (the containers' default route) and
is created on first use. Two host settings go with it, as podman and docker
set them: ``net.ipv4.ip_forward`` (without it, masqueraded traffic of the
containers is never routed out) and the bridge's ``route_localnet`` (a port
published on 127.0.0.1 is DNATed to a container; the kernel drops packets
with a loopback source on other interfaces unless this is set, ip-sysctl.rst).
"""

import errno
import ipaddress
import os
import socket

from .common import NetworkError, ipr, netlink_errors

IP_FORWARD = "/proc/sys/net/ipv4/ip_forward"


def _write_sysctl(path, value):
    try:
        with open(path) as handle:
            if handle.read().strip() == value:
                return
        with open(path, "w") as handle:
            handle.write(value)
    except (IOError, OSError) as e:
        raise NetworkError("cannot set %s to %s: %s" % (path, value, e.strerror))


def link_index(route, name):
    found = route.link_lookup(ifname=name)
    return found[0] if found else None


def ensure_bridge(network):
    """Create the bridge if needed, give it the gateway address(es) and MTU, bring it up; idempotent."""
    failure = netlink_errors()
    name = network["bridge"]
    with ipr() as route:
        try:
            index = link_index(route, name)
            if index is None:
                route.link("add", ifname=name, kind="bridge")
                index = link_index(route, name)
            else:
                kind = _link_kind(route, index)
                if kind != "bridge":
                    raise NetworkError("network %s: interface %s exists and is not a bridge (%s)" % (network["name"], name, kind))
            route.link("set", index=index, mtu=network["mtu"])
            have = set((a.get_attr("IFA_ADDRESS"), a["prefixlen"]) for a in route.get_addr(index=index))
            for field, gw_field, family in (("subnet", "gateway", socket.AF_INET), ("subnet6", "gateway6", socket.AF_INET6)):
                if not network.get(field):
                    continue
                prefix = ipaddress.ip_network(network[field]).prefixlen
                if (network[gw_field], prefix) not in have:
                    route.addr("add", index=index, address=network[gw_field], prefixlen=prefix, family=family)
            route.link("set", index=index, state="up")
        except failure as e:
            raise NetworkError("network %s: setting up bridge %s: %s" % (network["name"], name, strerror(e)))
    _write_sysctl("/proc/sys/net/ipv4/conf/%s/route_localnet" % name, "1")
    _write_sysctl(IP_FORWARD, "1")


def remove_bridge(network):
    """Delete the bridge; a missing bridge is fine."""
    failure = netlink_errors()
    with ipr() as route:
        index = link_index(route, network["bridge"])
        if index is None:
            return False
        if _link_kind(route, index) != "bridge":
            raise NetworkError("network %s: interface %s is not a bridge; not removing it" % (network["name"], network["bridge"]))
        try:
            route.link("del", index=index)
        except failure as e:
            if e.code != errno.ENODEV:
                raise NetworkError("network %s: removing bridge %s: %s" % (network["name"], network["bridge"], strerror(e)))
    return True


def bridge_exists(network):
    with ipr() as route:
        return link_index(route, network["bridge"]) is not None


def _link_kind(route, index):
    link = route.get_links(index)[0]
    info = link.get_attr("IFLA_LINKINFO")
    return info.get_attr("IFLA_INFO_KIND") if info is not None else None


def strerror(error):
    """A netlink error as text: the errno's message (pyroute2's NetlinkError carries ``code``)."""
    code = getattr(error, "code", None)
    if isinstance(code, int) and code > 0:
        return os.strerror(code)
    return str(error)
