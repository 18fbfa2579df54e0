# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Address leases of a network: <state root>/.networks/<name>.leases.

The caller holds the store's lock (NetworkStore.lock), so allocation is a
read-modify-write that no other create can interleave with: an address is
never handed out twice. The file maps each IPv4 address to the container id
holding it; the IPv6 address, when the network has an IPv6 subnet, is
derived from the IPv4 one (same host offset), so it is unique too. A lease
whose container directory no longer exists (removed without `delete`) is
free again.
"""

import errno
import ipaddress
import json

from ..errors import SpecError
from ..standalone.stateio import write_json
from .common import NetworkError


def read_leases(store, name):
    path = store.file(name, ".leases")
    try:
        with open(path) as handle:
            data = json.load(handle)
    except (IOError, OSError) as e:
        if e.errno == errno.ENOENT:
            return {}
        raise NetworkError("cannot read leases %s: %s" % (path, e.strerror))
    except ValueError as e:
        raise NetworkError("leases file %s is corrupt: %s" % (path, e))
    return dict(data.get("ipv4") or {})


def write_leases(store, name, leases):
    store.ensure()
    write_json(store.path, {"ipv4": leases}, name=name + ".leases")


def live_leases(store, network):
    """The leases of ``network`` whose containers still exist."""
    leases = read_leases(store, network["name"])
    return dict((ip, owner) for ip, owner in leases.items() if store.container_exists(owner))


def ipv6_for(network, ipv4):
    if not network.get("subnet6"):
        return None
    net4 = ipaddress.ip_network(network["subnet"])
    net6 = ipaddress.ip_network(network["subnet6"])
    offset = int(ipaddress.ip_address(ipv4)) - int(net4.network_address)
    if offset >= net6.num_addresses - 1:
        raise NetworkError("network %s: subnet6 %s is smaller than subnet %s" % (network["name"], net6, net4))
    return str(net6.network_address + offset)


def allocate(store, network, owner, requested=None):
    """Lease an IPv4 address of ``network`` to container ``owner``; return it.

    ``requested`` (a static address) must be a free host address of the
    subnet other than the gateway. A container that already holds a lease
    keeps it (a rerun of an interrupted create).
    """
    net = ipaddress.ip_network(network["subnet"])
    reserved = {net.network_address, net.broadcast_address, ipaddress.ip_address(network["gateway"])}
    leases = live_leases(store, network)
    mine = [ip for ip, who in leases.items() if who == owner]
    if requested:
        address = ipaddress.ip_address(requested)
        if address not in net or address in reserved:
            raise SpecError("annotations.org.opencontainer.runtime.network.ip",
                            "%s is not a free host address of %s (%s)" % (address, network["name"], net))
        holder = leases.get(str(address))
        if holder not in (None, owner):
            raise NetworkError("network %s: %s is already leased to container %s" % (network["name"], address, holder))
        for ip in mine:
            leases.pop(ip)
        chosen = str(address)
    elif mine:
        chosen = mine[0]
    else:
        chosen = None
        for candidate in net.hosts():
            if candidate not in reserved and str(candidate) not in leases:
                chosen = str(candidate)
                break
        if chosen is None:
            raise NetworkError("network %s: no free address left in %s (%d leases)" % (network["name"], net, len(leases)))
    leases[chosen] = owner
    write_leases(store, network["name"], leases)
    return chosen


def release(store, name, owner):
    """Drop every lease of ``owner`` in network ``name``; True if there was one."""
    leases = read_leases(store, name)
    kept = dict((ip, who) for ip, who in leases.items() if who != owner)
    if len(kept) == len(leases):
        return False
    write_leases(store, name, kept)
    return True
