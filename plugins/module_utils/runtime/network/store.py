# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Named networks: one JSON file each in <state root>/.networks/.

A network is a Linux bridge with an IPv4 subnet (optionally an IPv6 one), a
gateway address on the bridge and an MTU. The directory starts with a dot
because container ids cannot (ids.py), so no container can collide with it
and the listing of containers skips it. One flock on the directory
serialises every change to networks and leases of a state root (create,
delete and oci_network). The default network ``oci0`` (bridge ``oci0``,
10.88.0.0/16, as podman's default network) exists without a file.
"""

import errno
import ipaddress
import json
import os
import re

from ..errors import SpecError
from ..standalone.stateio import DirLock, write_json
from .annotations import DEFAULT_NETWORK, NAME_RULE, valid_name
from .common import IFNAMSIZ, NetworkError, short_hash

NETWORKS_DIR = ".networks"
DEFAULTS = {DEFAULT_NETWORK: {"subnet": "10.88.0.0/16", "bridge": "oci0"}}
_IFNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
FIELDS = ("name", "bridge", "subnet", "gateway", "subnet6", "gateway6", "mtu")


def _fail(field, message):
    return SpecError("network.%s" % field, message)


def normalize(params):
    """A complete, checked network definition from ``name`` plus optional fields."""
    name = params.get("name")
    if not valid_name(name):
        raise _fail("name", "%r must match %s" % (name, NAME_RULE))
    unknown = set(k for k, v in params.items() if v is not None) - set(FIELDS)
    if unknown:
        raise _fail(sorted(unknown)[0], "unknown field")
    base = dict(DEFAULTS.get(name, {}))
    base.update((k, v) for k, v in params.items() if v is not None)
    out = {"name": name}
    out["bridge"] = base.get("bridge") or (name if len(name) <= IFNAMSIZ and _IFNAME.match(name)
                                           else "ocibr" + short_hash(name)[:10])
    if len(out["bridge"]) > IFNAMSIZ or not _IFNAME.match(out["bridge"]):
        raise _fail("bridge", "%r is not an interface name of at most %d characters" % (out["bridge"], IFNAMSIZ))
    if not base.get("subnet"):
        raise _fail("subnet", "a network needs an IPv4 subnet such as 10.89.0.0/24")
    out["subnet"], out["gateway"] = _subnet(base["subnet"], base.get("gateway"), 4, "subnet", "gateway")
    if base.get("subnet6"):
        out["subnet6"], out["gateway6"] = _subnet(base["subnet6"], base.get("gateway6"), 6, "subnet6", "gateway6")
    elif base.get("gateway6"):
        raise _fail("gateway6", "needs subnet6")
    mtu = base.get("mtu", 1500)
    try:
        out["mtu"] = int(mtu)
    except (TypeError, ValueError):
        raise _fail("mtu", "%r is not a number" % (mtu,))
    if not 68 <= out["mtu"] <= 65535:
        raise _fail("mtu", "%d is not between 68 and 65535" % out["mtu"])
    return out


def _subnet(text, gateway, version, field, gw_field):
    try:
        net = ipaddress.ip_network(str(text), strict=True)
    except ValueError as e:
        raise _fail(field, "%r is not a network address with a prefix: %s" % (text, e))
    if net.version != version:
        raise _fail(field, "%s is not an IPv%d network" % (net, version))
    if net.num_addresses < 4:
        raise _fail(field, "%s is too small for a gateway and containers" % net)
    if gateway:
        try:
            gw = ipaddress.ip_address(str(gateway))
        except ValueError:
            raise _fail(gw_field, "%r is not an IP address" % (gateway,))
        if gw not in net or gw in (net.network_address, net.broadcast_address):
            raise _fail(gw_field, "%s is not a host address of %s" % (gw, net))
    else:
        gw = net.network_address + 1
    return str(net), str(gw)


class NetworkStore(object):
    """The networks and leases of one state root."""

    def __init__(self, state_root):
        self.state_root = os.path.abspath(state_root)
        self.path = os.path.join(self.state_root, NETWORKS_DIR)

    def ensure(self):
        try:
            os.makedirs(self.path, 0o700)
        except OSError as e:
            if e.errno != errno.EEXIST:
                raise NetworkError("cannot create %s: %s" % (self.path, e.strerror))
        return self

    def lock(self):
        """The exclusive lock of this state root's networks and leases (a DirLock)."""
        self.ensure()
        return DirLock(self.path).acquire()

    def file(self, name, suffix=".json"):
        if not valid_name(name):
            raise _fail("name", "%r must match %s" % (name, NAME_RULE))
        return os.path.join(self.path, name + suffix)

    def get(self, name):
        """The definition of ``name``; the built-in default when it has no file; None if unknown."""
        try:
            with open(self.file(name)) as handle:
                return json.load(handle)
        except (IOError, OSError) as e:
            if e.errno != errno.ENOENT:
                raise NetworkError("cannot read network %s: %s" % (name, e.strerror))
        except ValueError as e:
            raise NetworkError("network file %s is corrupt: %s" % (self.file(name), e))
        if name in DEFAULTS:
            return normalize({"name": name})
        return None

    def save(self, definition):
        self.ensure()
        write_json(self.path, definition, name=definition["name"] + ".json")

    def remove(self, name):
        for suffix in (".json", ".leases"):
            try:
                os.unlink(self.file(name, suffix))
            except OSError as e:
                if e.errno != errno.ENOENT:
                    raise NetworkError("cannot remove %s: %s" % (self.file(name, suffix), e.strerror))

    def names(self):
        try:
            files = os.listdir(self.path)
        except OSError:
            files = []
        return sorted(set(f[:-5] for f in files if f.endswith(".json") and not f.startswith(".")))

    def container_exists(self, container_id):
        """Whether the state root still has a directory for ``container_id`` (leases of vanished ones are free)."""
        return os.path.isdir(os.path.join(self.state_root, container_id))
