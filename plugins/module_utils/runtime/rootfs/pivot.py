# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make the prepared rootfs the root of the mount namespace.

pivot_root(2) moves the current root mount to ``put_old`` and makes
``new_root`` the root. Its NOTES describe pivot_root(".", "."): with the
new root as working directory, the old root is stacked on top of the new
one at the same place, and umount2(".", MNT_DETACH) then drops it; no
put_old directory is needed in the image, so a read-only rootfs works.

Unlike chroot(2), nothing of the host's tree stays reachable afterwards.
The old root is made MS_SLAVE|MS_REC first: if any of its mounts is still
shared with the host, detaching it would otherwise propagate the umount to
the host (mount_namespaces(7)).
"""

import errno
import os

from ..syscalls import host as _syscalls
from ..errors import RootfsError, SyscallError
from ..syscalls import consts as C


def pivot_into(rootfs, syscalls=None):
    """chdir(rootfs); pivot_root(".", "."); detach the old root; chdir("/")."""
    sc = syscalls if syscalls is not None else _syscalls.real()
    steps = (
        ("chdir(%s)" % rootfs, lambda: os.chdir(rootfs)),
        ("pivot_root(\".\", \".\")", lambda: sc.pivot_root(".", ".")),
        ("making the old root MS_SLAVE|MS_REC",
         lambda: sc.mount("", ".", "", C.MS_SLAVE | C.MS_REC, None)),
        ("umount2(old root, MNT_DETACH)", lambda: sc.umount2(".", C.MNT_DETACH)),
        ("chdir(/)", lambda: os.chdir("/")),
    )
    for description, step in steps:
        try:
            step()
        except SyscallError as exc:
            raise RootfsError("pivot_root into %s: %s failed: %s%s"
                              % (rootfs, description, os.strerror(exc.errno), _hint(exc)))
        except OSError as exc:
            raise RootfsError("pivot_root into %s: %s failed: %s"
                              % (rootfs, description, exc.strerror))


def _hint(exc):
    if exc.call == "pivot_root" and exc.errno == errno.EINVAL:
        # pivot_root(2) ERRORS: EINVAL when new_root is not a mount point, a
        # parent mount is shared, or the root is the initramfs rootfs.
        return (" (the rootfs must be a mount point whose parent mount is not shared, "
                "and the host root must not be the initramfs)")
    if exc.call == "pivot_root" and exc.errno == errno.EBUSY:
        # pivot_root(2) ERRORS: EBUSY when new_root is the current root.
        return (" (root.path is the runtime's own root: without a mount namespace in "
                "linux.namespaces the container can share it)")
    return ""
