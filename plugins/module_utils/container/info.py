# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""oci_container_info: the containers of a state root, with their live status.

Private to this collection. Reads state.json files only (one per container,
plus /proc/PID/stat for the status). A container whose state.json is
unreadable is listed with status "unknown" and a ``reason``.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ..runtime.errors import ContainerNotFound
from ..runtime.ids import validate_id
from ..runtime.lifecycle.query import UNKNOWN, describe_or_unknown, list_containers
from ..runtime.state import StateRoot
from .network_glue import network_summary


def container_info(state_root, name=None):
    root = StateRoot(state_root)
    if name is None:
        containers = list_containers(state_root) if root.exists() else []
        for container in containers:  # the network record lives only in state.json
            _add_network(root, container)
        return {"changed": False, "containers": containers}
    validate_id(name)
    try:
        containers = [_add_network(root, describe_or_unknown(root, name))] if root.exists() else []
    except ContainerNotFound:
        containers = []
    return {"changed": False, "containers": containers, "exists": bool(containers)}


def _add_network(root, container):
    """``network``: mode, addresses and published ports, when the container has network wiring."""
    if container["status"] == UNKNOWN:
        return container  # its state.json is unreadable; ``reason`` says why
    try:
        record = root.load(container["id"]).get("network")
    except ContainerNotFound:
        record = None
    if record:
        container["network"] = network_summary(record)
    return container
