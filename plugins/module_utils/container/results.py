# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a run reports, in terms a user reads: --diff views, the container as
check mode predicts it, and oci_containers' lists of what changed.

Private to this collection. Everything here is derived from the manager's
plan (``actions``), its differences and the desired config; nothing here
touches the host.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ..runtime.status import CREATED, RUNNING, STOPPED
from .options import BY_NAME, CONFIG_OPTIONS

# Options that say what the container is made of, shown in a new container's diff
# besides the config options (which also show the config value they became).
SOURCE_OPTIONS = ("image", "entrypoint", "rootfs", "bundle")

# oci_containers' lists, in the order a reader meets them.
SUMMARY_KEYS = ("created", "recreated", "updated", "started", "stopped", "removed")


def predicted_status(want, actions, status):
    """The status the container has after ``actions`` (check mode: would have)."""
    if want == "absent":
        return "absent"
    if "create" in actions:
        return RUNNING if "start" in actions else CREATED
    if "start" in actions or "resume" in actions:
        return RUNNING
    if "stop" in actions:
        return STOPPED
    return status


def config_value(config, path):
    """The value at a dotted config.json path ("" is the whole config), or None."""
    value = config
    for key in path.split(".") if path else ():
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def set_options(params):
    """The container options the user gave (not left unset or at their default), by name."""
    out = {}
    for name in SOURCE_OPTIONS + tuple(o.name for o in CONFIG_OPTIONS):
        value = params.get(name)
        option = BY_NAME[name]
        if value is None or value == option.default or value in ({}, []):
            continue
        out[name] = value
    return out


def new_container_view(params, config, status):
    """The --diff "after" of a container that does not exist yet: the options set and what they became.

    The whole config.json (some 190 lines) says less than the handful of
    options that made it; it stays in the result's ``container.config``.
    """
    options = set_options(params)
    view = {"status": status, "options": options}
    if config is not None:
        paths = sorted(set(BY_NAME[name].path for name in options if BY_NAME[name].path))
        view["config"] = dict((path, config_value(config, path)) for path in paths)
    return view


def after_view(manager, container):
    """The --diff "after" of one oci_container run."""
    want = manager.params.get("state") or "started"
    if want == "absent":
        return {"status": "absent"}
    if manager.check_mode:
        target = predicted_status(want, manager.actions, manager.status)
    else:
        target = container.get("status", "absent")
    if manager.diffs:
        return {"status": target, "config": dict((d.path, d.after) for d in manager.diffs)}
    if "create" in manager.actions and "delete" not in manager.actions and manager.desired is not None:
        # A new container (manager.state is the one just created by now).
        return new_container_view(manager.params, manager.desired.config, target)
    return {"status": target}


def predicted_container(manager, current):
    """Check mode: the container as the run would leave it (``current`` is describe() of it as it is).

    A container that would be created (new or recreated) gets its id, the
    bundle and config it would be created from and the status it would
    reach, so ``result.container.status`` means the same with --check.
    """
    want = manager.params.get("state") or "started"
    if want == "absent":
        return {}
    desired = manager.desired
    if "create" in manager.actions:
        container = {"id": manager.name, "annotations": {}}
        if desired is not None:
            container["bundle"] = desired.bundle
            if desired.config is not None:
                container["config"] = desired.config
                container["annotations"] = dict(desired.config.get("annotations") or {})
    elif current:
        container = dict(current)
        config = desired.config if desired is not None and desired.config is not None else None
        container["config"] = config if config is not None else (manager.state or {}).get("config") or {}
    else:
        return {}
    container["status"] = predicted_status(want, manager.actions, manager.status)
    if container["status"] == STOPPED:
        container.pop("pid", None)  # the runtime-spec state has a pid only while created or running
    return container


def summary(results):
    """oci_containers' lists of container names, from each result's ``actions``.

    created: made new; recreated: deleted and made again because its config
    differed or ``recreate``/``restart`` asked (a stopped container only
    being started again is "started"); updated: resources changed in place;
    started: brought to running (start or resume) without a recreate;
    stopped: stopped and kept; removed: deleted and not made again.
    """
    lists = dict((key, []) for key in SUMMARY_KEYS)
    for result in results:
        actions = result.get("actions") or []
        name = result.get("name")
        before = (result.get("diff") or {}).get("before") or {}
        if "create" in actions and "delete" in actions:
            restarted_only = before.get("status") == STOPPED and "config" not in before and "stop" not in actions
            lists["started" if restarted_only else "recreated"].append(name)
        elif "create" in actions:
            lists["created"].append(name)
        elif "delete" in actions:
            lists["removed"].append(name)
        else:
            if "update" in actions:
                lists["updated"].append(name)
            if "start" in actions or "resume" in actions:
                lists["started"].append(name)
            if "stop" in actions:
                lists["stopped"].append(name)
    return lists


def batch_diff(results):
    """oci_containers' --diff: before and after of each container that changed, by name."""
    before = {}
    after = {}
    for result in results:
        if result.get("changed"):
            diff = result.get("diff") or {}
            before[result["name"]] = diff.get("before", {})
            after[result["name"]] = diff.get("after", {})
    return {"before": before, "after": after}
