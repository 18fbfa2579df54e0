# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of oci_container, each declared once.

Private to this collection: the modules oci_container and oci_containers
build their argument specs from this table, the config builder
(desired.py) turns the values into config.json, and the comparison
(drift.py) learns from it how each config field compares and whether a
change can be applied in place (cgroup resources) or needs a new container.

An option's ``path`` is where it lands in config.json (config.md); two
options may share a parent (cap_add and cap_drop both shape
process.capabilities).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

# How a config field is compared with the config the container was created from.
STRICT = "strict"   # equal JSON values
SET = "set"         # lists compared as sets (order carries no meaning)
IGNORE = "ignore"   # never a reason to change anything

# What a difference costs.
RECREATE = "recreate"
UPDATE = "update"   # written to the live cgroup (runtime update)


class Option(object):
    __slots__ = ("name", "type", "path", "elements", "default", "choices", "updatable", "spec")

    def __init__(self, name, type, path=None, elements=None, default=None, choices=None,
                 updatable=False, **spec):
        self.name = name
        self.type = type
        self.path = path
        self.elements = elements
        self.default = default
        self.choices = choices
        self.updatable = updatable
        self.spec = spec

    def argument_spec(self):
        spec = {"type": self.type}
        if self.elements:
            spec["elements"] = self.elements
        if self.default is not None:
            spec["default"] = self.default
        if self.choices:
            spec["choices"] = list(self.choices)
        spec.update(self.spec)
        return spec


_RES = "linux.resources."

# Options that become part of config.json. Order is the order they are applied.
CONFIG_OPTIONS = (
    Option("command", "raw", "process.args"),
    Option("env", "dict", "process.env"),
    Option("workdir", "str", "process.cwd"),
    Option("user", "str", "process.user"),
    Option("hostname", "str", "hostname"),
    Option("readonly_rootfs", "bool", "root.readonly", default=False),
    Option("mounts", "list", "mounts", elements="dict"),
    Option("memory", "str", _RES + "memory.limit", updatable=True),
    Option("memory_swap", "str", _RES + "memory.swap", updatable=True),
    Option("pids_limit", "int", _RES + "pids.limit", updatable=True),
    Option("cpu_shares", "int", _RES + "cpu.shares", updatable=True),
    Option("cpu_quota", "int", _RES + "cpu.quota", updatable=True),
    Option("cpu_period", "int", _RES + "cpu.period", updatable=True),
    Option("cpuset_cpus", "str", _RES + "cpu.cpus", updatable=True),
    Option("cap_add", "list", "process.capabilities", elements="str"),
    Option("cap_drop", "list", "process.capabilities", elements="str"),
    Option("ulimits", "list", "process.rlimits", elements="str"),
    Option("sysctls", "dict", "linux.sysctl"),
    Option("annotations", "dict", "annotations"),
    # Networking: rendered as the runtime's network annotations (network_glue.py).
    Option("network", "str", "annotations"),
    Option("ip", "str", "annotations"),
    Option("mac", "str", "annotations"),
    Option("publish", "list", "annotations", elements="str"),
    # Restart policy and health check: rendered as the runtime's annotations (service_glue.py).
    Option("restart_policy", "str", "annotations", choices=("no", "on-failure", "always", "unless-stopped")),
    Option("restart_retries", "int", "annotations"),
    Option("healthcheck", "dict", "annotations"),
    Option("healthcheck_failure_action", "str", "annotations", choices=("none", "kill", "restart")),
    Option("hooks", "dict", "hooks"),
    Option("no_new_privileges", "bool", "process.noNewPrivileges"),
    Option("seccomp", "path", "linux.seccomp"),
    Option("namespaces", "list", "linux.namespaces", elements="raw"),
    Option("spec", "dict", ""),
)

# Options that decide what the module does, not what the container is.
CONTROL_OPTIONS = (
    Option("name", "str", required=True),
    Option("state", "str", default="started", choices=("absent", "created", "started", "stopped")),
    Option("bundle", "path"),
    Option("rootfs", "path"),
    Option("bundle_dir", "path"),
    Option("recreate", "str", default="auto", choices=("auto", "always", "never")),
    Option("restart", "bool", default=False),
    Option("comparisons", "dict"),
    Option("stop_signal", "str"),
    Option("stop_timeout", "float", default=10.0),
    Option("wait", "bool", default=False),
    Option("wait_timeout", "float", default=300.0),
    Option("wait_healthy", "bool", default=False),
    Option("log_path", "path"),
    Option("log_max_size", "int", default=1048576),
    Option("output_lines", "int"),
)

# A container from an image (image_glue.py), instead of rootfs or bundle.
IMAGE_OPTIONS = (
    Option("image", "str"),
    Option("pull", "str", default="missing", choices=("missing", "always", "never")),
    Option("entrypoint", "raw", "process.args"),
    Option("image_store", "path"),
    Option("image_auth_file", "path"),
    Option("image_validate_certs", "bool", default=True),
)

# Shared by oci_container and each item of oci_containers, not per container.
COMMON_OPTIONS = (
    Option("state_root", "path", default="/run/opencontainer/containers"),
)

BY_NAME = dict((o.name, o) for o in CONFIG_OPTIONS + CONTROL_OPTIONS + COMMON_OPTIONS + IMAGE_OPTIONS)

# Config fields with a comparison other than strict, whichever way they were set.
FIELD_COMPARISONS = {
    "process.capabilities.bounding": SET,
    "process.capabilities.effective": SET,
    "process.capabilities.permitted": SET,
    "process.capabilities.inheritable": SET,
    "process.capabilities.ambient": SET,
    "process.user.additionalGids": SET,
}

# Config subtrees a running container can take without being recreated.
UPDATABLE_PREFIXES = ("linux.resources.memory", "linux.resources.pids", "linux.resources.cpu",
                      "linux.resources.blockIO")


def path_problems(params):
    """(option, problem) of each path in one container's options that cannot name a file.

    Every option that holds a path, nested ones included, with the name the
    user wrote (``mounts[0].source``, not the config.json path it lands on),
    checked before anything is written (runtime/pathcheck.py says what is
    refused and why).
    """
    from ..runtime.pathcheck import path_problem
    found = []

    def check(name, value):
        problem = path_problem(value) if value not in (None, "") else None
        if problem:
            found.append((name, problem))

    for option in CONFIG_OPTIONS + CONTROL_OPTIONS + COMMON_OPTIONS:
        if option.type == "path":
            check(option.name, params.get(option.name))
    check("workdir", params.get("workdir"))
    for index, mount in enumerate(params.get("mounts") or []):
        for key in ("source", "destination"):
            check("mounts[%d].%s" % (index, key), mount.get(key) if isinstance(mount, dict) else None)
    hooks = params.get("hooks")
    for phase in sorted(hooks) if isinstance(hooks, dict) else ():
        for index, hook in enumerate(hooks[phase] if isinstance(hooks[phase], list) else ()):
            check("hooks.%s[%d].path" % (phase, index), hook.get("path") if isinstance(hook, dict) else None)
    for index, namespace in enumerate(params.get("namespaces") or []):
        if isinstance(namespace, str):
            namespace = {"path": namespace.partition(":")[2]}
        check("namespaces[%d].path" % index, namespace.get("path") if isinstance(namespace, dict) else None)
    return found


def container_argument_spec(include_common=True):
    """The argument spec of one container (oci_container, or an oci_containers item)."""
    spec = dict((o.name, o.argument_spec()) for o in CONTROL_OPTIONS + CONFIG_OPTIONS)
    spec.update((o.name, o.argument_spec()) for o in IMAGE_OPTIONS)
    if include_common:
        spec.update((o.name, o.argument_spec()) for o in COMMON_OPTIONS)
    return spec


def comparison_path(key):
    """Map a `comparisons` key (an option name or a config.json path) to a config path."""
    option = BY_NAME.get(key)
    if option is not None and option.path is not None:
        return option.path
    return key
