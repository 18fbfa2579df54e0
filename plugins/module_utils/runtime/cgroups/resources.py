# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn ``linux.resources`` into control-file writes for this host.

Each resource section needs one controller. Where that controller lives
decides the file names: on a v1 hierarchy the v1 files, in a cgroup2 tree
the v2 files. A hybrid host can have both kinds at once (here: memory in
v1, hugetlb in v2). A section that asks for something whose controller the
host lacks raises UnsupportedError: config-linux.md says a runtime MUST
error out when it cannot apply a requested resource limit.
"""

from ..errors import SpecError, UnsupportedError
from . import devices, v1, v2
from .detect import V1, V2
from .values import Write, field, requested, section, text

_CPU_KEYS = ("shares", "quota", "period", "burst", "realtimeRuntime", "realtimePeriod", "idle")
_CPUSET_KEYS = ("cpus", "mems")


class ResourcePlan(object):
    """What apply() must do: ``writes`` as (flavor, Write) in order, and the
    device rules (normalised) with the flavor that enforces them."""

    def __init__(self):
        self.writes = []
        self.device_rules = None
        self.device_flavor = None

    def add(self, flavor, writes):
        self.writes.extend((flavor, w) for w in writes)

    def v2_controllers(self):
        """Controllers to enable in cgroup.subtree_control of the ancestors."""
        needed = []
        for flavor, write in self.writes:
            if flavor == V2 and write.controller != "cgroup" and write.controller not in needed:
                needed.append(write.controller)
        return needed


def _pick(section_dict, keys):
    return dict((k, section_dict[k]) for k in keys if k in section_dict)


def _unified_writes(unified):
    writes = []
    for key in sorted(unified):
        where = field("unified", key)
        if "/" in key or key.startswith(".") or "." not in key:
            raise SpecError(where, "%r is not a cgroup v2 control file name "
                            "like \"memory.high\"" % key)
        writes.append(Write(key.split(".", 1)[0], key, text(where, unified[key]), where))
    return writes


def _device_plan(plan, resources, locate, default_devices):
    configured = resources.get("devices")
    if configured is None and not default_devices:
        return
    rules = devices.normalize_rules(configured if configured is not None else [])
    if default_devices:
        rules += list(devices.DEFAULT_ALLOWED_RULES)
    try:
        plan.device_flavor = locate("devices", "devices", field("devices"))
    except UnsupportedError:
        if configured is not None:
            raise
        return  # only the defaults were asked for, and nothing can enforce them
    plan.device_rules = rules
    if plan.device_flavor == V1:
        plan.add(V1, devices.v1_writes(rules))


def translate(resources, locate, read_memory_limit=lambda: None, default_devices=False):
    """Plan the writes for ``resources`` (the linux.resources object).

    ``locate(v1_name, v2_name, where)`` returns V1 or V2 for the hierarchy
    that has the controller, or raises UnsupportedError naming it;
    ``read_memory_limit()`` returns the current v1 memory limit (or None).
    With ``default_devices`` the device rules are always set, the config's
    (if any) followed by devices.DEFAULT_ALLOWED_RULES, as runc does.
    """
    plan = ResourcePlan()
    if resources is None:
        resources = {}
    if not isinstance(resources, dict):
        raise SpecError(field(), "must be an object")

    mem = section(resources, "memory")
    if requested(mem):
        if locate("memory", "memory", field("memory")) == V1:
            plan.add(V1, v1.memory(mem, read_memory_limit()))
        else:
            plan.add(V2, v2.memory(mem))

    pids = section(resources, "pids")
    if requested(pids):
        flavor = locate("pids", "pids", field("pids"))
        plan.add(flavor, (v1 if flavor == V1 else v2).pids(pids))

    cpu = section(resources, "cpu")
    if cpu:
        cpu_part = _pick(cpu, _CPU_KEYS)
        if requested(cpu_part):
            flavor = locate("cpu", "cpu", field("cpu"))
            plan.add(flavor, (v1 if flavor == V1 else v2).cpu(cpu_part))
        cpuset_part = dict((k, v) for k, v in _pick(cpu, _CPUSET_KEYS).items() if v != "")
        if requested(cpuset_part):
            flavor = locate("cpuset", "cpuset", field("cpu", "cpus" if "cpus" in cpuset_part
                                                      else "mems"))
            plan.add(flavor, (v1 if flavor == V1 else v2).cpuset(cpuset_part))

    block = section(resources, "blockIO")
    if requested(block):
        if locate("blkio", "io", field("blockIO")) == V1:
            plan.add(V1, v1.blkio(block))
        else:
            plan.add(V2, v2.io(block))

    huge = section(resources, "hugepageLimits", list)
    if huge:
        if locate("hugetlb", "hugetlb", field("hugepageLimits")) == V1:
            plan.add(V1, v1.hugetlb(huge))
        else:
            plan.add(V2, v2.hugetlb(huge))

    _device_plan(plan, resources, locate, default_devices)

    network = section(resources, "network")
    if network:
        # net_cls and net_prio exist only in cgroup v1; v2 leaves packet
        # tagging to eBPF/nftables (cgroup-v2.rst "Deprecated v1 Core Features").
        if network.get("classID") is not None:
            locate("net_cls", None, field("network", "classID"))
            plan.add(V1, v1.net_cls(network))
        if network.get("priorities"):
            locate("net_prio", None, field("network", "priorities"))
            plan.add(V1, v1.net_prio(network))

    rdma = section(resources, "rdma")
    if rdma:
        flavor = locate("rdma", "rdma", field("rdma"))
        plan.add(flavor, (v1 if flavor == V1 else v2).rdma(rdma))

    unified = section(resources, "unified")
    if unified:
        writes = _unified_writes(unified)
        for write in writes:
            if locate(None, write.controller, write.field) != V2:
                raise UnsupportedError("%s: needs cgroup v2" % write.field)
        plan.add(V2, writes)
    return plan
