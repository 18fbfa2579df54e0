# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks for config.json ``linux`` (config-linux.md), except resources and seccomp.

Namespaces (namespaces(7)) decide what the container may change without
touching the host: a hostname needs a private UTS namespace, a ``net.*``
sysctl a private network namespace, uid/gid mappings a user namespace, clock
offsets a new time namespace. These cross-field rules live here, next to the
shape checks of namespaces, id mappings, devices, sysctl and the rest.
"""

from .checks_common import (
    absolute_path, boolean, check_object, child, choice, entry, fail, file_name,
    file_name_key, id_mapping_list, int64, int_range, INT64_MAX, item,
    kernel_string, list_of, map_of, object_of, section, string, string_list,
    uint32,
)
from .names import (
    DEVICE_TYPES, MEMORY_POLICY_FLAGS, MEMORY_POLICY_MODES, NAMESPACE_TYPES,
    PERSONALITY_DOMAINS, ROOTFS_PROPAGATIONS, TIME_OFFSET_CLOCKS,
)


def check_linux_object(config, for_create):
    if "linux" in config:
        check_object(config["linux"], "linux", {})


# ---- namespaces -------------------------------------------------------------

def _namespace_path(value, path):
    # An empty path is what Go-based tools write for "no path": a new namespace.
    kernel_string(value, path)
    if value and not value.startswith("/"):
        fail(path, "must be an absolute path, got %r" % (value,))


_NAMESPACE = object_of({"type": choice(NAMESPACE_TYPES), "path": _namespace_path},
                       required=("type",))


def namespace_entries(config):
    """type -> (JSON path of the entry, namespace path or "" for a new one).

    Only meaningful once check_namespaces has passed.
    """
    found = {}
    for index, namespace in enumerate(section(config, "linux").get("namespaces", [])):
        found[namespace["type"]] = (item("linux.namespaces", index), namespace.get("path", ""))
    return found


def check_namespaces(config, for_create):
    path = "linux.namespaces"
    namespaces = section(config, "linux").get("namespaces", [])
    list_of(_NAMESPACE)(namespaces, path)
    first_seen = {}
    for index, namespace in enumerate(namespaces):
        here = item(path, index)
        kind = namespace["type"]
        # config-linux.md: duplicated namespace types MUST be an error.
        if kind in first_seen:
            fail(child(here, "type"), "duplicate namespace type %r (already at %s)"
                 % (kind, first_seen[kind]))
        first_seen[kind] = here


# What needs mount(2) or mknod(2) in the container's mount namespace: JSON
# path -> is it asked for. rootfs/chroot.py says why nothing of it is done in
# a mount namespace the runtime did not create for the container.
_NEEDS_OWN_MOUNTS = (
    ("mounts", lambda config: bool(config.get("mounts"))),
    ("root.readonly", lambda config: bool(section(config, "root").get("readonly"))),
    ("linux.rootfsPropagation", lambda config: bool(section(config, "linux").get("rootfsPropagation"))),
    ("linux.maskedPaths", lambda config: bool(section(config, "linux").get("maskedPaths"))),
    ("linux.readonlyPaths", lambda config: bool(section(config, "linux").get("readonlyPaths"))),
    ("linux.devices", lambda config: bool(section(config, "linux").get("devices"))),
    # config-linux.md "/dev/console": the pty is bind mounted there.
    ("process.terminal", lambda config: bool(section(config, "process").get("terminal"))),
)


def check_mount_namespace_needs(config, for_create):
    """config-linux.md: without a mount entry the container shares the
    runtime's mount namespace; with a path it joins one. Then this runtime
    only chroot(2)s into root.path, and what would need mounts is an error.
    """
    if not for_create:
        return  # a partial config does not say which namespaces it has
    mount = namespace_entries(config).get("mount")
    if mount is not None and not mount[1]:
        return
    if mount is None:
        where = "linux.namespaces has no mount namespace, so the container would share the runtime's"
    else:
        where = "%s joins the mount namespace %s" % (mount[0], mount[1])
    for path, asked in _NEEDS_OWN_MOUNTS:
        if asked(config):
            fail(path, "needs a new mount namespace: %s, and the runtime makes no mounts or device "
                 "nodes in a mount namespace it did not create for the container" % where)


def check_id_mappings(config, for_create):
    linux = section(config, "linux")
    for key in ("uidMappings", "gidMappings"):
        if key in linux:
            id_mapping_list(linux[key], child("linux", key))
    user = namespace_entries(config).get("user")
    if user is None:
        for key in ("uidMappings", "gidMappings"):
            if linux.get(key):
                fail(child("linux", key), "needs a user namespace in linux.namespaces")
    elif not user[1] and not (linux.get("uidMappings") and linux.get("gidMappings")):
        # user_namespaces(7): ids without a mapping show up as the overflow id
        # and setuid/setgid to them fail, so a new namespace needs both maps.
        fail(user[0], "a new user namespace needs linux.uidMappings and linux.gidMappings")


# ---- hostname (top level, but a namespace rule) -------------------------------

def check_hostname(config, for_create):
    namespaces = namespace_entries(config)
    for key in ("hostname", "domainname"):
        if key not in config:
            continue
        kernel_string(config[key], key)
        # sethostname(2)/setdomainname(2): at most HOST_NAME_MAX (64) bytes.
        if len(config[key].encode("utf-8")) > 64:
            fail(key, "must be at most 64 bytes long")
        # config.md: a hostname can only be set with a private UTS namespace.
        if config[key] and "uts" not in namespaces:
            fail(key, "setting the %s needs a uts namespace in linux.namespaces" % key)


# ---- time offsets ---------------------------------------------------------------

_TIME_OFFSET = object_of({
    "secs": int64,
    # time_namespaces(7): the nanoseconds part must be below one second.
    "nanosecs": int_range(0, 999999999),
})


def check_time_offsets(config, for_create):
    path = "linux.timeOffsets"
    offsets = section(config, "linux").get("timeOffsets")
    if offsets is None:
        return
    check_object(offsets, path, {})
    for clock, offset in offsets.items():
        if clock not in TIME_OFFSET_CLOCKS:
            fail(child(path, clock), "unknown clock; a time namespace offsets only %s"
                 % " and ".join(TIME_OFFSET_CLOCKS))
        _TIME_OFFSET(offset, child(path, clock))
    if not offsets:
        return
    time = namespace_entries(config).get("time")
    if time is None:
        fail(path, "needs a time namespace in linux.namespaces")
    if time[1]:
        # time_namespaces(7): offsets are fixed once a process has entered the namespace.
        fail(path, "can only be set for a new time namespace, not one joined by path")


# ---- devices ----------------------------------------------------------------

_DEVICE_NUMBER = int_range(0, INT64_MAX, "a non-negative int64")
_DEVICE = object_of({
    "type": choice(DEVICE_TYPES),
    "path": absolute_path,
    "major": _DEVICE_NUMBER,
    "minor": _DEVICE_NUMBER,
    "fileMode": int_range(0, 0o7777, "a permission mode from 0 to 0o7777 (4095)"),
    "uid": uint32,
    "gid": uint32,
}, required=("type", "path"))


def check_devices(config, for_create):
    path = "linux.devices"
    devices = section(config, "linux").get("devices", [])
    list_of(_DEVICE)(devices, path)
    for index, device in enumerate(devices):
        # config-linux.md: major and minor are REQUIRED unless type is p (a FIFO).
        if device["type"] != "p":
            for number in ("major", "minor"):
                if number not in device:
                    fail(child(item(path, index), number),
                         "is required for device type %r" % device["type"])


# ---- cgroups path, sysctl, propagation, path lists ----------------------------

def check_cgroups_path(config, for_create):
    linux = section(config, "linux")
    if "cgroupsPath" in linux:
        kernel_string(linux["cgroupsPath"], "linux.cgroupsPath")
        if ".." in linux["cgroupsPath"].replace(":", "/").split("/"):
            fail("linux.cgroupsPath", "must not contain '..' components")


_SYSCTL_MAP = map_of(string, file_name_key)


def sysctl_namespace(key):
    """The namespace type that makes sysctl ``key`` container-local, or None.

    Follows the kernel's per-namespace sysctl tables: net/* (net namespace),
    ipc_sysctl.c (kernel.msg*, kernel.sem*, kernel.shm*) and fs/mqueue (ipc
    namespace), utsname_sysctl.c (kernel.hostname, kernel.domainname).
    """
    if key.startswith("net."):
        return "network"
    if key.startswith(("kernel.msg", "kernel.sem", "kernel.shm", "fs.mqueue.")):
        return "ipc"
    if key in ("kernel.hostname", "kernel.domainname"):
        return "uts"
    return None


def check_sysctl(config, for_create):
    path = "linux.sysctl"
    sysctl = section(config, "linux").get("sysctl")
    if sysctl is None:
        return
    _SYSCTL_MAP(sysctl, path)
    namespaces = namespace_entries(config)
    for key in sysctl:
        needed = sysctl_namespace(key)
        if needed is None:
            fail(entry(path, key), "is not namespaced; setting it would change the host")
        if needed not in namespaces:
            fail(entry(path, key), "needs %s %s namespace in linux.namespaces"
                 % ("an" if needed == "ipc" else "a", needed))


def check_rootfs_propagation(config, for_create):
    linux = section(config, "linux")
    if "rootfsPropagation" in linux:
        choice(ROOTFS_PROPAGATIONS)(linux["rootfsPropagation"], "linux.rootfsPropagation")


_PATH_LIST = list_of(absolute_path, description="a list of absolute paths")


def check_masked_and_readonly_paths(config, for_create):
    linux = section(config, "linux")
    for key in ("maskedPaths", "readonlyPaths"):
        if key in linux:
            _PATH_LIST(linux[key], child("linux", key))


# ---- structure-only sections --------------------------------------------------

_STRUCTURE_ONLY = {
    "mountLabel": string,
    "personality": object_of({
        "domain": choice(PERSONALITY_DOMAINS),
        "flags": string_list,
    }, required=("domain",)),
    "intelRdt": object_of({
        # closID names a directory in the resctrl file system.
        "closID": file_name,
        "l3CacheSchema": string,
        "memBwSchema": string,
        "schemata": string,
        "enableCMT": boolean,
        "enableMBM": boolean,
    }),
    "memoryPolicy": object_of({
        "mode": choice(MEMORY_POLICY_MODES),
        "nodes": string,
        "flags": list_of(choice(MEMORY_POLICY_FLAGS)),
    }, required=("mode",)),
    # Host interface name -> settings inside the container.
    "netDevices": map_of(object_of({"name": file_name}), file_name_key),
}


def check_linux_misc(config, for_create):
    check_object(section(config, "linux"), "linux", _STRUCTURE_ONLY)
