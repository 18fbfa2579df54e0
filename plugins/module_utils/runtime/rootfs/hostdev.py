# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host's /dev, which no container may change.

A container's /dev is usually a tmpfs of its own, where the runtime creates
device nodes (devices.py). But the directory the runtime works in may be the
host's own /dev: root.path "/" (the rootfs bind then carries the host's
devtmpfs along), or a bind of the host's /dev into the rootfs. A mknod,
unlink, chown, symlink or mkdir there would change the host's device nodes
for every process on it, and outlive the container: mount namespaces
separate mount tables, not the files of a shared file system.

So the runtime never creates, replaces or re-owns anything in a directory
that is the host's /dev. The rule, decided on the directory's file
descriptor:

* when the host's /dev is a mount of its own (devtmpfs, which has a single
  instance for the whole kernel), any directory on that file system;
* otherwise the host's /dev directory itself and the directories directly
  in it (compared by device and inode);
* and either way the root directory of every file system mounted below the
  host's /dev (/dev/shm, /dev/pts, /dev/mqueue...), by device and inode:
  not their whole file system, since a bundle may live on /dev/shm.

The snapshot is taken at the start of prepare_rootfs, in the container's
new mount namespace before its first mount, when every path still names
what it names on the host; pivot_root does not change the device numbers, so
it serves after the switch too (/dev/console, process/init.py).
"""

import errno
import os
import posixpath

from . import mountinfo


def _stat(path):
    try:
        return os.stat(path)
    except OSError:
        return None


class HostDev(object):
    """``HostDev()`` remembers the host's /dev; ``is_host_dev(fd)`` and ``check_may_create(fd)`` apply the rule."""

    def __init__(self, host_dev="/dev", mounts=None):
        """``mounts``: mountinfo entries (tests); read from /proc/self/mountinfo by default."""
        self.path = host_dev
        self.filesystem = None  # st_dev of the host's /dev when it is a mount of its own
        self.directories = set()  # (st_dev, st_ino) of directories that are the host's (see above)
        dev = _stat(host_dev)
        if dev is None:
            return
        parent = _stat(posixpath.dirname(host_dev.rstrip("/")) or "/")
        if parent is not None and parent.st_dev != dev.st_dev:
            self.filesystem = dev.st_dev
        else:
            self.directories.add((dev.st_dev, dev.st_ino))
            self._add_subdirectories(host_dev)
        self._add_mounts_below(host_dev, mounts)

    def _add_subdirectories(self, host_dev):
        try:
            entries = list(os.scandir(host_dev))
        except OSError:
            return
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    info = entry.stat(follow_symlinks=False)
                    self.directories.add((info.st_dev, info.st_ino))
            except OSError:
                continue

    def _add_mounts_below(self, host_dev, mounts):
        prefix = host_dev.rstrip("/") + "/"
        try:
            entries = mounts if mounts is not None else mountinfo.read_mounts()
        except (OSError, ValueError, IndexError):
            entries = ()  # no /proc: the /dev rule above still holds
        for entry in entries:
            if entry.mount_point.startswith(prefix):
                info = _stat(entry.mount_point)
                if info is not None:
                    self.directories.add((info.st_dev, info.st_ino))

    def is_host_dev(self, dir_fd):
        """True when the directory open as ``dir_fd`` is (on) the host's /dev."""
        info = os.fstat(dir_fd)
        return info.st_dev == self.filesystem or (info.st_dev, info.st_ino) in self.directories

    def refusal(self, name):
        return ("refusing to create, replace or re-own %s in the host's %s (root.path is the host's root, "
                "or the host's /dev is bound into the container): mount a tmpfs on the container's /dev"
                % (name, self.path))

    def check_may_create(self, dir_fd, name=""):
        """Raise OSError(EPERM) when ``dir_fd`` is the host's /dev (see the module docstring)."""
        if self.is_host_dev(dir_fd):
            # with a file name, so that open_in_root keeps this message
            raise OSError(errno.EPERM, self.refusal(name or "anything"), name or self.path)
