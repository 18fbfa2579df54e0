# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resolve a path inside a container's root file system without leaving it.

The rootfs is untrusted: any component of a mount destination may be a
symlink, absolute ("/etc") or relative ("../../.."), that a naive
``os.path.join(rootfs, destination)`` would follow out to the host. Here a
path is resolved as if the rootfs were "/": ".." stops at the root and an
absolute symlink restarts from the root, exactly like chroot(2) would.

The result is an O_PATH file descriptor (open(2): a handle to a location in
the file tree, usable as a dirfd and through /proc/self/fd). Mounting onto
"/proc/self/fd/<fd>" mounts onto exactly the inode that was resolved, so a
process racing to swap a directory for a symlink between the check and the
mount (CVE-2021-30465) cannot redirect it.

With ``no_symlinks`` no symlink at all is followed: a symlink anywhere on
the path fails with ELOOP, naming it. proc and sysfs are mounted that way
(mounts.py: CVE-2019-19921).

Two resolvers:

* openat2(2) with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS (Linux >= 5.6): the
  kernel does the in-root resolution atomically.
* a component-by-component walk with openat(O_PATH | O_NOFOLLOW) that expands
  each symlink itself, for kernels (or seccomp filters) without openat2, and
  to create missing components. Magic links such as /proc/self/root are read
  as plain symlinks, so their target is also taken inside the root.
"""

import errno
import os
import posixpath
import stat

from ..syscalls import host as _syscalls
from ..errors import SyscallError
from ..syscalls import consts as C

# path_resolution(7): Linux gives up after 40 symlinks in one lookup (ELOOP).
MAX_SYMLINKS = 40

_O_PATH_FLAGS = os.O_PATH | os.O_CLOEXEC
_RESOLVE = C.RESOLVE_IN_ROOT | C.RESOLVE_NO_MAGICLINKS
# openat2(2) errors that mean "this kernel or sandbox cannot do it", not
# "the path is bad": then the userspace walk is used.
_OPENAT2_UNAVAILABLE = (errno.ENOSYS, errno.EPERM, errno.E2BIG, errno.EINVAL)
# openat2(2): RESOLVE_IN_ROOT may fail with EAGAIN when a rename raced the
# lookup; the man page says to retry.
_OPENAT2_RETRIES = 8

CREATE_MODES = (None, "dir", "file")


def fd_path(fd):
    """The magic link naming the file an fd refers to (proc(5) /proc/self/fd)."""
    return "/proc/self/fd/%d" % fd


def procfd_available():
    """Whether /proc/self/fd works in this mount namespace and pid namespace.

    After pivot_root the container's /proc may be missing, or belong to a pid
    namespace this process is not in (then "self" does not resolve).
    """
    return os.path.isdir("/proc/self/fd")


def _display(root, unsafe_path):
    return posixpath.join(root, posixpath.normpath("/" + unsafe_path).lstrip("/"))


def _split(path):
    return [part for part in path.split("/") if part not in ("", ".")]


def open_in_root(root, unsafe_path, create=None, syscalls=None, no_symlinks=False, guard=None):
    """Open ``unsafe_path`` resolved inside ``root``; return an O_PATH fd.

    ``create`` = "dir" creates every missing component as a directory;
    "file" creates missing parents as directories and a missing last
    component as an empty regular file, each after ``guard``, when given,
    accepted the directory it goes in (``guard.check_may_create(dir_fd, name)``
    raises OSError otherwise: hostdev.py). A symlink as the last component is
    followed (inside the root), unless ``no_symlinks``: then any symlink on
    the way fails with ELOOP, whose filename is that symlink's host path.
    Raises OSError (ENOENT, ENOTDIR, ELOOP...) whose filename is the
    lexical host path. The caller closes the fd.
    """
    if create not in CREATE_MODES:
        raise ValueError("create must be one of %r, not %r" % (CREATE_MODES, create))
    sc = syscalls if syscalls is not None else _syscalls.real()
    root_fd = os.open(root, _O_PATH_FLAGS | os.O_DIRECTORY)
    try:
        fd = _try_openat2(sc, root_fd, unsafe_path, no_symlinks)
        if fd is not None:
            return fd
        return _walk(root_fd, unsafe_path, create, _display(root, unsafe_path),
                     root if no_symlinks else None, guard)
    except OSError as exc:
        if exc.filename is None:
            raise OSError(exc.errno, os.strerror(exc.errno), _display(root, unsafe_path))
        raise
    finally:
        os.close(root_fd)


def _try_openat2(sc, root_fd, unsafe_path, no_symlinks=False):
    """The kernel's in-root lookup; None when the walk must do the work.

    A missing path also returns None so that the walk can create it (or
    raise ENOENT itself), and so does a symlink met with ``no_symlinks``
    (RESOLVE_NO_SYMLINKS: ELOOP), so that the walk names it.
    """
    relative = unsafe_path.lstrip("/") or "."
    resolve = _RESOLVE | (C.RESOLVE_NO_SYMLINKS if no_symlinks else 0)
    for _attempt in range(_OPENAT2_RETRIES):
        try:
            return sc.openat2(root_fd, relative, _O_PATH_FLAGS, 0, resolve)
        except SyscallError as exc:
            if exc.errno == errno.EAGAIN:
                continue
            if exc.errno in _OPENAT2_UNAVAILABLE or exc.errno == errno.ENOENT:
                return None
            if no_symlinks and exc.errno == errno.ELOOP:
                return None
            raise OSError(exc.errno, os.strerror(exc.errno))
    return None


def _walk(root_fd, unsafe_path, create, display, refuse_symlinks_in=None, guard=None):
    """Userspace in-root resolution, one component at a time.

    ``stack`` holds an fd per directory on the resolved path, the root at the
    bottom, so ".." is a pop that can never go above the root. With
    ``refuse_symlinks_in`` (the root's host path, for the message) a
    symlink fails with ELOOP instead of being followed.
    """
    parts = _split(unsafe_path)[::-1]  # a stack: the next component is the last item
    stack = [os.dup(root_fd)]
    walked = []  # the names of the directories in stack[1:]
    links = 0
    try:
        while parts:
            name = parts.pop()
            if name == "..":
                if len(stack) > 1:
                    os.close(stack.pop())
                    walked.pop()
                continue
            is_last = not parts
            fd = _open_component(stack[-1], name, create, is_last, display, guard)
            mode = os.fstat(fd).st_mode
            if stat.S_ISLNK(mode) and refuse_symlinks_in is not None:
                os.close(fd)
                raise OSError(errno.ELOOP, "a symlink", _display(refuse_symlinks_in, "/".join(walked + [name])))
            if stat.S_ISLNK(mode):
                links += 1
                try:
                    if links > MAX_SYMLINKS:
                        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), display)
                    target = os.readlink(name, dir_fd=stack[-1])
                finally:
                    os.close(fd)
                if target.startswith("/"):
                    # An absolute link restarts at the root, not at the host's "/".
                    while len(stack) > 1:
                        os.close(stack.pop())
                    del walked[:]
                parts.extend(reversed(_split(target)))  # the link's components come next, in order
                continue
            if not is_last and not stat.S_ISDIR(mode):
                os.close(fd)
                raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), display)
            stack.append(fd)
            walked.append(name)
        return os.dup(stack[-1])
    finally:
        for fd in stack:
            os.close(fd)


def _open_component(dir_fd, name, create, is_last, display, guard=None):
    flags = _O_PATH_FLAGS | os.O_NOFOLLOW
    try:
        return os.open(name, flags, dir_fd=dir_fd)
    except FileNotFoundError:
        if create is None:
            raise OSError(errno.ENOENT, os.strerror(errno.ENOENT), display)
    if guard is not None:
        guard.check_may_create(dir_fd, display)
    if is_last and create == "file":
        try:
            new = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                          | os.O_CLOEXEC, 0o644, dir_fd=dir_fd)
            os.close(new)
        except FileExistsError:
            pass  # created concurrently: open whatever is there now
    else:
        try:
            os.mkdir(name, 0o755, dir_fd=dir_fd)
        except FileExistsError:
            pass
    return os.open(name, flags, dir_fd=dir_fd)


def resolve_in_root(root, unsafe_path, syscalls=None):
    """The host path ``unsafe_path`` resolves to inside ``root``, for messages.

    Falls back to the lexical join when the path cannot be opened; never
    raises for a bad path.
    """
    try:
        fd = open_in_root(root, unsafe_path, syscalls=syscalls)
    except (OSError, SyscallError):
        return _display(root, unsafe_path)
    try:
        return os.readlink(fd_path(fd))
    except OSError:
        return _display(root, unsafe_path)
    finally:
        os.close(fd)


def mount_target(root, unsafe_path, create=None, syscalls=None, no_symlinks=False, guard=None):
    """A context manager: "/proc/self/fd/<fd>" for ``unsafe_path`` inside ``root``.

    The path is resolved on entry (open_in_root), and the fd stays open for
    the body and is closed afterwards. Note that the fd names the inode
    found before any mount made in the body; to act on a mount just made
    there (remount, propagation), open the target again.
    """
    return _MountTarget(root, unsafe_path, create, syscalls, no_symlinks, guard)


class _MountTarget(object):
    # A class, not contextlib.contextmanager: contextlib imports collections
    # and functools, ~2 ms of every create.
    __slots__ = ("_args", "_fd")

    def __init__(self, root, unsafe_path, create, syscalls, no_symlinks=False, guard=None):
        self._args = (root, unsafe_path, create, syscalls, no_symlinks, guard)
        self._fd = None

    def __enter__(self):
        root, unsafe_path, create, syscalls, no_symlinks, guard = self._args
        self._fd = open_in_root(root, unsafe_path, create=create, syscalls=syscalls, no_symlinks=no_symlinks,
                                guard=guard)
        return fd_path(self._fd)

    def __exit__(self, *exc_info):
        os.close(self._fd)
        return False
