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

runc's --no-pivot (move_root_into) is for hosts whose root is the initramfs
rootfs, which pivot_root(2) refuses (EINVAL): the rootfs is moved onto "/"
with MS_MOVE and the process chroot(2)s into it. The host's tree stays
beneath it in the namespace, so a process with CAP_SYS_CHROOT could climb
out (runc documents the same); as runc does, the host's full proc and sysfs
mounts are detached first, or covered by an empty tmpfs where the detach is
not permitted, so the kernel's "a fully visible proc exists" check
(mount_too_revealing) cannot pass because of them.
"""

import errno
import os

from ..syscalls import host as _syscalls
from ..errors import RootfsError, SyscallError
from ..syscalls import consts as C
from . import mountinfo


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


def move_root_into(rootfs, syscalls=None):
    """runc's msMoveRoot: chdir(rootfs); hide the host's proc and sysfs;
    mount(rootfs, "/", MS_MOVE); chroot("."); chdir("/")."""
    sc = syscalls if syscalls is not None else _syscalls.real()
    steps = (
        ("chdir(%s)" % rootfs, lambda: os.chdir(rootfs)),
        ("hiding the host's proc and sysfs mounts", lambda: _hide_host_proc_and_sys(rootfs, sc)),
        ("mount(%s, /, MS_MOVE)" % rootfs, lambda: sc.mount(rootfs, "/", "", C.MS_MOVE, None)),
        ("chroot(.)", lambda: sc.chroot(".")),
        ("chdir(/)", lambda: os.chdir("/")),
    )
    for description, step in steps:
        try:
            step()
        except SyscallError as exc:
            raise RootfsError("--no-pivot into %s: %s failed: %s"
                              % (rootfs, description, os.strerror(exc.errno)))
        except OSError as exc:
            raise RootfsError("--no-pivot into %s: %s failed: %s"
                              % (rootfs, description, exc.strerror or exc))


def _hide_host_proc_and_sys(rootfs, sc):
    """Detach every full proc/sysfs mount outside the rootfs (runc's msMoveRoot)."""
    prefix = rootfs.rstrip("/") + "/"
    for entry in mountinfo.read_mounts():
        if entry.root != "/" or entry.fstype not in ("proc", "sysfs"):
            continue
        if entry.mount_point == rootfs or entry.mount_point.startswith(prefix):
            continue
        try:
            # Slave first, so the detach does not propagate to the host.
            sc.mount("", entry.mount_point, "", C.MS_SLAVE | C.MS_REC, None)
        except SyscallError as exc:
            if exc.errno == errno.ENOENT:
                continue  # under a mount detached before
            raise
        try:
            sc.umount2(entry.mount_point, C.MNT_DETACH)
        except SyscallError as exc:
            if exc.errno not in (errno.EINVAL, errno.EPERM):
                raise
            sc.mount("tmpfs", entry.mount_point, "tmpfs", 0, None)


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
