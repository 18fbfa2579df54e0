# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Networking for the modules: container options to annotations, oci_network, info.

Private to this collection. The options ``network``, ``ip``, ``mac`` and
``publish`` of oci_container become the runtime's annotations
(runtime/network/annotations.py), so a bundle the module writes is wired
exactly as `oci-runtime create` of that bundle would be. Two values also
shape linux.namespaces, so the config says what the container gets:
``host`` removes the network namespace, and ``container:<name>`` joins the
other container's (/proc/<pid>/ns/net): a restarted partner then shows up
as a difference and the container is recreated into the new namespace.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ..runtime.errors import RuntimeFailure
from ..runtime.network import annotations as A

NETWORK_OPTIONS = ("network", "ip", "mac", "publish")


def _option_error(option, message):
    from .desired import OptionError
    return OptionError(option, message)


def network_value(text):
    """The annotation value of the ``network`` option (a bare name means that bridge network)."""
    text = str(text).strip()
    if text in ("none", "host", "bridge") or text.partition(":")[0] in ("bridge", "container"):
        value = text
    else:
        value = "bridge:" + text
    try:
        A.parse_mode(value)
    except RuntimeFailure as e:
        raise _option_error("network", str(e).split(": ", 1)[-1])
    return value


def apply_network_options(config, params):
    """Render network, ip, mac and publish into ``config`` (annotations, linux.namespaces)."""
    if not any(params.get(name) not in (None, "", []) for name in NETWORK_OPTIONS):
        return config
    if not params.get("network"):
        raise _option_error("network", "ip, mac and publish need network (bridge or a network name)")
    value = network_value(params["network"])
    annotations = config.setdefault("annotations", {})
    annotations[A.NETWORK] = value
    try:
        if params.get("ip"):
            annotations[A.IP] = A.parse_ip(str(params["ip"]))
        if params.get("mac"):
            annotations[A.MAC] = A.parse_mac(str(params["mac"]))
        if params.get("publish"):
            entries = A.parse_publish(list(params["publish"]))
            annotations[A.PUBLISH] = json.dumps([A.format_publish(e) for e in entries])
        A.request_from_config(config)  # ip/mac/publish with a mode that is not bridge
    except RuntimeFailure as e:
        raise _option_error("network", str(e))
    mode, target = A.parse_mode(value)
    linux = config.setdefault("linux", {})
    others = [ns for ns in linux.get("namespaces") or [] if ns.get("type") != "network"]
    if mode == "host":
        linux["namespaces"] = others
    elif mode == "container":
        linux["namespaces"] = others + [{"type": "network", "path": _partner_netns(params, target)}]
    return config


def _partner_netns(params, target):
    from ..runtime.errors import ContainerNotFound
    from ..runtime.state import StateRoot
    from ..runtime.status import live_status
    try:
        state = StateRoot(params.get("state_root")).load(target)
    except ContainerNotFound:
        raise _option_error("network", "container %s does not exist; create it first" % target)
    status = live_status(state)
    if status not in ("created", "running", "paused"):
        raise _option_error("network", "container %s is %s; its network namespace exists only while it runs" % (target, status))
    return "/proc/%d/ns/net" % state["pid"]


def network_summary(record):
    """What oci_container_info shows of a container's state["network"]."""
    out = dict((k, record.get(k)) for k in ("mode", "network", "bridge", "ip", "ipv6", "mac", "gateway", "container")
               if record.get(k) is not None)
    if record.get("ip") and record.get("prefix"):
        out["cidr"] = "%s/%d" % (record["ip"], record["prefix"])
    publish = record.get("publish") or []
    out["published"] = [dict(p) for p in publish]
    out["ports"] = [A.format_publish(p) for p in publish]
    return out


# -- oci_network ----------------------------------------------------------------
NETWORK_FIELDS = ("bridge", "subnet", "gateway", "subnet6", "gateway6", "mtu")


def network_argument_spec():
    spec = dict((field, {"type": "str"}) for field in NETWORK_FIELDS)
    spec["mtu"] = {"type": "int", "default": 1500}
    spec.update(name={"type": "str", "required": True},
                state={"type": "str", "default": "present", "choices": ["present", "absent"]},
                state_root={"type": "path", "default": "/run/opencontainer/containers"})
    return spec


def converge_network(params, check_mode=False):
    """oci_network: make network ``name`` present (with these fields) or absent."""
    from ..runtime.network import manage
    from ..runtime.state import StateRoot
    root = StateRoot(params["state_root"])
    if params["state"] == "absent":
        if not root.exists():
            return {"changed": False, "network": None, "diff": {"before": {}, "after": {}}}
        before, changed = manage.remove_network(root.path, params["name"], check_mode=check_mode)
        return {"changed": changed, "network": None, "diff": {"before": before or {}, "after": {}}}
    definition = dict((k, params.get(k)) for k in ("name",) + NETWORK_FIELDS)
    if not check_mode:
        root.ensure()
    before, after, changed = manage.define_network(root.path, definition, check_mode=check_mode)
    return {"changed": changed, "network": after, "diff": {"before": before or {}, "after": after}}
