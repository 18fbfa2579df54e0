# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A container's network, from create to delete (called by lifecycle/create.py and delete.py).

The order is dictated by who needs what when:

1. ``Wiring.from_config`` (before anything exists): the annotations
   (annotations.py) are checked, so a bad one changes nothing.
2. ``prepare`` (before the init is forked): the bridge and the network's
   masquerade rule exist, an address is leased, resolv.conf and hosts are
   written into the container's state directory, and the config handed to
   the init gets their bind mounts (the init consumes ``mounts`` while it
   builds the rootfs, before it reports back) or the namespace changes of
   ``host`` and ``container:<id>``. The container's ``state["network"]``
   records all of it, and is saved before the init exists, so `delete` can
   undo a create that was killed half-way.
3. ``attach`` (the init exists with its new network namespace and waits for
   "continue"): the veth pair, eth0, routes, and the DNAT rules of the
   published ports; before the prestart hooks, which may expect a network.
4. ``release`` (delete, or a failed create): veth, DNAT rules, lease.

pyroute2 and nft are needed only for bridge networks.
"""

from ..standalone.jsonlite import copy_json
from .annotations import request_from_config


class Wiring(object):
    """The network part of one create."""

    def __init__(self, request):
        self.request = request

    @classmethod
    def from_config(cls, config):
        """A Wiring, or None when the config asks for no network wiring (no annotation)."""
        request = request_from_config(config)
        return cls(request) if request is not None else None

    def prepare(self, state_root, container_id, container_dir, config, state):
        """Return the config for the init; set ``state["network"]``."""
        mode = self.request.mode
        if mode == "none":
            state["network"] = {"mode": "none"}
            return config
        init_config = copy_json(config)
        if mode == "host":
            linux = init_config.setdefault("linux", {})
            linux["namespaces"] = [ns for ns in linux.get("namespaces") or [] if ns.get("type") != "network"]
            state["network"] = {"mode": "host"}
            return init_config
        if mode == "container":
            return self._join_container(state_root, container_id, init_config, state)
        return self._bridge(state_root, container_id, container_dir, init_config, state)

    def _join_container(self, state_root, container_id, init_config, state):
        import os
        from ..state import StateRoot
        from ..status import live_status
        from .common import NetworkError
        target = self.request.target
        if target == container_id:
            raise NetworkError("network container:%s: a container cannot join its own network namespace" % target)
        other = StateRoot(state_root).load(target)
        status = live_status(other)
        if status not in ("created", "running", "paused"):
            raise NetworkError("network container:%s: that container is %s; it must be created or running" % (target, status))
        path = "/proc/%d/ns/net" % other["pid"]
        _set_network_namespace(init_config, path)
        other_dir = StateRoot(state_root).container_dir(target)
        from .dnsfiles import FILES, bind_mounts
        files = dict((n, os.path.join(other_dir, n)) for n in FILES if os.path.isfile(os.path.join(other_dir, n)))
        init_config["mounts"] = list(init_config.get("mounts") or []) + bind_mounts(init_config, files)
        shared = other.get("network") or {}
        state["network"] = {"mode": "container", "container": target, "pid": other["pid"],
                            "ip": shared.get("ip"), "ipv6": shared.get("ipv6"), "network": shared.get("network")}
        return init_config

    def _bridge(self, state_root, container_id, container_dir, init_config, state):
        from . import bridge, dnsfiles, ipam, nft
        from .common import NetworkError, veth_names
        from .store import NetworkStore
        request = self.request
        if not _has_new_network_namespace(init_config):
            raise NetworkError("network bridge:%s needs a new network namespace (linux.namespaces: "
                               "{\"type\": \"network\"} without path)" % request.target)
        store = NetworkStore(state_root)
        host_ifname, peer_ifname = veth_names(store.state_root, container_id)
        lock = store.lock()
        try:
            network = store.get(request.target)
            if network is None:
                raise NetworkError("network %s does not exist in %s (create it with oci_network)" % (request.target, store.path))
            nft.nft_binary()  # fail before touching anything when nftables is missing
            bridge.ensure_bridge(network)
            nft.replace_rules(nft.network_tag(store.state_root, network["name"]), nft.render_network(network, nft.network_tag(
                store.state_root, network["name"])))
            # Recorded before the lease exists: a create killed from here on is undone by delete.
            record = {"mode": "bridge", "network": network["name"], "bridge": network["bridge"],
                      "host_ifname": host_ifname, "peer_ifname": peer_ifname,
                      "nft_tag": nft.container_tag(store.state_root, container_id),
                      "publish": [dict(p) for p in request.publish]}
            state["network"] = record
            ip = ipam.allocate(store, network, container_id, request.ip)
        finally:
            lock.release()
        import ipaddress
        record.update({"ip": ip, "ipv6": ipam.ipv6_for(network, ip), "mac": request.mac,
                       "prefix": ipaddress.ip_network(network["subnet"]).prefixlen,
                       "gateway": network["gateway"], "gateway6": network.get("gateway6"), "mtu": network["mtu"],
                       "subnet": network["subnet"], "subnet6": network.get("subnet6")})
        files = dnsfiles.write_files(container_dir, init_config.get("hostname"), [ip, record["ipv6"]])
        init_config["mounts"] = list(init_config.get("mounts") or []) + dnsfiles.bind_mounts(init_config, files)
        return init_config

    def attach(self, state):
        """The init of ``state["pid"]`` waits with its network namespace: wire it."""
        record = state.get("network") or {}
        if record.get("mode") != "bridge":
            return
        from . import nft
        from .attach import attach
        network = {"name": record["network"], "bridge": record["bridge"], "mtu": record["mtu"],
                   "subnet": record["subnet"], "gateway": record["gateway"],
                   "subnet6": record.get("subnet6"), "gateway6": record.get("gateway6")}
        record["mac"] = attach(network, state["pid"], record["host_ifname"], record["peer_ifname"],
                               record["ip"], record.get("ipv6"), record.get("mac"))
        if record["publish"]:
            nft.replace_rules(record["nft_tag"], nft.render_publish(record["publish"], record["ip"], record["nft_tag"]))


def release(state_root, container_id, record):
    """Undo a container's wiring (veth, DNAT rules, lease); return the problems met (each step still runs)."""
    if not record or record.get("mode") != "bridge":
        return []
    from . import ipam, nft
    from .attach import detach
    from .store import NetworkStore
    problems = []
    steps = [(detach, (record["host_ifname"],)), (detach, (record["peer_ifname"],))]
    if record.get("publish"):
        steps.append((nft.delete_rules, (record["nft_tag"],)))
    for func, args in steps:
        try:
            func(*args)
        except Exception as e:  # keep undoing; report what is left
            problems.append("network cleanup of %s: %s" % (container_id, e))
    store = NetworkStore(state_root)
    try:
        lock = store.lock()
        try:
            ipam.release(store, record["network"], container_id)
        finally:
            lock.release()
    except Exception as e:
        problems.append("releasing the address of %s: %s" % (container_id, e))
    return problems


def _has_new_network_namespace(config):
    return any(ns.get("type") == "network" and not ns.get("path")
               for ns in (config.get("linux") or {}).get("namespaces") or [])


def _set_network_namespace(config, path):
    linux = config.setdefault("linux", {})
    namespaces = [ns for ns in linux.get("namespaces") or [] if ns.get("type") != "network"]
    namespaces.append({"type": "network", "path": path})
    linux["namespaces"] = namespaces
