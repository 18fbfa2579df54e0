# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What create does for a container with a restart policy or a health check.

``check`` (before anything exists): the annotations are valid.
``prepare`` (before the monitor is forked): the runtime copy the monitor's
helpers run from (process/libexec.py ``runtime_copy``) and, with a restart
policy, the service record that brings it back after a reboot
(services/record.py). Containers without either never load this file.
"""

from .. import pathlite
from ..errors import SpecError
from ..standalone import restart
from . import record as records

HEALTHCHECK_ANNOTATION = "org.opencontainer.runtime.healthcheck"
ANNOTATIONS = (restart.RESTART_ANNOTATION, HEALTHCHECK_ANNOTATION)


def wanted(config):
    annotations = config.get("annotations") or {}
    return any(key in annotations for key in ANNOTATIONS)


def check(config):
    annotations = config.get("annotations") or {}
    if restart.RESTART_ANNOTATION in annotations:
        try:
            restart.parse_policy(annotations[restart.RESTART_ANNOTATION])
        except ValueError as e:
            raise SpecError("annotations.%s" % restart.RESTART_ANNOTATION, str(e))
    if HEALTHCHECK_ANNOTATION in annotations:
        from ..standalone import health
        try:
            health.parse_healthcheck(annotations[HEALTHCHECK_ANNOTATION])
        except ValueError as e:
            raise SpecError("annotations.%s" % HEALTHCHECK_ANNOTATION, str(e))


def prepare(state, state_root, bundle, log_path, log_max_size, carry=None):
    """Set ``runtime_copy`` and ``service_record`` in ``state``; write the record."""
    from ..process.libexec import runtime_copy
    state["runtime_copy"] = runtime_copy(state_root)
    if log_path:
        state["log_max_size"] = log_max_size
    check = (bundle.config.get("annotations") or {}).get(HEALTHCHECK_ANNOTATION)
    if check is not None:
        from ..standalone import health
        from ..standalone.stateio import write_json
        # What the monitor reads at its start (standalone/health.py checker_for): it never parses state.json
        # for it, and containers without a check pay one failed stat(2).
        write_json(pathlite.join(state_root, state["id"]), {
            "check": health.parse_healthcheck(check),
            "entry": state["runtime_copy"] + "/runtime/services/entry.py"}, name=health.CHECK_FILE)
    if restart.policy_of(bundle.config)[0] == "no":
        return
    path = (carry or {}).get("service_record") or records.record_path(state_root, state["id"])
    state["service_record"] = path
    records.write(path, {
        "state_root": pathlite.abspath(state_root),
        "id": state["id"],
        "bundle": bundle.path,
        "rootfs": bundle.rootfs,
        "config": bundle.config,
        "no_pivot": bool(state.get("no_pivot")),
        "log_path": True if log_path is True else log_path,
        "log_max_size": log_max_size,
        "networks": _network_definitions(state_root, bundle.config),
        "run": False,  # start sets it
    })


def _network_definitions(state_root, config):
    """The definitions of the bridge network the container joins: they live in the (tmpfs) state root."""
    from ..network.annotations import request_from_config
    request = request_from_config(config)
    if request is None or request.mode != "bridge":
        return {}
    from ..network.store import NetworkStore
    definition = NetworkStore(state_root).get(request.target)
    return {request.target: definition} if definition else {}
