# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The container's root when it has no mount namespace of its own.

config-linux.md "Namespaces": a type missing from linux.namespaces is the
runtime's own namespace, and one given by ``path`` is joined. Either way
the mount table is someone else's: the host's, where every mount is seen by
every process and outlives the container, or that of whoever holds the
joined namespace (another container, say), where pivot_root(2) would also
move the root of each of its processes (pivot_root(2) NOTES). runc and crun
build the rootfs there all the same: without a mount namespace runc makes
the host's "/" rslave, binds the rootfs onto itself and performs the config
mounts in the host's mount namespace before its chroot(2), and both set up
the whole rootfs inside a joined one.

This runtime changes nothing there: no mount(2), umount(2), pivot_root(2),
mknod(2), chown(2) or symlink(2), so the host's mount table and /dev are
exactly as before the container. Instead:

* config fields that need mounts or device nodes are refused: at validation
  (spec/checks_linux.py, check_mount_namespace_needs) and here again for
  mounts the runtime adds itself (a bridge network's /etc/resolv.conf);
* root.path becomes the process's root with chroot(2), as runc and crun do
  without a mount namespace; it is looked up in the mount namespace the
  container is in (root.path "/" shares that namespace's whole tree);
* the /dev found there must already supply config-linux.md's "Default
  Devices" and, where their targets exist, the "Dev symbolic links": create
  fails when one is missing instead of creating it.

chroot(2) is no boundary (its man page: a process with CAP_SYS_CHROOT can
leave it); isolating a container's files takes a mount namespace.
"""

import os
import stat

from ..errors import RootfsError, SyscallError
from .devices import DEFAULT_DEVICES, DEFAULT_LINKS

_WHY = ("the runtime makes no mounts in a mount namespace it did not create for the container "
        "(list a mount namespace without a path in linux.namespaces)")


def where_the_root_is(kind):
    return "the joined mount namespace" if kind == "joined" else "the runtime's mount namespace"


def check_config(config, kind):
    """Refuse mounts the init was asked to make (the config's, or the runtime's own additions)."""
    mounts = config.get("mounts") or ()
    if mounts:
        raise RootfsError("mounts[0] %s: needs a new mount namespace, not %s: %s"
                          % (mounts[0].get("destination"), where_the_root_is(kind), _WHY))


def enter_root(rootfs, kind, syscalls):
    """chroot(2) into ``rootfs``, looked up in the current mount namespace; cwd "/"."""
    try:
        os.chdir(rootfs)
    except OSError as exc:
        raise RootfsError("root.path: cannot change into %s in %s: %s"
                          % (rootfs, where_the_root_is(kind), exc.strerror))
    try:
        syscalls.chroot(".")
    except SyscallError as exc:
        raise RootfsError("root.path: chroot(2) into %s failed: %s" % (rootfs, os.strerror(exc.errno)))
    os.chdir("/")


def check_default_devices(rootfs_name, root="/"):
    """config-linux.md "Default Devices" and "Dev symbolic links", as found under ``root``.

    ``rootfs_name`` (root.path) only names the tree in the error.
    """
    for name, major, minor in DEFAULT_DEVICES:
        path = os.path.join(root, "dev", name)
        try:
            info = os.stat(path)
        except OSError as exc:
            raise _missing(rootfs_name, name, "missing (%s)" % exc.strerror)
        if not stat.S_ISCHR(info.st_mode) or info.st_rdev != os.makedev(major, minor):
            raise _missing(rootfs_name, name, "not the character device %d:%d" % (major, minor))
    for name, target in DEFAULT_LINKS:
        # "if the source file exists": the target as seen from the container's root
        if os.path.exists(os.path.join(root, target.lstrip("/"))) and \
                not os.path.lexists(os.path.join(root, "dev", name)):
            raise _missing(rootfs_name, name, "missing (a symbolic link to %s)" % target)


def _missing(rootfs_name, name, what):
    return RootfsError("root.path: /dev/%s in %s is %s; without a mount namespace of its own the "
                       "runtime creates no device nodes or links, so the root must supply them "
                       "(config-linux.md \"Default Devices\")" % (name, rootfs_name, what))
