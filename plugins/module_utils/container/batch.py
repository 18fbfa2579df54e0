# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Converge many containers in one module call (oci_containers).

Private to this collection. Each item is validated against oci_container's
own argument spec and handed to ContainerManager, so an item behaves
exactly like the same oci_container task, without Ansible's per-task cost.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ..runtime.errors import RuntimeFailure
from ..runtime.state import StateRoot
from .manager import ContainerManager
from .results import batch_diff, summary
from .options import container_argument_spec


class BatchError(RuntimeFailure):
    def __init__(self, message, partial_result):
        RuntimeFailure.__init__(self, message)
        self.partial_result = partial_result


def validated_items(items):
    validator = ArgumentSpecValidator(container_argument_spec(include_common=False))
    out = []
    names = set()
    for index, item in enumerate(items):
        result = validator.validate(dict(item))
        if result.error_messages:
            raise RuntimeFailure("containers[%d]: %s" % (index, "; ".join(result.error_messages)))
        params = result.validated_parameters
        if params["name"] in names:
            raise RuntimeFailure("containers[%d]: name %s is listed twice" % (index, params["name"]))
        names.add(params["name"])
        out.append(params)
    return out


def converge_all(items, state_root, check_mode, exclusive=False):
    """Converge every item in order; with ``exclusive`` remove containers not listed."""
    params_list = validated_items(items)
    results = []
    warnings = []
    for params in params_list:
        params["state_root"] = state_root
        results.append(_converge_one(params, check_mode, warnings, results))
    if exclusive:
        listed = set(p["name"] for p in params_list)
        root = StateRoot(state_root)
        for name in (root.ids() if root.exists() else []):
            if name not in listed:
                params = {"name": name, "state": "absent", "state_root": state_root}
                results.append(_converge_one(params, check_mode, warnings, results))
    out = {
        "changed": any(r["changed"] for r in results),
        "results": results,
        "diff": batch_diff(results),
    }
    out.update(summary(results))
    return out, warnings


def _converge_one(params, check_mode, warnings, results):
    manager = ContainerManager(params, check_mode)
    try:
        result = manager.converge()
    except RuntimeFailure as e:
        item = dict(getattr(e, "partial_result", {}), name=params["name"], failed=True, msg=str(e))
        raise BatchError("container %s: %s" % (params["name"], e),
                         {"results": results + [item],
                          "changed": any(r["changed"] for r in results) or item.get("changed", False)})
    finally:
        warnings.extend(manager.warnings)
    result["name"] = params["name"]
    return result
