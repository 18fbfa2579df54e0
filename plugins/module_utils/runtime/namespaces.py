# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Namespaces of config-linux.md: create new ones or join existing ones by path.

namespaces(7). A listed namespace without ``path`` is new (unshare(2)); with
``path`` it is joined (setns(2)); an unlisted one is shared with the runtime.
Two are special: a new pid namespace only applies to children of the caller
(pid_namespaces(7)), so the monitor handles it before forking the init; and
a new cgroup namespace takes the caller's cgroup as its root, so the init
unshares it only after joining the container's cgroup.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import fcntl
import os
import socket
import struct

from .errors import RuntimeFailure, UnsupportedError
from .syscalls import consts as C
from .syscalls.host import real


def namespace_list(config):
    return (config.get("linux") or {}).get("namespaces") or []


def wants(config, ns_type):
    """Return (listed, path) for one namespace type."""
    for ns in namespace_list(config):
        if ns.get("type") == ns_type:
            return True, ns.get("path") or None
    return False, None


def open_namespace(path, ns_type):
    try:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as e:
        raise RuntimeFailure("linux.namespaces: cannot open %s namespace %s: %s" % (ns_type, path, e.strerror))


def enter(config, skip=("pid",), syscalls=None):
    """Join the namespaces given by path, then unshare the new ones (except ``skip``)."""
    sc = syscalls or real()
    new_flags = 0
    for ns in namespace_list(config):
        ns_type = ns["type"]
        if ns_type in skip:
            continue
        flag = C.NAMESPACES[ns_type][0]
        if ns.get("path"):
            fd = open_namespace(ns["path"], ns_type)
            try:
                sc.setns(fd, flag)
            except RuntimeFailure as e:
                raise RuntimeFailure("linux.namespaces: joining %s namespace %s: %s" % (ns_type, ns["path"], e))
            finally:
                os.close(fd)
        else:
            new_flags |= flag
    if new_flags:
        sc.unshare(new_flags)
    return new_flags


def enter_pid_namespace(config, syscalls=None):
    """Make the caller's next child start in the container's pid namespace.

    Returns an fd of the caller's own pid namespace (to go back with
    :func:`leave_pid_namespace`) or None when the pid namespace is shared.
    """
    listed, path = wants(config, "pid")
    if not listed:
        return None
    sc = syscalls or real()
    own = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
    if path:
        fd = open_namespace(path, "pid")
        try:
            sc.setns(fd, C.CLONE_NEWPID)
        finally:
            os.close(fd)
    else:
        sc.unshare(C.CLONE_NEWPID)
    return own


def leave_pid_namespace(own_fd, syscalls=None):
    """setns(2) back to our own pid namespace, so later children (hooks) start there."""
    if own_fd is None:
        return
    try:
        (syscalls or real()).setns(own_fd, C.CLONE_NEWPID)
    finally:
        os.close(own_fd)


# <linux/sockios.h>, <net/if.h>
_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1


def loopback_up():
    """Bring ``lo`` up in a new network namespace, as runc does (netdevice(7))."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        ifreq = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(sock.fileno(), _SIOCGIFFLAGS, ifreq))[1]
        if not flags & _IFF_UP:
            fcntl.ioctl(sock.fileno(), _SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | _IFF_UP))
    finally:
        sock.close()


def check_supported(config):
    """Namespaces this runtime cannot give yet fail before anything is created."""
    for index, ns in enumerate(namespace_list(config)):
        if ns.get("type") in ("user", "time"):
            raise UnsupportedError("linux.namespaces[%d]: %s namespaces are not supported by this "
                                   "runtime yet" % (index, ns["type"]))
        if ns.get("path") and not os.path.exists(ns["path"]):
            raise UnsupportedError("linux.namespaces[%d].path: %s does not exist" % (index, ns["path"]))
