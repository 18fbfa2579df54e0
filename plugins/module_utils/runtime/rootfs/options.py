# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn config.json mount options into mount(2) arguments.

mount(8) options are of three kinds:

* flags of the mount(2) ``mountflags`` argument ("ro", "nosuid", "bind"...),
  some of which clear a flag instead ("rw", "suid", "exec");
* propagation changes ("rshared", "private"...). mount(2): a propagation
  type can only be changed by a call of its own, naming only the target and
  one of MS_SHARED, MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE (optionally | MS_REC),
  so they are kept apart and applied after the mount;
* recursive attributes ("rro", "rnosuid", "rnoatime"...: runc's names),
  applied to the new mount and every mount beneath it with
  mount_setattr(2) and AT_RECURSIVE after the mount (mountcalls.py);
* everything else ("mode=755", "size=65536k", "newinstance") is file system
  specific and goes, comma-joined, into the ``data`` string.

With linux.mountLabel (SELinux), the data string of a fresh file system
gets a "context=" option (see format_mount_label).

It also reads the flags of an existing mount (statvfs(3) f_flag) that a
bind remount must keep. mount_namespaces(7): in a user namespace, the
nosuid/nodev/noexec/atime flags of mounts inherited from a more privileged
namespace are locked, and a MS_BIND|MS_REMOUNT that would clear them fails
with EPERM; so a remount restates them.
"""

import os
import posixpath

from ..errors import UnsupportedError
from ..syscalls import consts as C

# option -> (flags it sets, flags it clears); mount(8) FILESYSTEM-INDEPENDENT
# MOUNT OPTIONS.
FLAG_OPTIONS = {
    "defaults": (0, 0),
    "ro": (C.MS_RDONLY, 0),
    "rw": (0, C.MS_RDONLY),
    "nosuid": (C.MS_NOSUID, 0),
    "suid": (0, C.MS_NOSUID),
    "nodev": (C.MS_NODEV, 0),
    "dev": (0, C.MS_NODEV),
    "noexec": (C.MS_NOEXEC, 0),
    "exec": (0, C.MS_NOEXEC),
    "sync": (C.MS_SYNCHRONOUS, 0),
    "async": (0, C.MS_SYNCHRONOUS),
    "dirsync": (C.MS_DIRSYNC, 0),
    "mand": (C.MS_MANDLOCK, 0),
    "nomand": (0, C.MS_MANDLOCK),
    "nosymfollow": (C.MS_NOSYMFOLLOW, 0),
    "symfollow": (0, C.MS_NOSYMFOLLOW),
    "noatime": (C.MS_NOATIME, 0),
    "atime": (0, C.MS_NOATIME),
    "nodiratime": (C.MS_NODIRATIME, 0),
    "diratime": (0, C.MS_NODIRATIME),
    "relatime": (C.MS_RELATIME, 0),
    "norelatime": (0, C.MS_RELATIME),
    "strictatime": (C.MS_STRICTATIME, 0),
    "nostrictatime": (0, C.MS_STRICTATIME),
    "lazytime": (C.MS_LAZYTIME, 0),
    "nolazytime": (0, C.MS_LAZYTIME),
    "silent": (C.MS_SILENT, 0),
    "loud": (0, C.MS_SILENT),
    "bind": (C.MS_BIND, 0),
    "rbind": (C.MS_BIND | C.MS_REC, 0),
    "remount": (C.MS_REMOUNT, 0),
}

PROPAGATION_OPTIONS = {
    "private": C.MS_PRIVATE,
    "rprivate": C.MS_PRIVATE | C.MS_REC,
    "shared": C.MS_SHARED,
    "rshared": C.MS_SHARED | C.MS_REC,
    "slave": C.MS_SLAVE,
    "rslave": C.MS_SLAVE | C.MS_REC,
    "unbindable": C.MS_UNBINDABLE,
    "runbindable": C.MS_UNBINDABLE | C.MS_REC,
}

# Options that need idmapped mounts or runtime-specific copying; refusing
# them beats silently ignoring them.
_UNSUPPORTED = {
    "idmap": "idmapped mounts are not supported",
    "ridmap": "idmapped mounts are not supported",
    "tmpcopyup": "copying the image content into a tmpfs is not supported",
}

# option -> (struct mount_attr attr_set, attr_clr) for mount_setattr(2) with
# AT_RECURSIVE; the names are runc's (libcontainer/specconv).
# mount_setattr(2): an access-time mode is one value, set by also clearing
# all of MOUNT_ATTR__ATIME (clearing only part of it is EINVAL). So the
# negative atime options pick the mode mount(8) gives them: "ratime" and
# "rnostrictatime" the default relatime, "rnorelatime" strictatime.
RECURSIVE_OPTIONS = {
    "rro": (C.MOUNT_ATTR_RDONLY, 0),
    "rrw": (0, C.MOUNT_ATTR_RDONLY),
    "rnosuid": (C.MOUNT_ATTR_NOSUID, 0),
    "rsuid": (0, C.MOUNT_ATTR_NOSUID),
    "rnodev": (C.MOUNT_ATTR_NODEV, 0),
    "rdev": (0, C.MOUNT_ATTR_NODEV),
    "rnoexec": (C.MOUNT_ATTR_NOEXEC, 0),
    "rexec": (0, C.MOUNT_ATTR_NOEXEC),
    "rnodiratime": (C.MOUNT_ATTR_NODIRATIME, 0),
    "rdiratime": (0, C.MOUNT_ATTR_NODIRATIME),
    "rrelatime": (C.MOUNT_ATTR_RELATIME, C.MOUNT_ATTR__ATIME),
    "rnorelatime": (C.MOUNT_ATTR_STRICTATIME, C.MOUNT_ATTR__ATIME),
    "rnoatime": (C.MOUNT_ATTR_NOATIME, C.MOUNT_ATTR__ATIME),
    "ratime": (C.MOUNT_ATTR_RELATIME, C.MOUNT_ATTR__ATIME),
    "rstrictatime": (C.MOUNT_ATTR_STRICTATIME, C.MOUNT_ATTR__ATIME),
    "rnostrictatime": (C.MOUNT_ATTR_RELATIME, C.MOUNT_ATTR__ATIME),
    "rnosymfollow": (C.MOUNT_ATTR_NOSYMFOLLOW, 0),
    "rsymfollow": (0, C.MOUNT_ATTR_NOSYMFOLLOW),
}

ATIME_FLAGS = C.MS_NOATIME | C.MS_RELATIME | C.MS_STRICTATIME
# Flags that describe the mount itself rather than the operation; a bind
# mount only applies them on a second MS_REMOUNT call.
BIND_OPERATION_FLAGS = C.MS_BIND | C.MS_REC | C.MS_REMOUNT


class MountOptions(object):
    """Parsed options: ``flags`` set, ``cleared`` flags explicitly unset,
    ``propagation`` (list of flags, in order), ``data``, and the recursive
    attributes: ``recursive_set``, ``recursive_clear`` (mount_setattr(2)
    attr_set, attr_clr) and ``recursive_names`` (the options, for errors)."""

    __slots__ = ("flags", "cleared", "propagation", "data", "recursive_set", "recursive_clear",
                 "recursive_names")

    def __init__(self, flags=0, cleared=0, propagation=None, data=""):
        self.flags = flags
        self.cleared = cleared
        self.propagation = list(propagation or [])
        self.data = data
        self.recursive_set = 0
        self.recursive_clear = 0
        self.recursive_names = []

    @property
    def is_bind(self):
        return bool(self.flags & C.MS_BIND)

    @property
    def recursive(self):
        return bool(self.flags & C.MS_REC)

    def as_tuple(self):
        return self.flags, list(self.propagation), self.data

    def __repr__(self):
        return "MountOptions(flags=%#x, cleared=%#x, propagation=%r, data=%r)" % (
            self.flags, self.cleared, self.propagation, self.data)


def parse_mount_options(options, where="options"):
    """Split OCI mount options into a :class:`MountOptions`.

    Later options win over earlier ones ("ro,rw" is rw), as in mount(8).
    """
    flags = 0
    cleared = 0
    propagation = []
    data = []
    recursive = []
    for option in options or ():
        if option in FLAG_OPTIONS:
            set_bits, clear_bits = FLAG_OPTIONS[option]
            flags = (flags & ~clear_bits) | set_bits
            cleared = (cleared & ~set_bits) | clear_bits
        elif option in PROPAGATION_OPTIONS:
            propagation.append(PROPAGATION_OPTIONS[option])
        elif option in RECURSIVE_OPTIONS:
            recursive.append(option)
        elif option in _UNSUPPORTED:
            raise UnsupportedError("%s: option %r: %s" % (where, option, _UNSUPPORTED[option]))
        elif option:
            data.append(option)
    parsed = MountOptions(flags, cleared, propagation, ",".join(data))
    for option in recursive:  # later options win, as for the flags
        attr_set, attr_clr = RECURSIVE_OPTIONS[option]
        parsed.recursive_set = (parsed.recursive_set & ~attr_clr) | attr_set
        parsed.recursive_clear = (parsed.recursive_clear & ~(attr_set & ~C.MOUNT_ATTR__ATIME)) | attr_clr
        parsed.recursive_names.append(option)
    return parsed


# selinux(8) context mount options: any of them in the data means the mount
# entry labels itself, and the kernel refuses a second or conflicting one.
_CONTEXT_OPTIONS = ("context=", "fscontext=", "defcontext=", "rootcontext=")


def format_mount_label(data, label):
    """``data`` with the SELinux option context="<label>" appended.

    config-linux.md linux.mountLabel: the label of the container's mounts.
    mount(8) "context=": every file of the new file system gets that label.
    The label is quoted because an MCS/MLS range holds commas ("s0:c1,c2"),
    which would otherwise split the data string. An empty label changes
    nothing; so does data that already names a context option (the mount
    entry's own choice wins, and SELinux would refuse a second one).
    """
    if not label:
        return data
    if any(option.startswith(_CONTEXT_OPTIONS) for option in (data or "").split(",")):
        return data
    option = 'context="%s"' % label
    return data + "," + option if data else option


def parse_propagation(value, where="linux.rootfsPropagation"):
    """mount(2) flags for a rootfsPropagation value ("rslave", "shared"...)."""
    try:
        return PROPAGATION_OPTIONS[value]
    except KeyError:
        raise UnsupportedError("%s: unknown propagation %r; expected one of %s"
                               % (where, value, ", ".join(sorted(PROPAGATION_OPTIONS))))


def locked_flags(path):
    """The per-mount flags of the mount holding ``path`` that a bind remount
    must restate: nosuid, nodev, noexec, the atime mode and nodiratime.

    mount(2): a MS_BIND|MS_REMOUNT without any atime flag means relatime, so
    the atime mode is always restated (strictatime when neither noatime nor
    relatime is set).
    """
    f_flag = os.statvfs(path).f_flag
    flags = 0
    for st_bit, ms_bit in ((os.ST_NOSUID, C.MS_NOSUID), (os.ST_NODEV, C.MS_NODEV),
                           (os.ST_NOEXEC, C.MS_NOEXEC), (os.ST_NODIRATIME, C.MS_NODIRATIME)):
        if f_flag & st_bit:
            flags |= ms_bit
    if f_flag & os.ST_NOATIME:
        flags |= C.MS_NOATIME
    elif f_flag & os.ST_RELATIME:
        flags |= C.MS_RELATIME
    else:
        flags |= C.MS_STRICTATIME
    return flags


def remount_flags(options, locked):
    """Flags for the MS_BIND|MS_REMOUNT call after a bind mount.

    The requested flags, plus the ``locked`` flags of the source that the
    options neither cleared explicitly ("dev", "suid", "exec") nor replaced
    (an atime option replaces the whole atime mode).
    """
    requested = options.flags & ~BIND_OPERATION_FLAGS
    keep = locked & ~options.cleared
    if (options.flags | options.cleared) & ATIME_FLAGS:
        keep &= ~ATIME_FLAGS
    if (options.flags | options.cleared) & C.MS_NODIRATIME:
        keep &= ~C.MS_NODIRATIME
    return C.MS_BIND | C.MS_REMOUNT | requested | keep


def readonly_deferred(mounts, index):
    """True when config mounts[index] is mounted read-write now and made
    read-only only at the end (paths.remount_deferred_readonly).

    A fresh read-only file system at /dev, or a read-only tmpfs with later
    mounts beneath it (a "ro" /dev tmpfs with /dev/pts and /dev/shm), would
    refuse the mount points, device nodes and /dev/console made in it
    afterwards. As in runc (mountPropagate, finalizeRootfs), read-only is
    applied last. Other file systems (sysfs, proc) have their mount points
    already, and may be the bind of the host's instance (mounts.py), whose
    plain remount a user namespace refuses: they stay as they are.
    """
    entry = mounts[index]
    if entry.get("type") in ("bind", "cgroup", "cgroup2"):
        return False
    try:
        options = parse_mount_options(entry.get("options"))
    except UnsupportedError:
        return False
    if options.is_bind or options.flags & C.MS_REMOUNT or not options.flags & C.MS_RDONLY:
        return False
    destination = _absolute(entry.get("destination"))
    if destination == "/dev":
        return True
    if entry.get("type") != "tmpfs":
        return False
    prefix = destination.rstrip("/") + "/"
    return any(_absolute(later.get("destination")).startswith(prefix) for later in mounts[index + 1:])


def _absolute(destination):
    # posixpath.normpath keeps a leading "//" (POSIX leaves its meaning open).
    return posixpath.normpath("/" + (destination or "").lstrip("/"))
