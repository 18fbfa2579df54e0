# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mount(2) building blocks shared by config mounts and cgroup mounts.

Every target is resolved with :mod:`.securejoin` and used as
"/proc/self/fd/<fd>", so no symlink in the rootfs can send a mount to the
host (CVE-2021-30465). Errors become RootfsError naming the config entry.

A bind mount takes its flags in two steps. mount(2): with MS_BIND all flags
but MS_REC are ignored; changing the per-mount flags of the new bind needs a
second call with MS_BIND|MS_REMOUNT|flags, which must restate the locked
flags of the source (see options.locked_flags). Propagation options are
separate calls after the mount.
"""

import errno
import os
import posixpath
import stat

from ..errors import RootfsError, SyscallError, UnsupportedError
from ..syscalls import consts as C
from .options import locked_flags, remount_flags
from .securejoin import mount_target


class MountContext(object):
    """What every mount entry needs, and what the later steps learn."""

    def __init__(self, rootfs, syscalls, bundle=None, cgroup_mounts=(), cgroupns=False, mount_label="",
                 host_dev=None, source_fds=None):
        self.rootfs = rootfs
        # config mounts index -> fd of a detached copy of its bind source,
        # made before the user namespace was entered (open_bind_sources)
        self.source_fds = dict(source_fds or {})
        self.syscalls = syscalls
        # hostdev.HostDev: mount points are never created in the host's /dev
        self.host_dev = host_dev
        self.bundle = bundle
        self.cgroup_mounts = list(cgroup_mounts or ())
        self.cgroupns = cgroupns
        # linux.mountLabel ("" for none), for options.format_mount_label
        self.mount_label = mount_label or ""
        # normalized destination -> fstype ("bind" for bind mounts)
        self.mounted = {}


def normalize_destination(destination):
    """config.md: a relative destination is taken relative to "/"."""
    return posixpath.normpath("/" + destination)


def where_of(index, destination):
    return "mounts[%d] %s" % (index, destination)


def fail(where, action, exc):
    """A RootfsError naming the mount and the failed step."""
    if isinstance(exc, SyscallError):
        detail = os.strerror(exc.errno)
    elif isinstance(exc, OSError):
        detail = "%s%s" % (exc.strerror or exc, (" (%s)" % exc.filename) if exc.filename else "")
    else:
        detail = str(exc)
    return RootfsError("%s: %s failed: %s" % (where, action, detail))


def call_mount(where, sc, source, target, fstype, flags, data, action="mount(2)"):
    try:
        sc.mount(source, target, fstype, flags, data or None)
    except SyscallError as exc:
        error = RootfsError("%s: %s failed: %s (source %r, type %r, flags %#x, data %r)"
                            % (where, action, os.strerror(exc.errno), source, fstype,
                               flags, data or ""))
        error.errno = exc.errno  # callers fall back on some errnos
        raise error


def apply_recursive_attributes(where, ctx, destination, options):
    """The "rro", "rnosuid"... options: one mount_setattr(2) call with
    AT_RECURSIVE on the mount just made, which changes it and every mount
    beneath it (a recursive bind brings the source's sub-mounts along)."""
    if not options.recursive_names:
        return
    with Target(where, ctx, destination) as target:
        try:
            ctx.syscalls.mount_setattr(C.AT_FDCWD, target, C.AT_RECURSIVE,
                                       options.recursive_set, options.recursive_clear)
        except SyscallError as exc:
            names = ", ".join(options.recursive_names)
            if exc.errno == errno.ENOSYS:
                raise UnsupportedError("%s: option(s) %s need mount_setattr(2) (Linux 5.12), "
                                       "which this kernel lacks" % (where, names))
            raise RootfsError("%s: mount_setattr(2) with AT_RECURSIVE for option(s) %s failed: %s"
                              % (where, names, os.strerror(exc.errno)))


def apply_propagation(where, ctx, destination, propagation):
    """One mount(2) call per propagation option, on the mount just made."""
    for flag in propagation:
        with Target(where, ctx, destination) as target:
            call_mount(where, ctx.syscalls, "", target, "", flag, None,
                       action="setting propagation %#x" % flag)


class Target(object):
    """mount_target() that turns resolution errors into RootfsError.

    A destination that resolves to the rootfs itself (e.g. through a symlink
    "proc -> /") is refused: a mount there would cover the whole container
    root and then be what pivot_root moves into.

    With ``ordinary`` (a file system type) the destination must be an
    ordinary directory reached without any symlink: runc's rule for proc
    and sysfs since CVE-2019-19921, where a /proc symlink sent procfs
    elsewhere and the masked and read-only paths of /proc then protected
    nothing. The check is the resolution itself (no symlink followed, the
    fd names what was checked), so it cannot be raced.
    """

    def __init__(self, where, ctx, destination, create=None, ordinary=None):
        self._cm = mount_target(ctx.rootfs, destination, create=create, syscalls=ctx.syscalls,
                                no_symlinks=ordinary is not None, guard=ctx.host_dev)
        self._where = where
        self._rootfs = ctx.rootfs
        self._destination = destination
        self._ordinary = ordinary

    def __enter__(self):
        try:
            target = self._cm.__enter__()
        except (OSError, SyscallError) as exc:
            if self._ordinary and exc.errno == errno.ELOOP:
                raise self._not_ordinary("%s is a symlink" % getattr(exc, "filename", self._destination))
            raise fail(self._where, "resolving the destination inside the rootfs", exc)
        try:
            info = os.stat(target)
            is_root = os.path.samestat(info, os.stat(self._rootfs))
        except OSError as exc:
            self._cm.__exit__(None, None, None)
            raise fail(self._where, "stat of the destination", exc)
        if is_root:
            self._cm.__exit__(None, None, None)
            raise RootfsError("%s: the destination %s resolves to the container's root "
                              "(through a symlink?); refusing to mount over it"
                              % (self._where, self._destination))
        if self._ordinary and not stat.S_ISDIR(info.st_mode):
            self._cm.__exit__(None, None, None)
            raise self._not_ordinary("it is not a directory")
        return target

    def _not_ordinary(self, why):
        return RootfsError("%s: %s must be mounted on an ordinary directory: %s (CVE-2019-19921)"
                           % (self._where, self._ordinary, why))

    def __exit__(self, *exc_info):
        return self._cm.__exit__(*exc_info)


def host_source(source, ctx):
    """runtime.md: a relative bind source is relative to the bundle."""
    return bundle_relative(source, ctx.bundle)


def bundle_relative(source, bundle):
    if source and not source.startswith("/") and bundle:
        return os.path.join(bundle, source)
    return source


def open_bind_sources(mounts, bundle, sc):
    """{index: fd of a detached bind mount} of the bind sources of config ``mounts``.

    In a user namespace the mounts are made as the mapped root, which may
    not be allowed to look up a source (a parent directory not searchable
    by it). runc opens such sources as the host's root, in the container's
    mount namespace, and mounts them by fd. The init enters its user
    namespace before it creates its mount namespace (which that user
    namespace must own), and mount(2) refuses a source fd of another mount
    namespace (EINVAL); so here, still as the host's root, open_tree(2)
    OPEN_TREE_CLONE makes a detached copy of each source ("rbind":
    AT_RECURSIVE), which bind_mount attaches with move_mount(2). A source
    that cannot be opened is left to the mount step, whose error names it.
    """
    fds = {}
    try:
        for index, entry in enumerate(mounts or ()):
            options = entry.get("options") or ()
            if not entry.get("source") or "remount" in options:
                continue
            if entry.get("type") != "bind" and "bind" not in options and "rbind" not in options:
                continue
            flags = C.OPEN_TREE_CLONE | C.OPEN_TREE_CLOEXEC | (C.AT_RECURSIVE if "rbind" in options else 0)
            try:
                fds[index] = sc.open_tree(C.AT_FDCWD, bundle_relative(entry["source"], bundle), flags)
            except SyscallError:
                continue
    except BaseException:
        close_fds(fds)
        raise
    return fds


def close_fds(fds):
    for fd in fds.values():
        os.close(fd)
    fds.clear()


def _source_is_dir(source):
    """Whether the bind source is a directory; OSError with the real cause
    (EACCES, not a "does not exist") when it cannot be looked up."""
    try:
        return stat.S_ISDIR(os.stat(source).st_mode)
    except OSError as exc:
        if exc.errno == errno.ENOENT and os.path.lexists(source):
            return False  # a dangling symlink: mount(2) says what it thinks of it
        raise OSError(exc.errno, exc.strerror, source)


def bind_mount(where, source, destination, options, ctx, ordinary=None, tree_fd=None):
    """Bind ``source`` (a host path) at ``destination`` with ``options`` (``ordinary``: see Target).

    ``tree_fd``: a detached copy of the source (open_bind_sources), attached
    with move_mount(2) instead of a bind mount of the path.
    """
    sc = ctx.syscalls
    if not source:
        raise RootfsError("%s: a bind mount needs a source" % where)
    if not options.flags & C.MS_REMOUNT:
        try:
            if tree_fd is not None:
                is_dir = stat.S_ISDIR(os.fstat(tree_fd).st_mode)
            else:
                is_dir = _source_is_dir(source)
        except OSError as exc:
            raise fail(where, "checking the bind source", exc)
        create = "dir" if is_dir else "file"
        with Target(where, ctx, destination, create, ordinary) as target:
            if tree_fd is None:
                call_mount(where, sc, source, target, "", C.MS_BIND | (options.flags & C.MS_REC), None)
            else:
                try:
                    # T_SYMLINKS: the target is the /proc/self/fd magic link, to be followed.
                    sc.move_mount(tree_fd, "", C.AT_FDCWD, target,
                                  C.MOVE_MOUNT_F_EMPTY_PATH | C.MOVE_MOUNT_T_SYMLINKS)
                except SyscallError as exc:
                    raise fail(where, "move_mount(2) of the bind source %s (opened on the host side)"
                               % source, exc)
        if tree_fd is not None:
            # The copy was made in the host's namespace, so it is a peer of
            # a shared source (mount_namespaces(7)): make it a slave, as a
            # bind made in this namespace (of the rslave copy) would be, so
            # nothing mounted beneath it reaches the host. Reopened: the fd
            # from before names the covered directory.
            with Target(where, ctx, destination) as target:
                call_mount(where, sc, "", target, "", C.MS_SLAVE | C.MS_REC, None,
                           action="making the bind mount a slave")
    if options.flags & ~(C.MS_BIND | C.MS_REC):  # per-mount flags, or a "remount" option
        # Reopen: the fd from before the mount names the covered directory.
        with Target(where, ctx, destination) as target:
            try:
                locked = locked_flags(target)
            except OSError as exc:
                raise fail(where, "reading the flags of the new bind mount", exc)
            call_mount(where, sc, "", target, "", remount_flags(options, locked), None,
                       action="remount of the bind mount")
    apply_propagation(where, ctx, destination, options.propagation)
