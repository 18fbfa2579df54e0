# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Device nodes and /dev symlinks in the container's rootfs.

config-linux.md "Default Devices": the runtime MUST supply /dev/null, zero,
full, random, urandom, tty (and /dev/console, /dev/ptmx for terminals);
"Dev symbolic links" adds /dev/fd, /dev/stdin, /dev/stdout, /dev/stderr.
"Devices" (linux.devices) lists further nodes to create with mknod(2):
type c (or u, unbuffered, which is a character device too), b or p (FIFO),
with major/minor, fileMode and uid/gid.

mknod(2) of a device needs CAP_MKNOD in the initial user namespace; in a
user namespace it fails with EPERM, so there the host's node is bind
mounted onto an empty file instead (the mount sits on the host inode, so
its owner and mode stay the host's).

When the directory is the host's own /dev (hostdev.py: root.path "/", or a
bind of the host's /dev), nothing is created, replaced or re-owned there:
the default devices and links must already be there (/dev/core and the
/dev/ptmx link, which the spec does not ask for, are left as the host has
them), a linux.devices entry is accepted only when the host's node is
already exactly what it asks for, and anything else is an error.
"""

import os
import posixpath
import stat

from ..syscalls import host as _syscalls
from ..errors import RootfsError, SyscallError
from ..syscalls import consts as C
from . import mountinfo
from .securejoin import fd_path, open_in_root, resolve_in_root

# (name under /dev, major, minor): devices.txt of the kernel documentation.
DEFAULT_DEVICES = (
    ("null", 1, 3), ("zero", 1, 5), ("full", 1, 7),
    ("random", 1, 8), ("urandom", 1, 9), ("tty", 5, 0),
)
DEFAULT_MODE = 0o666
DEFAULT_LINKS = (
    ("fd", "/proc/self/fd"),
    ("stdin", "/proc/self/fd/0"),
    ("stdout", "/proc/self/fd/1"),
    ("stderr", "/proc/self/fd/2"),
)
_TYPES = {"c": stat.S_IFCHR, "u": stat.S_IFCHR, "b": stat.S_IFBLK, "p": stat.S_IFIFO}


class _Umask(object):
    """``with _Umask(0):`` sets the umask for the body, then restores it.

    mknod(2) applies the umask; the requested mode must land exactly. The
    init process is single-threaded here, so a temporary umask is safe. (A
    class, not contextlib.contextmanager: contextlib costs create ~2 ms.)
    """

    def __init__(self, mask):
        self.mask = mask
        self.old = None

    def __enter__(self):
        self.old = os.umask(self.mask)

    def __exit__(self, *exc_info):
        os.umask(self.old)
        return False


class _Directory(object):
    """``with _Directory(...) as fd:`` a directory inside the rootfs, created if missing, closed after."""

    def __init__(self, rootfs, path, sc, where, host_dev=None):
        try:
            self.fd = open_in_root(rootfs, path, create="dir", syscalls=sc, guard=host_dev)
        except (OSError, SyscallError) as exc:
            raise RootfsError("%s: cannot open %s inside the rootfs: %s" % (where, path, exc))

    def __enter__(self):
        return self.fd

    def __exit__(self, *exc_info):
        os.close(self.fd)
        return False


def _lstat(name, dir_fd):
    try:
        return os.lstat(name, dir_fd=dir_fd)
    except FileNotFoundError:
        return None


def _make_node(dir_fd, name, kind, mode, rdev, host_path, sc, where):
    """mknod(2), or bind the host's node when mknod is not permitted.

    Returns True when a node was created (its owner can be set), False when
    the host's node was bound (its owner and mode must stay the host's).
    """
    try:
        with _Umask(0):
            os.mknod(name, kind | (mode & 0o7777), rdev, dir_fd=dir_fd)
        return True
    except PermissionError:
        if kind == stat.S_IFIFO:
            raise RootfsError("%s: mknod of a FIFO was not permitted" % where)
    except OSError as exc:
        raise RootfsError("%s: mknod(2) failed: %s" % (where, exc.strerror))
    if not os.path.exists(host_path):
        raise RootfsError("%s: mknod(2) is not permitted (user namespace?) and the host "
                          "has no %s to bind mount instead" % (where, host_path))
    try:
        placeholder = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                              | os.O_CLOEXEC, 0o600, dir_fd=dir_fd)
        os.close(placeholder)
        target = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
    except OSError as exc:
        raise RootfsError("%s: creating the bind mount point failed: %s" % (where, exc.strerror))
    try:
        sc.mount(host_path, fd_path(target), "", C.MS_BIND, None)
    except SyscallError as exc:
        raise RootfsError("%s: bind mount of the host's %s failed: %s"
                          % (where, host_path, os.strerror(exc.errno)))
    finally:
        os.close(target)
    return False


def create_default_devices(rootfs, devpts=False, syscalls=None, host_dev=None):
    """The default devices and /dev links; existing entries are kept."""
    sc = syscalls if syscalls is not None else _syscalls.real()
    with _Directory(rootfs, "/dev", sc, "/dev", host_dev) as dev_fd:
        if host_dev is not None and host_dev.is_host_dev(dev_fd):
            _check_host_dev_defaults(dev_fd, host_dev)
            return
        for name, major, minor in DEFAULT_DEVICES:
            if _lstat(name, dev_fd) is None:
                _make_node(dev_fd, name, stat.S_IFCHR, DEFAULT_MODE, os.makedev(major, minor),
                           "/dev/" + name, sc, "/dev/" + name)
        links = list(DEFAULT_LINKS)
        if os.path.exists("/proc/kcore"):
            links.append(("core", "/proc/kcore"))
        for name, target in links:
            _symlink(dev_fd, name, target, replace=False)
        if devpts:
            # config-linux.md: with a devpts at /dev/pts, /dev/ptmx must be a
            # link to pts/ptmx so ptys come from the container's instance.
            if not mountinfo.is_mount_point(resolve_in_root(rootfs, "/dev/ptmx", sc)):
                _symlink(dev_fd, "ptmx", "pts/ptmx", replace=True)


def _check_host_dev_defaults(dev_fd, host_dev):
    """In the host's /dev: the spec's devices and links must be there already."""
    for name, major, minor in DEFAULT_DEVICES:
        existing = _lstat(name, dev_fd)
        if existing is None or not stat.S_ISCHR(existing.st_mode) or existing.st_rdev != os.makedev(major, minor):
            _refuse(host_dev, "/dev/" + name, "/dev/%s: the container's /dev is the host's and its %s is "
                    "not the character device %d:%d" % (name, name, major, minor))
    for name, dummy in DEFAULT_LINKS:
        if _lstat(name, dev_fd) is None:
            _refuse(host_dev, "/dev/" + name, "/dev/%s: the container's /dev is the host's and has no %s"
                    % (name, name))


def _refuse(host_dev, name, where):
    raise RootfsError("%s: %s" % (where, host_dev.refusal(name)))


def _symlink(dir_fd, name, target, replace):
    existing = _lstat(name, dir_fd)
    if existing is not None:
        if not replace or (stat.S_ISLNK(existing.st_mode)
                           and os.readlink(name, dir_fd=dir_fd) == target):
            return
        if stat.S_ISDIR(existing.st_mode):
            raise RootfsError("/dev/%s: is a directory, cannot replace it by a symlink" % name)
        os.unlink(name, dir_fd=dir_fd)
    try:
        os.symlink(target, name, dir_fd=dir_fd)
    except OSError as exc:
        raise RootfsError("/dev/%s: symlink to %s failed: %s" % (name, target, exc.strerror))


def create_config_devices(rootfs, devices, syscalls=None, host_dev=None):
    """config linux.devices, in order."""
    for index, device in enumerate(devices or ()):
        create_device(rootfs, index, device, syscalls, host_dev)


def _is_as_asked(existing, kind, rdev, device):
    """An existing node that already is what a linux.devices entry asks for."""
    if stat.S_IFMT(existing.st_mode) != kind or (kind != stat.S_IFIFO and existing.st_rdev != rdev):
        return False
    wanted = (("fileMode", stat.S_IMODE(existing.st_mode)), ("uid", existing.st_uid), ("gid", existing.st_gid))
    return all(device.get(key) is None or int(device[key]) == have for key, have in wanted)


def create_device(rootfs, index, device, syscalls=None, host_dev=None):
    """One linux.devices entry; an existing non-mount-point entry is replaced."""
    sc = syscalls if syscalls is not None else _syscalls.real()
    path = device.get("path") or ""
    where = "linux.devices[%d] %s" % (index, path)
    normalized = posixpath.normpath("/" + path)
    parent, name = posixpath.split(normalized)
    if not name:
        raise RootfsError("%s: not a device path" % where)
    kind = _TYPES.get(device.get("type"))
    if kind is None:
        raise RootfsError("%s: unknown device type %r; expected one of c, u, b, p"
                          % (where, device.get("type")))
    rdev = 0
    if kind != stat.S_IFIFO:
        try:
            rdev = os.makedev(int(device["major"]), int(device["minor"]))
        except (KeyError, TypeError, ValueError):
            raise RootfsError("%s: type %s needs integer major and minor numbers"
                              % (where, device.get("type")))
    mode = device.get("fileMode")
    mode = DEFAULT_MODE if mode is None else int(mode)
    with _Directory(rootfs, parent, sc, where, host_dev) as dir_fd:
        existing = _lstat(name, dir_fd)
        if host_dev is not None and host_dev.is_host_dev(dir_fd):
            if existing is not None and _is_as_asked(existing, kind, rdev, device):
                return  # the host's node is already what the entry asks for: nothing to change
            _refuse(host_dev, normalized, "%s: the host's node is missing or not what the entry asks for" % where)
        if existing is not None:
            host_path = resolve_in_root(rootfs, normalized, sc)
            if mountinfo.is_mount_point(host_path):
                return  # something is mounted there (e.g. a bind of the node): keep it
            if stat.S_ISDIR(existing.st_mode):
                raise RootfsError("%s: a directory is in the way" % where)
            os.unlink(name, dir_fd=dir_fd)
        created = _make_node(dir_fd, name, kind, mode, rdev, normalized, sc, where)
        if created and (device.get("uid") is not None or device.get("gid") is not None):
            uid = -1 if device.get("uid") is None else int(device["uid"])
            gid = -1 if device.get("gid") is None else int(device["gid"])
            try:
                os.chown(name, uid, gid, dir_fd=dir_fd, follow_symlinks=False)
            except OSError as exc:
                raise RootfsError("%s: chown(%d, %d) failed: %s"
                                  % (where, uid, gid, exc.strerror))


def setup_dev(config, rootfs, devpts=False, syscalls=None, host_dev=None):
    """Step 4 of prepare_rootfs: default devices, links, then linux.devices.

    ``host_dev`` (a hostdev.HostDev) keeps all of it out of the host's /dev.
    """
    create_default_devices(rootfs, devpts=devpts, syscalls=syscalls, host_dev=host_dev)
    create_config_devices(rootfs, (config.get("linux") or {}).get("devices"), syscalls, host_dev)
