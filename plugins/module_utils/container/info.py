# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""oci_container_info: the containers of a state root, with their live status.

Private to this collection. Reads state.json files only (one per container,
plus /proc/PID/stat for the status).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ..runtime.errors import ContainerNotFound
from ..runtime.ids import validate_id
from ..runtime.lifecycle.query import describe, list_containers
from ..runtime.state import StateRoot


def container_info(state_root, name=None):
    root = StateRoot(state_root)
    if name is None:
        return {"changed": False, "containers": list_containers(state_root) if root.exists() else []}
    validate_id(name)
    try:
        containers = [describe(root.load(name))] if root.exists() else []
    except ContainerNotFound:
        containers = []
    return {"changed": False, "containers": containers, "exists": bool(containers)}
