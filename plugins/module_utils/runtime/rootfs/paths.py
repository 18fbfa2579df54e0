# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Last touches on the container's tree, made after pivot_root.

* config-linux.md maskedPaths: the paths "MUST be masked so they cannot be
  read": a file gets /dev/null bound over it, a directory a read-only
  empty tmpfs (labelled with linux.mountLabel, as the config mounts are).
  Paths that do not exist are skipped.
* readonlyPaths: "MUST be set read-only": the path is bound onto itself,
  which makes it a mount of its own, and that bind is remounted
  MS_BIND|MS_REMOUNT|MS_RDONLY (mount(2): MS_BIND with MS_REMOUNT changes
  only the per-mount flags), restating the locked flags.
* root.readonly: the same remount of "/".
* linux.rootfsPropagation: mount(2) with the propagation flag on "/".

Every function takes the root to work in ("/" after pivot_root) so the
logic can be tested in a temporary tree with fake syscalls.
"""

import errno
import os
import posixpath
import stat

from ..syscalls import host as _syscalls
from ..errors import RootfsError, SyscallError
from ..syscalls import consts as C
from .options import (
    BIND_OPERATION_FLAGS, format_mount_label, locked_flags, parse_mount_options, parse_propagation,
    readonly_deferred,
)
from .securejoin import fd_path, open_in_root, procfd_available

# Errors that mean "this path does not exist in the container": skip it.
_MISSING = (errno.ENOENT, errno.ENOTDIR)


class _Resolved(object):
    """A path opened inside the root, with a target string for mount(2).

    Normally "/proc/self/fd/<fd>". After pivot_root the container's /proc
    may be absent or belong to another pid namespace; then the in-root path
    itself is used, which is safe because nothing outside the new root is
    reachable any more.
    """

    def __init__(self, root, path, fd):
        self.fd = fd
        self.mode = os.fstat(fd).st_mode
        if procfd_available():
            self.target = fd_path(fd)
        else:
            self.target = posixpath.join(root, posixpath.normpath("/" + path).lstrip("/"))

    def close(self):
        os.close(self.fd)


def _resolve(root, path, sc, where):
    """A _Resolved for ``path``, or None when it does not exist."""
    try:
        fd = open_in_root(root, path, syscalls=sc)
    except OSError as exc:
        if exc.errno in _MISSING:
            return None
        raise RootfsError("%s: cannot resolve it inside the container: %s"
                          % (where, exc.strerror))
    return _Resolved(root, path, fd)


def _mount(where, sc, source, target, fstype, flags, action, data=None):
    try:
        sc.mount(source, target, fstype, flags, data)
    except SyscallError as exc:
        raise RootfsError("%s: %s failed: %s" % (where, action, os.strerror(exc.errno)))


def _locked(where, target):
    try:
        return locked_flags(target)
    except OSError as exc:
        raise RootfsError("%s: statvfs failed: %s" % (where, exc.strerror))


def mask_paths(paths, root="/", syscalls=None, mount_label=""):
    """linux.maskedPaths; ``mount_label`` is linux.mountLabel ("" for none)."""
    sc = syscalls if syscalls is not None else _syscalls.real()
    for index, path in enumerate(paths or ()):
        where = "linux.maskedPaths[%d] %s" % (index, path)
        resolved = _resolve(root, path, sc, where)
        if resolved is None:
            continue
        try:
            if stat.S_ISDIR(resolved.mode):
                _mount(where, sc, "tmpfs", resolved.target, "tmpfs", C.MS_RDONLY,
                       "mount(2) of a read-only tmpfs", format_mount_label("", mount_label) or None)
            else:
                _mount(where, sc, "/dev/null", resolved.target, "", C.MS_BIND,
                       "bind mount of /dev/null")
        finally:
            resolved.close()


def readonly_paths(paths, root="/", syscalls=None):
    """linux.readonlyPaths."""
    sc = syscalls if syscalls is not None else _syscalls.real()
    for index, path in enumerate(paths or ()):
        where = "linux.readonlyPaths[%d] %s" % (index, path)
        resolved = _resolve(root, path, sc, where)
        if resolved is None:
            continue
        try:
            _mount(where, sc, resolved.target, resolved.target, "", C.MS_BIND | C.MS_REC,
                   "bind mount onto itself")
        finally:
            resolved.close()
        # Reopen: the first fd names the inode under the new bind.
        resolved = _resolve(root, path, sc, where)
        if resolved is None:
            raise RootfsError("%s: vanished after its bind mount" % where)
        try:
            flags = (C.MS_BIND | C.MS_REMOUNT | C.MS_RDONLY | C.MS_REC
                     | _locked(where, resolved.target))
            _mount(where, sc, "", resolved.target, "", flags, "read-only remount")
        finally:
            resolved.close()


def remount_root_readonly(root="/", syscalls=None):
    """root.readonly: only the root mount itself; /proc, /dev... keep their flags."""
    sc = syscalls if syscalls is not None else _syscalls.real()
    where = "root.readonly"
    flags = C.MS_BIND | C.MS_REMOUNT | C.MS_RDONLY | _locked(where, root)
    _mount(where, sc, "", root, "", flags, "read-only remount of /")


def apply_root_propagation(value, root="/", syscalls=None):
    """linux.rootfsPropagation on the container's "/"."""
    sc = syscalls if syscalls is not None else _syscalls.real()
    flags = parse_propagation(value)
    _mount("linux.rootfsPropagation", sc, "", root, "", flags,
           "setting propagation %r on /" % value)


def remount_deferred_readonly(mounts, root="/", syscalls=None, mount_label=""):
    """Make read-only the config mounts that were mounted read-write first
    (options.readonly_deferred), now that everything beneath them exists.

    mount(2) MS_REMOUNT: the flags and data are restated; the file system
    was mounted by this namespace, so none of its flags is locked.
    """
    sc = syscalls if syscalls is not None else _syscalls.real()
    mounts = mounts or []
    for index, entry in enumerate(mounts):
        if not readonly_deferred(mounts, index):
            continue
        where = "mounts[%d] %s" % (index, entry.get("destination"))
        options = parse_mount_options(entry.get("options"), "mounts[%d].options" % index)
        resolved = _resolve(root, entry["destination"], sc, where)
        if resolved is None:
            raise RootfsError("%s: vanished before its read-only remount" % where)
        data = options.data
        if entry.get("type") not in ("proc", "sysfs"):
            data = format_mount_label(data, mount_label)
        try:
            _mount(where, sc, "", resolved.target, entry.get("type") or "",
                   C.MS_REMOUNT | C.MS_RDONLY | (options.flags & ~BIND_OPERATION_FLAGS),
                   "read-only remount", data or None)
        finally:
            resolved.close()
