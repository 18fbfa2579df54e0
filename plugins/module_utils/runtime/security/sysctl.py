# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel parameters (config-linux.md ``linux.sysctl``) set inside the container.

sysctl(8) names map to files under /proc/sys: "net.ipv4.ip_forward" is
/proc/sys/net/ipv4/ip_forward. A name may also use "/" as the separator, and
then its dots are literal - needed for interface names with a dot, like
"net/ipv4/conf/eth0.100/forwarding" (sysctl.d(5)).

Only parameters that belong to a namespace the container owns may be set: the
rest are global and writing them would change the host. The init writes them
after mounting the container's /proc, so /proc/sys reflects its namespaces.
"""

import errno
import os

from ..errors import SecurityError

# ipc_namespaces(7): System V IPC limits and POSIX message queue parameters.
_IPC_SYSCTLS = frozenset(["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                          "kernel.shmall", "kernel.shmmax", "kernel.shmmni",
                          "kernel.shm_rmid_forced"])
# uts_namespaces(7)
_UTS_SYSCTLS = frozenset(["kernel.hostname", "kernel.domainname"])


def sysctl_components(key):
    """["net", "ipv4", "ip_forward"] for "net.ipv4.ip_forward" (or "net/ipv4/ip_forward")."""
    field = "linux.sysctl.%s" % key
    if not isinstance(key, str) or not key:
        raise SecurityError("%s: a sysctl name must be a non-empty string" % field)
    parts = key.split("/") if "/" in key else key.split(".")
    for part in parts:
        # An empty, "." or ".." component would escape /proc/sys or name a directory.
        if part in ("", ".", "..") or "\0" in part:
            raise SecurityError("%s: invalid sysctl name" % field)
    return parts


def sysctl_path(key, proc_root="/proc"):
    """The /proc/sys file of a sysctl name."""
    return "/".join([proc_root.rstrip("/"), "sys"] + sysctl_components(key))


def required_namespace(key):
    """The namespace type that makes ``key`` private to the container, or None if global."""
    dotted = ".".join(sysctl_components(key))
    if dotted in _IPC_SYSCTLS or dotted.startswith("fs.mqueue."):
        return "ipc"
    if dotted.startswith("net."):
        return "network"
    if dotted in _UTS_SYSCTLS:
        return "uts"
    return None


def check_sysctl_namespaces(sysctl_map, namespace_types):
    """Refuse sysctls that the container's namespaces (types in linux.namespaces) do not isolate."""
    types = set(namespace_types)
    for key in sysctl_map or {}:
        needed = required_namespace(key)
        if needed is None:
            raise SecurityError("linux.sysctl.%s: not a namespaced parameter; setting it would "
                                "change the host" % key)
        if needed not in types:
            raise SecurityError("linux.sysctl.%s: needs the container to have its own %s "
                                "namespace (linux.namespaces has no %r entry)"
                                % (key, needed, needed))


def apply_sysctls(sysctl_map, proc_root="/proc"):
    """Write each ``linux.sysctl`` value to its /proc/sys file, in config order."""
    if not sysctl_map:
        return
    if not isinstance(sysctl_map, dict):
        raise SecurityError("linux.sysctl: must be an object of strings")
    for key, value in sysctl_map.items():
        field = "linux.sysctl.%s" % key
        if not isinstance(value, str):
            raise SecurityError("%s: value must be a string, got %r" % (field, value))
        path = sysctl_path(key, proc_root)
        try:
            # No O_CREAT: a name the kernel does not know must fail, not create a file.
            fd = os.open(path, os.O_WRONLY | os.O_TRUNC | os.O_CLOEXEC | os.O_NOFOLLOW)
            try:
                os.write(fd, value.encode("utf-8"))
            finally:
                os.close(fd)
        except OSError as exc:
            hint = ""
            if exc.errno == errno.ENOENT:
                hint = " (this kernel has no such parameter)"
            raise SecurityError("%s: writing %r to %s failed: %s%s"
                                % (field, value, path, os.strerror(exc.errno), hint))
