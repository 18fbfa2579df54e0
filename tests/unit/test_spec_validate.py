# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""validate_config: a rich valid config passes; each broken field names its JSON path."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import re

import pytest

from runtime.errors import SpecError
from runtime.spec.checks_process import validate_process
from runtime.spec.checks_resources import validate_resources
from runtime.spec.defaults import default_config
from runtime.spec.validate import validate_config
from runtime.spec.checks_linux import sysctl_namespace
from runtime.spec.names import CAPABILITIES, RLIMITS

DELETE = object()


def full_config():
    """default_config() plus a valid value for every field the validator knows."""
    config = default_config()
    process = config["process"]
    process.update({
        "consoleSize": {"height": 24, "width": 80},
        "oomScoreAdj": -500,
        "apparmorProfile": "unconfined",
        "selinuxLabel": "system_u:system_r:container_t:s0",
        "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 4},
        "scheduler": {"policy": "SCHED_OTHER", "nice": 5, "priority": 0,
                      "flags": ["SCHED_FLAG_RESET_ON_FORK"], "runtime": 0,
                      "deadline": 0, "period": 0},
        "execCPUAffinity": {"initial": "0", "final": "0-1"},
        "commandLine": "ignored on linux",
    })
    process["user"].update({"umask": 0o22, "additionalGids": [5, 6], "username": "root"})
    process["capabilities"].update({"inheritable": [], "ambient": ["CAP_KILL"]})
    process["rlimits"].append({"type": "RLIMIT_CORE", "soft": 0, "hard": 2 ** 64 - 1})
    config["domainname"] = "example.org"
    config["mounts"].append({"destination": "/data", "type": "bind", "source": "/srv",
                             "options": ["rbind", "rw", "idmap"],
                             "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
                             "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]})
    hook = {"path": "/usr/bin/hook", "args": ["hook", "x"], "env": ["A=b"], "timeout": 5}
    config["hooks"] = dict((phase, [dict(hook)]) for phase in (
        "prestart", "createRuntime", "createContainer", "startContainer", "poststart",
        "poststop"))
    config["annotations"] = {"org.example.key": "value"}
    linux = config["linux"]
    linux["namespaces"] += [{"type": "user"}, {"type": "time"}]
    linux["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    linux["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    linux["timeOffsets"] = {"boottime": {"secs": -10, "nanosecs": 5},
                            "monotonic": {"secs": 86400}}
    linux["devices"] = [
        {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 0o666,
         "uid": 0, "gid": 0},
        {"path": "/dev/myfifo", "type": "p"},
    ]
    linux["cgroupsPath"] = "/oci/test"
    linux["resources"].update({
        "memory": {"limit": 2 ** 28, "reservation": 2 ** 27, "swap": 2 ** 29, "kernel": -1,
                   "kernelTCP": -1, "swappiness": 60, "disableOOMKiller": False,
                   "useHierarchy": True, "checkBeforeUpdate": True},
        "cpu": {"shares": 1024, "quota": 100000, "burst": 1000, "period": 100000,
                "realtimeRuntime": 0, "realtimePeriod": 0, "cpus": "0-1", "mems": "0",
                "idle": 0},
        "pids": {"limit": 100},
        "blockIO": {"weight": 500, "leafWeight": 300,
                    "weightDevice": [{"major": 8, "minor": 0, "weight": 100}],
                    "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1000}],
                    "throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 10}]},
        "hugepageLimits": [{"pageSize": "2MB", "limit": 0}, {"pageSize": "64KB", "limit": 1}],
        "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 5}]},
        "rdma": {"mlx5_1": {"hcaHandles": 3}},
        "unified": {"memory.high": "max"},
    })
    linux["resources"]["devices"].append(
        {"allow": True, "type": "c", "major": 10, "minor": -1, "access": "rw"})
    linux["sysctl"] = {"net.ipv4.ip_forward": "1", "kernel.shmmax": "1000",
                       "fs.mqueue.msg_max": "10", "kernel.domainname": "x"}
    linux["rootfsPropagation"] = "rslave"
    linux["seccomp"] = {
        "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
        "flags": ["SECCOMP_FILTER_FLAG_LOG"],
        "listenerPath": "/run/agent.sock", "listenerMetadata": "meta",
        "syscalls": [
            {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"},
            {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
             "args": [{"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
        ],
    }
    linux["mountLabel"] = "system_u:object_r:container_file_t:s0"
    linux["personality"] = {"domain": "LINUX32", "flags": []}
    linux["intelRdt"] = {"closID": "guaranteed", "schemata": "L3:0=7f0", "enableCMT": True}
    linux["memoryPolicy"] = {"mode": "MPOL_INTERLEAVE", "nodes": "0-1",
                             "flags": ["MPOL_F_STATIC_NODES"]}
    linux["netDevices"] = {"eth1": {"name": "net1"}}
    return config


def apply(config, path, value):
    """Set (or delete with DELETE) the member at a JSON path like mounts[2].options."""
    tokens = re.findall(r"\[(\d+)\]|([^.\[\]]+)", path)
    keys = [int(index) if index else name for index, name in tokens]
    parent = config
    for key in keys[:-1]:
        parent = parent[key]
    if value is DELETE:
        del parent[keys[-1]]
    elif isinstance(parent, list) and keys[-1] == len(parent):
        parent.append(value)
    else:
        parent[keys[-1]] = value


def broken(*changes):
    config = full_config()
    for index in range(0, len(changes), 2):
        value = changes[index + 1]
        apply(config, changes[index], value if value is DELETE else copy.deepcopy(value))
    return config


def assert_fails(config, json_path, fragment="", for_create=True):
    with pytest.raises(SpecError) as info:
        validate_config(config, for_create=for_create)
    assert info.value.path == json_path, str(info.value)
    assert str(info.value).startswith(json_path + ": " if json_path else "")
    assert fragment in info.value.message
    return info.value


# ---- valid configs ------------------------------------------------------------

def test_full_config_is_valid():
    config = full_config()
    assert validate_config(config) is config


@pytest.mark.parametrize("version", [
    "1.0.0", "1.0.2", "1.0.2-dev", "1.0.0-rc5", "1.1.0", "1.2.0", "1.2.0-dev", "1.2.1",
    "1.3.0", "1.3.7+build.5",
])
def test_supported_oci_versions(version):
    validate_config(broken("ociVersion", version))


@pytest.mark.parametrize("changes", [
    ("mounts[0].destination", "proc"),                  # relative: deprecated, allowed
    ("mounts[0].type", DELETE, "mounts[0].source", DELETE),  # both optional
    ("linux.namespaces[0].path", ""),                   # "" means a new namespace
    ("linux.namespaces[1].path", "/proc/1/ns/net"),     # joining by path
    ("process", DELETE),                                # config.md: start needs it, create does not
    ("unknownTopLevel", {"anything": [1]}),             # config.md: ignore unknown
    ("linux.unknownLinux", 5),
    ("process.unknown", None),
    # An empty hostname needs no uts namespace.
    ("hostname", "", "domainname", "", "linux.sysctl", {"net.core.somaxconn": "256"},
     "linux.namespaces[3]", DELETE),
    ("linux.resources.cpu.cpus", ""),
    ("linux.resources.cpu.cpus", "0-3,5,7-9:1/2"),
    ("linux.resources.memory.swap", -1),
    ("linux.resources.memory.limit", -1),
    ("linux.resources.cpu.quota", -1),
    ("linux.resources.pids", {}),
    ("linux.seccomp.syscalls[1].action", "SCMP_ACT_LOG", "linux.seccomp.listenerPath", DELETE,
     "linux.seccomp.listenerMetadata", DELETE),
    ("process.capabilities", {}),
    ("hooks", {}),
    ("linux.timeOffsets", {}, "linux.namespaces[7]", DELETE),
], ids=repr)
def test_valid_variants(changes):
    validate_config(broken(*changes))


def test_annotations_up_to_the_limit_pass():
    """1 MiB of annotations is an ordinary config; the limit is 4 MiB of JSON."""
    one_mib = dict(("org.example.%03d" % i, "v" * 4096) for i in range(256))
    validate_config(broken("annotations", one_mib))
    at_limit = {"k": "x" * ((4 << 20) - len('{"k":""}'))}
    validate_config(broken("annotations", at_limit))
    with pytest.raises(SpecError, match="^annotations: 4194305 bytes as JSON"):
        validate_config(broken("annotations", {"k": at_limit["k"] + "x"}))


@pytest.mark.parametrize("config", [
    {},
    {"process": {"env": ["A=1"]}},
    {"linux": {"resources": {"memory": {"limit": 1}}}},
    {"ociVersion": "1.0.0", "hostname": ""},
    {"linux": {"namespaces": [{"type": "mount", "path": "/proc/1/ns/mnt"}]}, "mounts": [{"destination": "/x"}]},
])
def test_partial_configs_pass_without_for_create(config):
    validate_config(config, for_create=False)


@pytest.mark.parametrize("config, json_path", [
    ({"process": {"args": []}}, "process.args"),
    ({"root": {}}, "root.path"),
    ({"hostname": "h"}, "hostname"),
])
def test_partial_configs_are_still_checked(config, json_path):
    assert_fails(config, json_path, for_create=False)


# ---- every check fails with its JSON path -------------------------------------

FAILURES = [
    # top level
    (("ociVersion", DELETE), "ociVersion", "is required"),
    (("ociVersion", 1), "ociVersion", "must be a string"),
    (("ociVersion", "0.5.0"), "ociVersion", "unsupported version"),
    (("ociVersion", "2.0.0"), "ociVersion", "unsupported"),
    (("ociVersion", "1.4.0"), "ociVersion", "unsupported"),
    (("ociVersion", "1.0"), "ociVersion", "unsupported"),
    (("ociVersion", "01.0.0"), "ociVersion", "unsupported"),
    (("ociVersion", "garbage"), "ociVersion", "unsupported"),
    (("root", DELETE), "root", "is required"),
    (("root", "rootfs"), "root", "must be an object, not a string"),
    (("root.path", DELETE), "root.path", "is required"),
    (("root.path", ""), "root.path", "non-empty"),
    (("root.readonly", "yes"), "root.readonly", "must be a boolean"),
    # process
    (("process", []), "process", "must be an object"),
    (("process.args", DELETE), "process.args", "is required"),
    (("process.args", []), "process.args", "must be a non-empty list of strings"),
    (("process.args", "sh"), "process.args", "must be a non-empty list of strings"),
    (("process.args", ["sh", 1]), "process.args[1]", "must be a string"),
    (("process.args", ["sh", "a\0b"]), "process.args[1]", "NUL"),
    (("process.args", [""]), "process.args[0]", "empty"),
    (("process.cwd", DELETE), "process.cwd", "is required"),
    (("process.cwd", "relative"), "process.cwd", "absolute"),
    (("process.env", "A=1"), "process.env", "must be a list"),
    (("process.env", ["PATH=/bin", "NOEQUALS"]), "process.env[1]", "KEY=value"),
    (("process.env", ["=value"]), "process.env[0]", "non-empty KEY"),
    (("process.env", [3]), "process.env[0]", "must be a string"),
    (("process.terminal", 1), "process.terminal", "must be a boolean"),
    (("process.consoleSize", {"height": 1}), "process.consoleSize.width", "is required"),
    (("process.consoleSize.height", -1), "process.consoleSize.height", "uint32"),
    (("process.user", DELETE, "process.user", {}), "process.user.uid", "is required"),
    (("process.user.gid", DELETE), "process.user.gid", "is required"),
    (("process.user.uid", True), "process.user.uid", "must be an integer, not a boolean"),
    (("process.user.uid", 1.0), "process.user.uid", "must be an integer"),
    (("process.user.uid", "0"), "process.user.uid", "must be an integer, not a string"),
    (("process.user.uid", 2 ** 32), "process.user.uid", "uint32"),
    (("process.user.gid", -1), "process.user.gid", "uint32"),
    (("process.user.umask", -2), "process.user.umask", "uint32"),
    (("process.user.additionalGids", [1, "2"]), "process.user.additionalGids[1]", "integer"),
    (("process.user.username", 5), "process.user.username", "string"),
    (("process.capabilities", ["CAP_KILL"]), "process.capabilities", "must be an object"),
    (("process.capabilities.bounding", "CAP_KILL"), "process.capabilities.bounding",
     "must be a list"),
    (("process.capabilities.effective[1]", "CAP_NOPE"), "process.capabilities.effective[1]",
     "unknown capability 'CAP_NOPE'"),
    (("process.capabilities.ambient", ["KILL"]), "process.capabilities.ambient[0]",
     "unknown capability"),
    (("process.capabilities.inheritable", [None]), "process.capabilities.inheritable[0]",
     "must be a string, not null"),
    (("process.rlimits", {}), "process.rlimits", "must be a list"),
    (("process.rlimits[0].type", "RLIMIT_FOO"), "process.rlimits[0].type", "unknown rlimit"),
    (("process.rlimits[0].soft", DELETE), "process.rlimits[0].soft", "is required"),
    (("process.rlimits[0].hard", -1), "process.rlimits[0].hard", "uint64"),
    (("process.rlimits[0].soft", 2048), "process.rlimits[0].soft", "greater than hard"),
    (("process.rlimits[1].type", "RLIMIT_NOFILE"), "process.rlimits[1].type",
     "duplicate rlimit RLIMIT_NOFILE (already set at process.rlimits[0])"),
    (("process.noNewPrivileges", "true"), "process.noNewPrivileges", "boolean"),
    (("process.oomScoreAdj", 1001), "process.oomScoreAdj", "from -1000 to 1000"),
    (("process.oomScoreAdj", -1001), "process.oomScoreAdj", "from -1000 to 1000"),
    (("process.apparmorProfile", 1), "process.apparmorProfile", "string"),
    (("process.selinuxLabel", []), "process.selinuxLabel", "string"),
    (("process.ioPriority.class", "IOPRIO_CLASS_NONE"), "process.ioPriority.class",
     "must be one of IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE, IOPRIO_CLASS_RT"),
    (("process.ioPriority.priority", 8), "process.ioPriority.priority", "from 0 to 7"),
    (("process.ioPriority.priority", DELETE), "process.ioPriority.priority", "is required"),
    (("process.scheduler.policy", DELETE), "process.scheduler.policy", "is required"),
    (("process.scheduler.policy", "SCHED_FAST"), "process.scheduler.policy", "must be one of"),
    (("process.scheduler.nice", 20), "process.scheduler.nice", "from -20 to 19"),
    (("process.scheduler.flags", ["SCHED_FLAG_X"]), "process.scheduler.flags[0]",
     "unknown scheduler flag"),
    (("process.scheduler.runtime", -1), "process.scheduler.runtime", "uint64"),
    (("process.execCPUAffinity.initial", "0-"), "process.execCPUAffinity.initial",
     "cpuset(7)"),
    # hostname / domainname
    (("hostname", 5), "hostname", "must be a string"),
    (("hostname", "x" * 65), "hostname", "at most 64 bytes"),
    (("linux.namespaces[3]", DELETE), "hostname", "needs a uts namespace"),
    (("hostname", "", "linux.namespaces[3]", DELETE), "domainname", "needs a uts namespace"),
    # mounts
    (("mounts", {}), "mounts", "must be a list"),
    (("mounts[2]", "/dev/pts"), "mounts[2]", "must be an object"),
    (("mounts[2].destination", DELETE), "mounts[2].destination", "is required"),
    (("mounts[2].destination", ""), "mounts[2].destination", "non-empty"),
    (("mounts[2].destination", 7), "mounts[2].destination", "must be a string"),
    (("mounts[1].type", 1), "mounts[1].type", "string"),
    (("mounts[1].source", None), "mounts[1].source", "not null"),
    (("mounts[1].options", "ro"), "mounts[1].options", "list of strings"),
    (("mounts[1].options[0]", 1), "mounts[1].options[0]", "string"),
    (("mounts[7].uidMappings[0].size", 0), "mounts[7].uidMappings[0].size", "greater than 0"),
    (("mounts[7].gidMappings[0].hostID", DELETE), "mounts[7].gidMappings[0].hostID",
     "is required"),
    (("mounts[7].gidMappings", DELETE), "mounts[7].gidMappings", "is required when uidMappings"),
    # hooks
    (("hooks", []), "hooks", "must be an object"),
    (("hooks.prestop", []), "hooks.prestop", "unknown hook phase"),
    (("hooks.poststop", {}), "hooks.poststop", "must be a list"),
    (("hooks.createRuntime[0].path", DELETE), "hooks.createRuntime[0].path", "is required"),
    (("hooks.prestart[0].path", "hook"), "hooks.prestart[0].path", "absolute"),
    (("hooks.poststart[0].args", "x"), "hooks.poststart[0].args", "list of strings"),
    (("hooks.startContainer[0].env", ["NOPE"]), "hooks.startContainer[0].env[0]", "KEY=value"),
    (("hooks.createContainer[0].timeout", 0), "hooks.createContainer[0].timeout", "positive"),
    (("hooks.createContainer[0].timeout", 1.5), "hooks.createContainer[0].timeout", "integer"),
    # annotations
    (("annotations", ["a"]), "annotations", "must be an object"),
    (("annotations", {"": "x"}), 'annotations[""]', "non-empty"),
    (("annotations", {"k": 1}), 'annotations["k"]', "must be a string"),
    (("annotations", {"k": "x" * (4 << 20)}), "annotations", "more than the limit of 4194304 bytes (4 MiB)"),
    # linux
    (("linux", []), "linux", "must be an object"),
    (("linux.namespaces", {}), "linux.namespaces", "must be a list"),
    # Without a new mount namespace the runtime makes no mounts (rootfs/chroot.py).
    (("linux.namespaces", DELETE, "linux.uidMappings", DELETE, "linux.gidMappings", DELETE,
      "linux.timeOffsets", DELETE, "hostname", DELETE, "domainname", DELETE, "linux.sysctl", DELETE),
     "mounts", "needs a new mount namespace"),
    (("linux.namespaces[4]", DELETE), "mounts", "would share the runtime's"),
    (("linux.namespaces[0].type", "proc"), "linux.namespaces[0].type", "must be one of"),
    (("linux.namespaces[0].type", DELETE), "linux.namespaces[0].type", "is required"),
    (("linux.namespaces[0].path", "proc/1/ns/pid"), "linux.namespaces[0].path", "absolute"),
    (("linux.namespaces[1].type", "pid"), "linux.namespaces[1].type", "duplicate namespace"),
    (("linux.namespaces[4].path", "/proc/1/ns/mnt"), "mounts",
     "linux.namespaces[4] joins the mount namespace /proc/1/ns/mnt"),
    (("linux.uidMappings", {}), "linux.uidMappings", "must be a list"),
    (("linux.uidMappings[0].containerID", -1), "linux.uidMappings[0].containerID", "uint32"),
    (("linux.gidMappings[0].size", 0), "linux.gidMappings[0].size", "greater than 0"),
    (("linux.gidMappings[0].hostID", 2 ** 32 - 10), "linux.gidMappings[0].size",
     "hostID + size must not exceed"),
    (("linux.namespaces[6]", DELETE), "linux.uidMappings", "needs a user namespace"),
    (("linux.namespaces[6]", DELETE, "linux.uidMappings", []), "linux.gidMappings",
     "needs a user namespace"),
    (("linux.gidMappings", DELETE), "linux.namespaces[6]", "needs linux.uidMappings and"),
    (("linux.timeOffsets", []), "linux.timeOffsets", "must be an object"),
    (("linux.timeOffsets.realtime", {}), "linux.timeOffsets.realtime", "unknown clock"),
    (("linux.timeOffsets.boottime.secs", 2 ** 63), "linux.timeOffsets.boottime.secs", "int64"),
    (("linux.timeOffsets.boottime.nanosecs", 10 ** 9), "linux.timeOffsets.boottime.nanosecs",
     "from 0 to 999999999"),
    (("linux.namespaces[7]", DELETE), "linux.timeOffsets", "needs a time namespace"),
    (("linux.namespaces[7].path", "/proc/1/ns/time"), "linux.timeOffsets",
     "new time namespace"),
    (("linux.devices", {}), "linux.devices", "must be a list"),
    (("linux.devices[0].path", DELETE), "linux.devices[0].path", "is required"),
    (("linux.devices[0].path", "dev/fuse"), "linux.devices[0].path", "absolute"),
    (("linux.devices[0].type", "x"), "linux.devices[0].type", "must be one of b, c, p, u"),
    (("linux.devices[0].type", DELETE), "linux.devices[0].type", "is required"),
    (("linux.devices[0].major", DELETE), "linux.devices[0].major", "required for device type"),
    (("linux.devices[0].minor", DELETE), "linux.devices[0].minor", "required"),
    (("linux.devices[0].minor", -1), "linux.devices[0].minor", "non-negative"),
    (("linux.devices[0].fileMode", 0o10000), "linux.devices[0].fileMode", "0o7777"),
    (("linux.devices[0].uid", -1), "linux.devices[0].uid", "uint32"),
    (("linux.devices[1].gid", "0"), "linux.devices[1].gid", "integer"),
    (("linux.cgroupsPath", 1), "linux.cgroupsPath", "must be a string"),
    (("linux.cgroupsPath", "/a/../../b"), "linux.cgroupsPath", "'..'"),
    (("linux.cgroupsPath", "system.slice:oci:.."), "linux.cgroupsPath", "'..'"),
    # linux.resources
    (("linux.resources", []), "linux.resources", "must be an object"),
    (("linux.resources.devices", {}), "linux.resources.devices", "must be a list"),
    (("linux.resources.devices[0].allow", DELETE), "linux.resources.devices[0].allow",
     "is required"),
    (("linux.resources.devices[0].allow", "false"), "linux.resources.devices[0].allow",
     "boolean"),
    (("linux.resources.devices[1].type", "u"), "linux.resources.devices[1].type",
     "must be one of a, b, c"),
    (("linux.resources.devices[1].major", "10"), "linux.resources.devices[1].major", "integer"),
    (("linux.resources.devices[1].minor", -2), "linux.resources.devices[1].minor", "-1"),
    (("linux.resources.devices[1].access", "rwx"), "linux.resources.devices[1].access",
     "combination of r, w and m"),
    (("linux.resources.devices[1].access", ""), "linux.resources.devices[1].access",
     "non-empty"),
    (("linux.resources.memory", 5), "linux.resources.memory", "must be an object"),
    (("linux.resources.memory.limit", 2 ** 63), "linux.resources.memory.limit", "int64"),
    (("linux.resources.memory.limit", "1G"), "linux.resources.memory.limit", "integer"),
    (("linux.resources.memory.reservation", True), "linux.resources.memory.reservation",
     "boolean"),
    (("linux.resources.memory.kernel", 1.5), "linux.resources.memory.kernel", "integer"),
    (("linux.resources.memory.kernelTCP", None), "linux.resources.memory.kernelTCP", "null"),
    (("linux.resources.memory.swappiness", 101), "linux.resources.memory.swappiness",
     "from 0 to 100"),
    (("linux.resources.memory.swappiness", -1), "linux.resources.memory.swappiness",
     "from 0 to 100"),
    (("linux.resources.memory.disableOOMKiller", 0), "linux.resources.memory.disableOOMKiller",
     "boolean"),
    (("linux.resources.memory.useHierarchy", "no"), "linux.resources.memory.useHierarchy",
     "boolean"),
    (("linux.resources.memory.checkBeforeUpdate", 1),
     "linux.resources.memory.checkBeforeUpdate", "boolean"),
    (("linux.resources.memory.swap", 2 ** 20), "linux.resources.memory.swap",
     "must be at least memory.limit"),
    (("linux.resources.cpu.shares", -1), "linux.resources.cpu.shares", "uint64"),
    (("linux.resources.cpu.quota", 2 ** 63), "linux.resources.cpu.quota", "int64"),
    (("linux.resources.cpu.burst", 200000), "linux.resources.cpu.burst",
     "must not be larger than cpu.quota"),
    (("linux.resources.cpu.period", "100ms"), "linux.resources.cpu.period", "integer"),
    (("linux.resources.cpu.realtimeRuntime", 0.5), "linux.resources.cpu.realtimeRuntime",
     "integer"),
    (("linux.resources.cpu.realtimePeriod", -5), "linux.resources.cpu.realtimePeriod",
     "uint64"),
    (("linux.resources.cpu.cpus", "0-3,a"), "linux.resources.cpu.cpus", "list like"),
    (("linux.resources.cpu.cpus", "3-1"), "linux.resources.cpu.cpus", "list like"),
    (("linux.resources.cpu.mems", 0), "linux.resources.cpu.mems", "must be a string"),
    (("linux.resources.cpu.idle", True), "linux.resources.cpu.idle", "integer"),
    (("linux.resources.pids", 5), "linux.resources.pids", "must be an object"),
    (("linux.resources.pids.limit", "max"), "linux.resources.pids.limit", "integer"),
    (("linux.resources.blockIO.weight", 5), "linux.resources.blockIO.weight", "from 10 to 1000"),
    (("linux.resources.blockIO.leafWeight", 1001), "linux.resources.blockIO.leafWeight",
     "from 10 to 1000"),
    (("linux.resources.blockIO.weightDevice[0].major", DELETE),
     "linux.resources.blockIO.weightDevice[0].major", "is required"),
    (("linux.resources.blockIO.weightDevice[0].weight", DELETE),
     "linux.resources.blockIO.weightDevice[0]", "weight or leafWeight"),
    (("linux.resources.blockIO.weightDevice[0].leafWeight", 2),
     "linux.resources.blockIO.weightDevice[0].leafWeight", "from 10 to 1000"),
    (("linux.resources.blockIO.throttleReadBpsDevice[0].rate", -1),
     "linux.resources.blockIO.throttleReadBpsDevice[0].rate", "uint64"),
    (("linux.resources.blockIO.throttleWriteIOPSDevice[0].minor", DELETE),
     "linux.resources.blockIO.throttleWriteIOPSDevice[0].minor", "is required"),
    (("linux.resources.blockIO.throttleWriteBpsDevice", [{"major": 8, "minor": 0}]),
     "linux.resources.blockIO.throttleWriteBpsDevice[0].rate", "is required"),
    (("linux.resources.blockIO.throttleReadIOPSDevice", {}),
     "linux.resources.blockIO.throttleReadIOPSDevice", "must be a list"),
    (("linux.resources.hugepageLimits[0].pageSize", "2M"),
     "linux.resources.hugepageLimits[0].pageSize", "like \"2MB\""),
    (("linux.resources.hugepageLimits[1].pageSize", DELETE),
     "linux.resources.hugepageLimits[1].pageSize", "is required"),
    (("linux.resources.hugepageLimits[0].limit", -1),
     "linux.resources.hugepageLimits[0].limit", "uint64"),
    (("linux.resources.network.classID", 2 ** 32), "linux.resources.network.classID",
     "uint32"),
    (("linux.resources.network.priorities[0].name", ""),
     "linux.resources.network.priorities[0].name", "non-empty"),
    (("linux.resources.network.priorities[0].priority", DELETE),
     "linux.resources.network.priorities[0].priority", "is required"),
    (("linux.resources.rdma", []), "linux.resources.rdma", "must be an object"),
    (("linux.resources.rdma.mlx5_1", {}), 'linux.resources.rdma["mlx5_1"]',
     "hcaHandles or hcaObjects"),
    (("linux.resources.rdma.mlx5_1.hcaObjects", -1),
     'linux.resources.rdma["mlx5_1"].hcaObjects', "uint32"),
    (("linux.resources.unified", {"../x": "1"}), 'linux.resources.unified["../x"]', "'/'"),
    (("linux.resources.unified", {"a/b": "1"}), 'linux.resources.unified["a/b"]', "'/'"),
    (("linux.resources.unified", {"memory.max": 1}), 'linux.resources.unified["memory.max"]',
     "must be a string"),
    # linux.sysctl
    (("linux.sysctl", []), "linux.sysctl", "must be an object"),
    (("linux.sysctl", {"net/ipv4/ip_forward": "1"}), 'linux.sysctl["net/ipv4/ip_forward"]',
     "'/'"),
    (("linux.sysctl", {"net.x..y": "1"}), 'linux.sysctl["net.x..y"]', "'..'"),
    (("linux.sysctl", {"": "1"}), 'linux.sysctl[""]', "non-empty"),
    (("linux.sysctl", {"net.core.somaxconn": 256}), 'linux.sysctl["net.core.somaxconn"]',
     "must be a string"),
    (("linux.sysctl", {"vm.swappiness": "1"}), 'linux.sysctl["vm.swappiness"]',
     "is not namespaced; setting it would change the host"),
    (("linux.sysctl", {"kernel.pid_max": "1"}), 'linux.sysctl["kernel.pid_max"]',
     "not namespaced"),
    (("linux.namespaces[1]", DELETE), 'linux.sysctl["net.ipv4.ip_forward"]',
     "needs a network namespace"),
    (("linux.namespaces[2]", DELETE), 'linux.sysctl["kernel.shmmax"]', "needs an ipc namespace"),
    (("linux.namespaces[2]", DELETE, "linux.sysctl", {"fs.mqueue.msg_max": "1"}),
     'linux.sysctl["fs.mqueue.msg_max"]', "ipc namespace"),
    (("hostname", "", "domainname", "", "linux.namespaces[3]", DELETE),
     'linux.sysctl["kernel.domainname"]', "uts namespace"),
    # linux.rootfsPropagation and path lists
    (("linux.rootfsPropagation", "recursive"), "linux.rootfsPropagation", "must be one of"),
    (("linux.rootfsPropagation", 1), "linux.rootfsPropagation", "must be a string"),
    (("linux.maskedPaths", "/proc/kcore"), "linux.maskedPaths", "list of absolute paths"),
    (("linux.maskedPaths[0]", "proc/acpi"), "linux.maskedPaths[0]", "absolute"),
    (("linux.readonlyPaths[2]", 3), "linux.readonlyPaths[2]", "must be a string"),
    # linux.seccomp
    (("linux.seccomp", []), "linux.seccomp", "must be an object"),
    (("linux.seccomp.defaultAction", DELETE), "linux.seccomp.defaultAction", "is required"),
    (("linux.seccomp.defaultAction", "SCMP_ACT_DENY"), "linux.seccomp.defaultAction",
     "must be one of"),
    (("linux.seccomp.defaultAction", "SCMP_ACT_NOTIFY"), "linux.seccomp.defaultAction",
     "cannot be the default action"),
    (("linux.seccomp.defaultErrnoRet", -1), "linux.seccomp.defaultErrnoRet", "uint32"),
    (("linux.seccomp.defaultAction", "SCMP_ACT_KILL"), "linux.seccomp.defaultErrnoRet",
     "only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE"),
    (("linux.seccomp.architectures", ["SCMP_ARCH_Z80"]), "linux.seccomp.architectures[0]",
     "unknown seccomp architecture"),
    (("linux.seccomp.flags", ["SECCOMP_FILTER_FLAG_NEW_LISTENER"]), "linux.seccomp.flags[0]",
     "unknown seccomp flag"),
    (("linux.seccomp.listenerPath", "agent.sock"), "linux.seccomp.listenerPath", "absolute"),
    (("linux.seccomp.listenerPath", DELETE), "linux.seccomp.listenerPath",
     "required when a syscall uses SCMP_ACT_NOTIFY"),
    (("linux.seccomp.syscalls[1].action", "SCMP_ACT_LOG", "linux.seccomp.listenerPath", DELETE),
     "linux.seccomp.listenerMetadata", "without listenerPath"),
    (("linux.seccomp.listenerMetadata", 5), "linux.seccomp.listenerMetadata", "string"),
    (("linux.seccomp.syscalls[1].action", "SCMP_ACT_LOG"), "linux.seccomp.listenerPath",
     "no syscall rule uses SCMP_ACT_NOTIFY"),
    (("linux.seccomp.syscalls[1].names", ["sendmsg"]), "linux.seccomp.syscalls[1].names",
     "cannot be used for sendmsg"),
    (("linux.seccomp.syscalls", {}), "linux.seccomp.syscalls", "must be a list"),
    (("linux.seccomp.syscalls[0].names", []), "linux.seccomp.syscalls[0].names",
     "non-empty list of syscall names"),
    (("linux.seccomp.syscalls[0].names", DELETE), "linux.seccomp.syscalls[0].names",
     "is required"),
    (("linux.seccomp.syscalls[0].names[1]", ""), "linux.seccomp.syscalls[0].names[1]",
     "non-empty"),
    (("linux.seccomp.syscalls[0].action", DELETE), "linux.seccomp.syscalls[0].action",
     "is required"),
    (("linux.seccomp.syscalls[0].action", "ALLOW"), "linux.seccomp.syscalls[0].action",
     "must be one of"),
    (("linux.seccomp.syscalls[0].errnoRet", 1), "linux.seccomp.syscalls[0].errnoRet",
     "not SCMP_ACT_ALLOW"),
    (("linux.seccomp.syscalls[2].errnoRet", -1), "linux.seccomp.syscalls[2].errnoRet",
     "uint32"),
    (("linux.seccomp.syscalls[2].args", {}), "linux.seccomp.syscalls[2].args", "must be a list"),
    (("linux.seccomp.syscalls[2].args[0].index", 6),
     "linux.seccomp.syscalls[2].args[0].index", "from 0 to 5"),
    (("linux.seccomp.syscalls[2].args[0].index", DELETE),
     "linux.seccomp.syscalls[2].args[0].index", "is required"),
    (("linux.seccomp.syscalls[2].args[0].value", -1),
     "linux.seccomp.syscalls[2].args[0].value", "uint64"),
    (("linux.seccomp.syscalls[2].args[0].valueTwo", 2 ** 64),
     "linux.seccomp.syscalls[2].args[0].valueTwo", "uint64"),
    (("linux.seccomp.syscalls[2].args[0].op", "SCMP_CMP_IN"),
     "linux.seccomp.syscalls[2].args[0].op", "must be one of"),
    (("linux.seccomp.syscalls[2].args[0].op", DELETE),
     "linux.seccomp.syscalls[2].args[0].op", "is required"),
    # structure-only linux sections
    (("linux.mountLabel", 1), "linux.mountLabel", "must be a string"),
    (("linux.personality", "LINUX"), "linux.personality", "must be an object"),
    (("linux.personality.domain", "LINUX64"), "linux.personality.domain", "must be one of"),
    (("linux.personality.domain", DELETE), "linux.personality.domain", "is required"),
    (("linux.personality.flags", [1]), "linux.personality.flags[0]", "string"),
    (("linux.intelRdt", True), "linux.intelRdt", "must be an object"),
    (("linux.intelRdt.closID", "../x"), "linux.intelRdt.closID", "plain file name"),
    (("linux.intelRdt.enableCMT", "yes"), "linux.intelRdt.enableCMT", "boolean"),
    (("linux.intelRdt.schemata", []), "linux.intelRdt.schemata", "string"),
    (("linux.memoryPolicy.mode", DELETE), "linux.memoryPolicy.mode", "is required"),
    (("linux.memoryPolicy.mode", "MPOL_RANDOM"), "linux.memoryPolicy.mode", "must be one of"),
    (("linux.memoryPolicy.nodes", 0), "linux.memoryPolicy.nodes", "string"),
    (("linux.memoryPolicy.flags", ["MPOL_F_X"]), "linux.memoryPolicy.flags[0]",
     "must be one of"),
    (("linux.netDevices", {"eth/1": {}}), 'linux.netDevices["eth/1"]', "'/'"),
    (("linux.netDevices.eth1.name", 1), 'linux.netDevices["eth1"].name', "string"),
]


@pytest.mark.parametrize("changes, json_path, fragment", FAILURES,
                         ids=["%s=%r" % case[0][:2] for case in FAILURES])
def test_broken_field_is_reported_with_its_path(changes, json_path, fragment):
    assert_fails(broken(*changes), json_path, fragment)


@pytest.mark.parametrize("config", [[], "x", None, 3])
def test_config_must_be_an_object(config):
    assert_fails(config, "", "JSON object")


def test_first_failing_check_wins():
    # ociVersion is checked before process, process before mounts.
    error = assert_fails(broken("mounts[0].destination", "", "process.args", [],
                                "ociVersion", "9.9.9"), "ociVersion")
    assert "9.9.9" in error.message
    assert_fails(broken("mounts[0].destination", "", "process.args", []), "process.args")


def test_message_style():
    error = assert_fails(broken("process.args", []), "process.args")
    assert str(error) == "process.args: must be a non-empty list of strings, not an empty list"


def test_validate_process_for_exec():
    validate_process({"args": ["ls"], "cwd": "/"})
    with pytest.raises(SpecError) as info:
        validate_process({"args": ["ls"]})
    assert info.value.path == "process.cwd"
    validate_process({"env": ["A=1"]}, for_create=False)


def test_validate_resources_for_update():
    validate_resources({"memory": {"limit": 1 << 20}, "pids": {"limit": 10}})
    with pytest.raises(SpecError) as info:
        validate_resources({"pids": {"limit": "x"}}, path="resources")
    assert info.value.path == "resources.pids.limit"


@pytest.mark.parametrize("key, namespace", [
    ("net.ipv4.ip_forward", "network"),
    ("kernel.msgmax", "ipc"),
    ("kernel.msg_next_id", "ipc"),
    ("kernel.sem", "ipc"),
    ("kernel.shmall", "ipc"),
    ("kernel.shm_rmid_forced", "ipc"),
    ("fs.mqueue.queues_max", "ipc"),
    ("kernel.hostname", "uts"),
    ("kernel.domainname", "uts"),
    ("kernel.pid_max", None),
    ("vm.overcommit_memory", None),
    ("fs.file-max", None),
])
def test_sysctl_namespace_table(key, namespace):
    assert sysctl_namespace(key) == namespace


def test_name_tables():
    assert sorted(CAPABILITIES.values()) == list(range(41))
    assert CAPABILITIES["CAP_CHOWN"] == 0
    assert CAPABILITIES["CAP_CHECKPOINT_RESTORE"] == 40
    assert sorted(RLIMITS.values()) == list(range(16))


# ---- without a new mount namespace --------------------------------------------

def no_mount_namespace_config(path=None):
    """A config that needs no mounts, with the mount namespace left out (or joined)."""
    config = full_config()
    linux = config["linux"]
    linux["namespaces"] = [ns for ns in linux["namespaces"] if ns["type"] != "mount"]
    if path:
        linux["namespaces"].append({"type": "mount", "path": path})
    config["mounts"] = []
    config["root"]["readonly"] = False
    config["process"]["terminal"] = False
    for key in ("rootfsPropagation", "maskedPaths", "readonlyPaths", "devices"):
        linux.pop(key, None)
    return config


@pytest.mark.parametrize("path", [None, "/proc/1/ns/mnt"])
def test_no_new_mount_namespace_without_mounts_is_valid(path):
    validate_config(no_mount_namespace_config(path))


@pytest.mark.parametrize("path", [None, "/proc/1/ns/mnt"])
@pytest.mark.parametrize("json_path, value", [
    ("mounts", [{"destination": "/proc", "type": "proc", "source": "proc"}]),
    ("root.readonly", True),
    ("linux.rootfsPropagation", "private"),
    ("linux.maskedPaths", ["/proc/kcore"]),
    ("linux.readonlyPaths", ["/proc/sys"]),
    ("linux.devices", [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229}]),
    ("process.terminal", True),
])
def test_what_needs_mounts_needs_a_new_mount_namespace(path, json_path, value):
    config = no_mount_namespace_config(path)
    apply(config, json_path, value)
    error = assert_fails(config, json_path, "needs a new mount namespace")
    assert ("joins the mount namespace /proc/1/ns/mnt" if path else "share the runtime's") in error.message


@pytest.mark.parametrize("json_path, value", [
    ("mounts", []), ("root.readonly", False), ("linux.maskedPaths", []), ("process.terminal", False),
])
def test_empty_or_false_values_need_no_mount_namespace(json_path, value):
    config = no_mount_namespace_config()
    apply(config, json_path, value)
    validate_config(config)
