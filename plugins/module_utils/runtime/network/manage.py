# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Define and remove networks (oci_network, and tests): the store, the bridge and the masquerade rule.

A network is defined by its file; its bridge and masquerade rule are made
on first use by a container (wiring.py) and on definition here. Removing a
network that a container still holds an address in fails, naming the
containers; otherwise the bridge, the network's nft rules, its file and its
leases go.
"""

from .common import NetworkError
from .store import NetworkStore, normalize


def get_network(state_root, name):
    """The stored definition of ``name`` (the built-in default for oci0), or None."""
    return NetworkStore(state_root).get(name)


def users(store, network):
    """Ids of the containers holding an address in ``network``."""
    from .ipam import live_leases
    return sorted(set(live_leases(store, network).values()))


def define_network(state_root, params, check_mode=False):
    """Make network ``params["name"]`` be ``params``; return (before, after, changed)."""
    desired = normalize(params)
    store = NetworkStore(state_root)
    if check_mode:
        before = _stored(store, desired["name"])
        if before is not None and before != desired and users(store, before):
            raise NetworkError("network %s is in use by containers %s; delete them before changing it"
                               % (desired["name"], ", ".join(users(store, before))))
        return before, desired, before != desired
    lock = store.lock()
    try:
        before = _stored(store, desired["name"])
        if before is not None and before != desired:
            held = users(store, before)
            if held:
                raise NetworkError("network %s is in use by containers %s; delete them before changing it"
                                   % (desired["name"], ", ".join(held)))
            _teardown(store, before)
        if before != desired:
            store.save(desired)
        _setup(store, desired)
    finally:
        lock.release()
    return before, desired, before != desired


def remove_network(state_root, name, check_mode=False):
    """Remove network ``name``; return (before, changed). Fails while containers use it."""
    store = NetworkStore(state_root)
    if not store.path or not _exists_dir(store.path):
        return None, False
    lock = store.lock()
    try:
        before = _stored(store, name)
        if before is None:
            return None, False
        held = users(store, before)
        if held:
            raise NetworkError("network %s is in use by containers %s; delete them first" % (name, ", ".join(held)))
        if not check_mode:
            _teardown(store, before)
            store.remove(name)
    finally:
        lock.release()
    return before, True


def _stored(store, name):
    """Only networks with a file (the built-in default without one is not "present")."""
    import os
    if not os.path.isfile(store.file(name)):
        return None
    return store.get(name)


def _exists_dir(path):
    import os
    return os.path.isdir(path)


def _setup(store, network):
    from . import bridge, nft
    nft.nft_binary()
    bridge.ensure_bridge(network)
    tag = nft.network_tag(store.state_root, network["name"])
    nft.replace_rules(tag, nft.render_network(network, tag))


def _teardown(store, network):
    from . import bridge, nft
    nft.delete_rules(nft.network_tag(store.state_root, network["name"]))
    bridge.remove_bridge(network)
