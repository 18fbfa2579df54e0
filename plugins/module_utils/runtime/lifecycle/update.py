# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""update: change the cgroup limits of a live container in place.

The input is an OCI ``linux.resources`` object (config-linux.md "Control
groups"), possibly partial: the fields given replace the container's
current ones, nested objects are merged, arrays replaced. The merged object
is checked with the same checks create uses (errors name the JSON path,
e.g. ``linux.resources.memory.limit``), so invalid input changes nothing;
then the given fields are written to the live cgroup (a write the kernel
refuses restores what was written before), and the merged resources are
saved as the container's config in state.json, under the container lock,
so the saved config always describes the limits the container has.

Allowed for created, running and paused containers (runc's rule); a stopped
container has nothing to update.
"""

import copy

from ..errors import SpecError, StateError
from ..spec.checks_resources import validate_resources
from ..state import StateRoot
from ..status import live_status, require

FIELD = "linux.resources"

# Fields whose cgroup value is computed from a pair: cgroup v2 writes
# cpu.max as "QUOTA PERIOD" and memory.swap.max as swap - limit, and v1
# orders the memory and memsw writes by comparing them, so when one of a
# pair changes the other (merged) value is written with it.
_PARTNERS = (("memory", ("limit", "swap")), ("cpu", ("quota", "period")))


def merge_resources(current, changes):
    """``changes`` over ``current``: objects merged key by key, anything else replaced."""
    merged = copy.deepcopy(current) if isinstance(current, dict) else {}
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_resources(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _to_apply(changes, merged):
    applied = copy.deepcopy(changes)
    for section, pair in _PARTNERS:
        given = applied.get(section)
        if not isinstance(given, dict) or not any(k in given for k in pair):
            continue
        for key in pair:
            if key not in given and key in merged.get(section, {}):
                given[key] = merged[section][key]
    return applied


def unlimited_memory_lifts_swap(current, changes):
    """``changes`` where a memory limit of -1 (unlimited) without a swap
    value also makes swap -1, when the container has a swap limit.

    runc's fs/memory.go does the same: memory+swap below an unlimited memory
    limit is refused by the kernel (memory.rst 2.5: memsw >= memory), and
    "-1 means unlimited" is what the caller asked for.
    """
    memory = changes.get("memory")
    if not isinstance(memory, dict) or memory.get("limit") != -1 or "swap" in memory:
        return changes
    if ((current or {}).get("memory") or {}).get("swap") is None:
        return changes
    changes = dict(changes)
    changes["memory"] = dict(memory, swap=-1)
    return changes


def _check_before_update(manager, merged, changes):
    # config-linux.md memory.checkBeforeUpdate: a new limit lower than the
    # current usage MUST be rejected instead of making the kernel reclaim.
    memory = merged.get("memory") or {}
    limit = (changes.get("memory") or {}).get("limit")
    if not memory.get("checkBeforeUpdate") or limit is None or limit <= 0:
        return
    usage = manager.stats()["memory"]["usage"]["usage"]
    if usage > limit:
        raise SpecError(FIELD + ".memory.limit", "%d is below the container's current memory usage %d "
                        "(memory.checkBeforeUpdate is set)" % (limit, usage))


def update(root, container_id, resources, warn=None):
    """Apply ``resources`` (a partial linux.resources) to the container; return the merged resources."""
    from ..cgroups.manager import CgroupManager
    if not isinstance(resources, dict):
        raise SpecError(FIELD, "must be an object")
    validate_resources(resources, FIELD)
    store = StateRoot(root)
    lock = store.lock(container_id)
    try:
        state = store.load(container_id)
        require("update", container_id, live_status(state))
        config = state.get("config") if isinstance(state.get("config"), dict) else {}
        linux = config.get("linux") if isinstance(config.get("linux"), dict) else {}
        resources = unlimited_memory_lifts_swap(linux.get("resources"), resources)
        merged = merge_resources(linux.get("resources") or {}, resources)
        validate_resources(merged, FIELD)
        if not state.get("cgroup"):
            raise StateError("container %s has no cgroup recorded in its state" % container_id)
        manager = CgroupManager.from_dict(state["cgroup"])
        _check_before_update(manager, merged, resources)
        manager.update(_to_apply(resources, merged))
        linux["resources"] = merged
        config["linux"] = linux
        state["config"] = config
        store.save(state)
    finally:
        lock.release()
    return merged
