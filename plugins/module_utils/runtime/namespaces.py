# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Namespaces of config-linux.md: create new ones or join existing ones by path.

namespaces(7). A listed namespace without ``path`` is new (unshare(2)); with
``path`` it is joined (setns(2)); an unlisted one is shared with the runtime.
Special cases: a new pid namespace only applies to children of the caller
(pid_namespaces(7)), so the monitor handles it before forking the init; so
does a new time namespace, whose offsets must be written before any process
is in it (time_namespaces(7)); a new cgroup namespace takes the caller's
cgroup as its root, so the init unshares it only after joining the
container's cgroup; and the user namespace comes first of all, so that it
owns the others (process/userns.py).
"""

import fcntl
import posix  # os without os.py: runtime/pathlite.py says why

from . import pathlite
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
        return posix.open(path, posix.O_RDONLY | posix.O_CLOEXEC)
    except OSError as e:
        raise RuntimeFailure("linux.namespaces: cannot open %s namespace %s: %s" % (ns_type, path, e.strerror))


def mount_namespace_kind(config):
    """"new", "joined" (by path) or "shared" (not listed: the runtime's own).

    Only in a new one does the runtime build the container's mount table
    (rootfs/setup.py); in the others it makes no mount at all (rootfs/chroot.py).
    """
    listed, path = wants(config, "mount")
    if not listed:
        return "shared"
    return "joined" if path else "new"


def enter(config, skip=("pid", "user", "time"), syscalls=None):
    """Join the namespaces given by path, then unshare the new ones (except ``skip``).

    config-linux.md: a namespace path is a path in the runtime's mount
    namespace, so every one is opened before any is joined, and the mount
    namespace is joined last: setns(2) into it changes what paths name (and
    sets the caller's root and working directory to its root).
    """
    sc = syscalls or real()
    new_flags = 0
    joining = []
    try:
        for ns in namespace_list(config):
            ns_type = ns["type"]
            if ns_type in skip:
                continue
            flag = C.NAMESPACES[ns_type][0]
            if ns.get("path"):
                joining.append((ns_type == "mount", ns_type, ns["path"], flag, open_namespace(ns["path"], ns_type)))
            else:
                new_flags |= flag
        for dummy, ns_type, path, flag, fd in sorted(joining, key=lambda entry: entry[0]):
            try:
                sc.setns(fd, flag)
            except RuntimeFailure as e:
                raise RuntimeFailure("linux.namespaces: joining %s namespace %s: %s" % (ns_type, path, e))
    finally:
        for entry in joining:
            posix.close(entry[4])
    if new_flags:
        sc.unshare(new_flags)
    return new_flags


def enter_pid_namespace(config, syscalls=None):
    """Make the caller's next child start in the container's pid namespace.

    Returns an fd of the caller's own pid namespace (to go back with
    :func:`leave_pid_namespace`) or None when the pid namespace is shared.
    """
    return _enter_for_children(config, "pid", syscalls)


def leave_pid_namespace(own_fd, syscalls=None):
    """setns(2) back to our own pid namespace, so later children (hooks) start there."""
    _leave(own_fd, C.CLONE_NEWPID, syscalls)


def enter_time_namespace(config, syscalls=None):
    """As enter_pid_namespace, for the time namespace: a new one gets linux.timeOffsets.

    time_namespaces(7): unshare(2) moves only the caller's later children into
    the new namespace, and its offsets (written through the caller's
    /proc/self/timens_offsets) can be set only before a process is in it.
    """
    own = _enter_for_children(config, "time", syscalls)
    listed, path = wants(config, "time")
    if listed and not path:
        try:
            write_time_offsets((config.get("linux") or {}).get("timeOffsets"))
        except BaseException:
            leave_time_namespace(own, syscalls)
            raise
    return own


def leave_time_namespace(own_fd, syscalls=None):
    _leave(own_fd, C.CLONE_NEWTIME, syscalls)


def time_offsets_text(offsets):
    """Lines "<clock> <secs> <nanosecs>" of /proc/PID/timens_offsets (time_namespaces(7))."""
    lines = []
    for clock in sorted(offsets or {}):
        offset = offsets[clock] or {}
        lines.append("%s %d %d\n" % (clock, int(offset.get("secs", 0)), int(offset.get("nanosecs", 0))))
    return "".join(lines)


def write_time_offsets(offsets, proc_root="/proc"):
    text = time_offsets_text(offsets)
    if not text:
        return
    try:
        with open(proc_root.rstrip("/") + "/self/timens_offsets", "w") as handle:
            # One write(2) per clock: the kernel parses one line per call.
            for line in text.splitlines(True):
                handle.write(line)
                handle.flush()
    except OSError as e:
        raise RuntimeFailure("linux.timeOffsets: writing %s failed: %s" % (text.strip(), e.strerror))


def _enter_for_children(config, ns_type, syscalls):
    listed, path = wants(config, ns_type)
    if not listed:
        return None
    sc = syscalls or real()
    flag, proc_name = C.NAMESPACES[ns_type]
    own = posix.open("/proc/self/ns/" + proc_name, posix.O_RDONLY | posix.O_CLOEXEC)
    try:
        if path:
            fd = open_namespace(path, ns_type)
            try:
                sc.setns(fd, flag)
            finally:
                posix.close(fd)
        else:
            sc.unshare(flag)
    except BaseException:
        posix.close(own)
        raise
    return own


def _leave(own_fd, flag, syscalls):
    if own_fd is None:
        return
    try:
        (syscalls or real()).setns(own_fd, flag)
    finally:
        posix.close(own_fd)


def id_map_text(mappings):
    """Lines "<inside> <outside> <count>" of /proc/PID/uid_map (user_namespaces(7))."""
    return "".join("%d %d %d\n" % (int(m["containerID"]), int(m["hostID"]), int(m["size"]))
                   for m in mappings or ())


def write_id_maps(pid, config, proc_root="/proc"):
    """Write linux.uidMappings/gidMappings for ``pid``'s new user namespace.

    user_namespaces(7): each map is written once, in a single write(2), by
    a process with CAP_SETUID/CAP_SETGID in the parent namespace (the
    runtime, as root). Root may write gid_map with setgroups(2) still
    allowed, so /proc/PID/setgroups keeps "allow" and the container's
    process.user.additionalGids work.
    """
    linux = config.get("linux") or {}
    base = "%s/%d/" % (proc_root.rstrip("/"), pid)
    for name, key in (("uid_map", "uidMappings"), ("gid_map", "gidMappings")):
        text = id_map_text(linux.get(key))
        try:
            fd = posix.open(base + name, posix.O_WRONLY | posix.O_CLOEXEC)
            try:
                posix.write(fd, text.encode("ascii"))
            finally:
                posix.close(fd)
        except OSError as e:
            raise RuntimeFailure("linux.%s: writing %s of the container's init failed: %s (%s)"
                                 % (key, name, e.strerror, text.strip().replace("\n", "; ")))


# <linux/sockios.h>, <net/if.h>
_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1


def loopback_up():
    """Bring ``lo`` up in a new network namespace, as runc does (netdevice(7))."""
    import _socket as socket  # here: exec imports this module and needs neither
    import struct
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
        if ns.get("type") == "time" and not pathlite.exists("/proc/self/ns/time"):
            raise UnsupportedError("linux.namespaces[%d]: this kernel has no time namespaces (Linux 5.6+)" % index)
        if ns.get("path") and not pathlite.exists(ns["path"]):
            raise UnsupportedError("linux.namespaces[%d].path: %s does not exist" % (index, ns["path"]))
