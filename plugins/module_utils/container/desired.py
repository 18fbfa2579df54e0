# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The config.json a container should have, from the module's options.

Private to this collection. Two sources (oci_container's docs):
``bundle`` (an existing OCI bundle; its config.json is the desired config)
or inline options on top of the runtime's default spec, written to a
bundle directory the module manages. Either way the result is validated by
the runtime's own checks, so a bad option fails with the JSON path it maps
to and before anything is touched.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import os
import shlex

from ..runtime.errors import RuntimeFailure, SpecError
from ..runtime.spec.defaults import default_config
from .options import CONFIG_OPTIONS
from .network_glue import apply_network_options
from .service_glue import apply_service_options

# The spec checks (spec/validate.py and the tables in spec/names.py) are
# imported where they are needed: an idempotent run whose config equals the
# one the container was created from (and validated with) never needs them,
# and every module Ansible ships is compiled from source on each run.

DEFAULT_BUNDLE_PARENT = "/var/lib/opencontainer/bundles"
# OCI image-spec's config.StopSignal, carried as an annotation by podman and buildah.
STOP_SIGNAL_ANNOTATION = "org.opencontainer.image.stopSignal"

_SIZE_SUFFIXES = {"b": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4}


class OptionError(RuntimeFailure):
    """An option value that cannot be turned into config.json."""

    def __init__(self, option, message):
        RuntimeFailure.__init__(self, "%s: %s" % (option, message))
        self.option = option


class Desired(object):
    """What the container should be: its config, bundle directory and rootfs."""

    def __init__(self, config, bundle, managed, validated):
        self.config = config
        self.bundle = bundle      # absolute path of the bundle directory
        self.managed = managed    # True: the module writes bundle/config.json
        self.validated = validated

    def validate(self):
        """Run the runtime's config checks (errors name the JSON path); once."""
        if not self.validated:
            from ..runtime.spec.validate import validate_config
            validate_config(self.config)
            self.validated = True


def desired_container(params):
    """Build :class:`Desired` from the module parameters (a dict)."""
    if params.get("bundle"):
        inline = [o.name for o in CONFIG_OPTIONS if params.get(o.name) not in (None, [], {})
                  and o.name != "readonly_rootfs"]
        if params.get("rootfs") or inline:
            raise OptionError("bundle", "cannot be combined with rootfs or inline options (%s)"
                              % ", ".join(sorted(inline + (["rootfs"] if params.get("rootfs") else []))))
        from ..runtime.spec.load import load_bundle
        bundle = load_bundle(params["bundle"])
        return Desired(bundle.config, bundle.path, managed=False, validated=True)
    if not params.get("rootfs"):
        raise OptionError("rootfs", "either rootfs or bundle is required to create container %s" % params["name"])
    rootfs = os.path.abspath(params["rootfs"])
    if not os.path.isdir(rootfs):
        raise OptionError("rootfs", "%s does not exist or is not a directory" % rootfs)
    bundle_dir = os.path.abspath(params.get("bundle_dir") or os.path.join(DEFAULT_BUNDLE_PARENT, params["name"]))
    return Desired(build_config(params, rootfs), bundle_dir, managed=True, validated=False)


def build_config(params, rootfs):
    """The runtime's default spec, shaped by the inline options, then ``spec`` merged last."""
    config = default_config(terminal=False)
    config["root"] = {"path": rootfs, "readonly": bool(params.get("readonly_rootfs"))}
    process = config["process"]
    if params.get("command") is not None:
        process["args"] = _command(params["command"])
    if params.get("env"):
        process["env"] = _env(process["env"], params["env"])
    if params.get("workdir"):
        process["cwd"] = params["workdir"]
    if params.get("user"):
        process["user"] = user_spec(params["user"], rootfs)
    if params.get("hostname"):
        config["hostname"] = params["hostname"]
    if params.get("mounts"):
        config["mounts"] = config["mounts"] + [_mount(m, i) for i, m in enumerate(params["mounts"])]
    resources = _resources(params)
    if resources:
        config["linux"]["resources"].update(resources)
    if params.get("cap_add") or params.get("cap_drop"):
        process["capabilities"] = _capabilities(process["capabilities"], params.get("cap_add") or [],
                                                params.get("cap_drop") or [])
    if params.get("ulimits"):
        process["rlimits"] = _rlimits(process["rlimits"], params["ulimits"])
    if params.get("sysctls"):
        config["linux"]["sysctl"] = dict((str(k), str(v)) for k, v in params["sysctls"].items())
    if params.get("annotations"):
        config["annotations"] = dict((str(k), str(v)) for k, v in params["annotations"].items())
    if params.get("hooks"):
        config["hooks"] = copy.deepcopy(params["hooks"])
    if params.get("no_new_privileges") is not None:
        process["noNewPrivileges"] = bool(params["no_new_privileges"])
    if params.get("seccomp"):
        config["linux"]["seccomp"] = _seccomp(params["seccomp"])
    if params.get("namespaces") is not None:
        config["linux"]["namespaces"] = [_namespace(n, i) for i, n in enumerate(params["namespaces"])]
    apply_network_options(config, params)  # network, ip, mac, publish
    apply_service_options(config, params)  # restart_policy, restart_retries, healthcheck, healthcheck_failure_action
    if params.get("spec"):
        deep_merge(config, params["spec"])
    return config


def deep_merge(base, overlay):
    """Merge ``overlay`` into ``base``: dicts recursively, anything else replaced; None deletes."""
    for key, value in overlay.items():
        if value is None:
            base.pop(key, None)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            deep_merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def _command(value):
    if isinstance(value, str):
        try:
            args = shlex.split(value)
        except ValueError as e:
            raise OptionError("command", "cannot split %r: %s" % (value, e))
    elif isinstance(value, list):
        args = [str(a) for a in value]
    else:
        raise OptionError("command", "must be a list or a string")
    if not args:
        raise OptionError("command", "must not be empty")
    return args


def _env(defaults, env):
    merged = dict(item.split("=", 1) for item in defaults)
    for key, value in env.items():
        if not key or "=" in key:
            raise OptionError("env", "invalid variable name %r" % key)
        if value is None:
            merged.pop(key, None)
            continue
        if isinstance(value, bool):
            raise OptionError("env", "value of %s is a boolean; quote it (\"%s\")" % (key, str(value).lower()))
        merged[key] = str(value)
    # Defaults first in their order, then the user's variables sorted: stable output.
    order = [item.split("=", 1)[0] for item in defaults] + sorted(merged)
    seen = set()
    out = []
    for key in order:
        if key in merged and key not in seen:
            seen.add(key)
            out.append("%s=%s" % (key, merged[key]))
    return out


def user_spec(value, rootfs):
    """``uid[:gid]`` or ``name[:group]``, names looked up in the rootfs's /etc/passwd and /etc/group."""
    user, _sep, group = str(value).partition(":")
    uid, primary_gid = _lookup(user, os.path.join(rootfs, "etc/passwd"), "user", passwd=True)
    if group:
        gid = _lookup(group, os.path.join(rootfs, "etc/group"), "user")[0]
    else:
        gid = primary_gid if primary_gid is not None else 0  # docker's default for a bare uid
    return {"uid": uid, "gid": gid}


def _lookup(name, path, option, passwd=False):
    """(id, primary gid or None) of a user or group name or number."""
    if name.isdigit():
        return int(name), None
    try:
        with open(path) as handle:
            for line in handle:
                fields = line.rstrip("\n").split(":")
                if len(fields) >= 3 and fields[0] == name:
                    gid = int(fields[3]) if passwd and len(fields) > 3 and fields[3].isdigit() else None
                    return int(fields[2]), gid
    except (IOError, OSError, ValueError):
        pass
    raise OptionError(option, "%r is not a number and not found in %s" % (name, path))


def _mount(item, index):
    where = "mounts[%d]" % index
    if not isinstance(item, dict) or not item.get("destination"):
        raise OptionError(where, "needs at least destination (and source for bind mounts)")
    unknown = set(item) - {"source", "destination", "type", "options"}
    if unknown:
        raise OptionError(where, "unknown keys %s" % ", ".join(sorted(unknown)))
    kind = item.get("type") or "bind"
    options = [str(o) for o in item.get("options") or []]
    if kind == "bind" and not {"bind", "rbind"} & set(options):
        options.insert(0, "rbind")  # runc and crun need it to do a bind mount
    source = item.get("source") or kind
    if kind == "bind":
        if not item.get("source"):
            raise OptionError(where, "a bind mount needs a source")
        source = os.path.abspath(item["source"])
    return {"destination": item["destination"], "type": kind, "source": source, "options": options}


def parse_size(value, option):
    """Bytes from an int or a string with an optional b/k/m/g/t suffix (1024-based); -1 = unlimited."""
    text = str(value).strip().lower()
    if text in ("-1", "max", "unlimited"):
        return -1
    multiplier = 1
    if text and text[-1] in _SIZE_SUFFIXES:
        multiplier = _SIZE_SUFFIXES[text[-1]]
        text = text[:-1]
    try:
        number = float(text)
    except ValueError:
        raise OptionError(option, "%r is not a size (e.g. 512m, 1g, 1048576)" % (value,))
    if number <= 0:
        raise OptionError(option, "must be positive, not %r" % (value,))
    return int(number * multiplier)


def _resources(params):
    resources = {}
    memory = {}
    if params.get("memory") is not None:
        memory["limit"] = parse_size(params["memory"], "memory")
    if params.get("memory_swap") is not None:
        memory["swap"] = parse_size(params["memory_swap"], "memory_swap")
    if memory:
        resources["memory"] = memory
    if params.get("pids_limit") is not None:
        resources["pids"] = {"limit": int(params["pids_limit"])}
    cpu = {}
    for option, field in (("cpu_shares", "shares"), ("cpu_quota", "quota"), ("cpu_period", "period")):
        if params.get(option) is not None:
            cpu[field] = int(params[option])
    if params.get("cpuset_cpus"):
        cpu["cpus"] = str(params["cpuset_cpus"])
    if cpu:
        resources["cpu"] = cpu
    return resources


def _cap_name(name, option):
    from ..runtime.spec.names import CAPABILITIES
    text = str(name).strip().upper()
    if text == "ALL":
        return text
    if not text.startswith("CAP_"):
        text = "CAP_" + text
    if text not in CAPABILITIES:
        raise OptionError(option, "unknown capability %r" % (name,))
    return text


def _capabilities(defaults, add, drop):
    from ..runtime.spec.names import CAPABILITIES
    add = [_cap_name(c, "cap_add") for c in add]
    drop = [_cap_name(c, "cap_drop") for c in drop]
    current = set(defaults.get("bounding") or [])
    everything = set(CAPABILITIES)
    current = set() if "ALL" in drop else current - set(drop)
    current |= everything if "ALL" in add else set(add)
    ordered = sorted(current)
    # runc's spec gives bounding, effective and permitted; ambient stays empty
    # so a non-root user gets none (capabilities(7) "Ambient").
    return {"bounding": ordered, "effective": list(ordered), "permitted": list(ordered)}


def _rlimits(defaults, ulimits):
    from ..runtime.spec.names import RLIMITS
    limits = dict((item["type"], item) for item in defaults)
    for text in ulimits:
        parts = str(text).split(":")
        if len(parts) not in (2, 3):
            raise OptionError("ulimits", "%r must be name:soft[:hard], e.g. nofile:1024:2048" % (text,))
        name = parts[0].strip().upper()
        if not name.startswith("RLIMIT_"):
            name = "RLIMIT_" + name
        if name not in RLIMITS:
            raise OptionError("ulimits", "unknown limit %r" % (parts[0],))
        try:
            values = [-1 if p in ("-1", "unlimited") else int(p) for p in parts[1:]]
        except ValueError:
            raise OptionError("ulimits", "%r: limits must be numbers or unlimited" % (text,))
        soft = values[0]
        hard = values[1] if len(values) > 1 else soft
        # JSON has no unsigned 64-bit -1: RLIM_INFINITY is 2**64-1 (getrlimit(2)).
        soft, hard = [(2 ** 64 - 1) if v == -1 else v for v in (soft, hard)]
        limits[name] = {"type": name, "soft": soft, "hard": hard}
    return [limits[name] for name in sorted(limits)]


def _seccomp(path):
    from ..runtime.spec.load import read_config
    try:
        return read_config(path)
    except SpecError as e:
        raise OptionError("seccomp", str(e).split(": ", 1)[-1])


def _namespace(item, index):
    if isinstance(item, str):
        kind, _sep, path = item.partition(":")
        item = {"type": kind}
        if path:
            item["path"] = path
    if not isinstance(item, dict) or not item.get("type"):
        raise OptionError("namespaces[%d]" % index, "must be a type name, type:path, or {type, path}")
    return dict((k, item[k]) for k in ("type", "path") if item.get(k))
