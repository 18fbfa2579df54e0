# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a container must never change on the host: its mount table and /dev.

Snapshots taken before and after a container's life are compared by the
tests of mount namespaces and rootfs propagation. Other tests of the suite
(and other processes) may mount things at the same time, so the mount table
is compared where a runtime could leave something: "/", /dev, /proc, /sys
and the test's own directories. /dev is compared entry by entry (type, mode,
owner, device number, inode), times left out: the kernel updates those of a
tty on every write.
"""
from __future__ import absolute_import, division, print_function

import os

WATCHED_TREES = ("/dev", "/proc", "/sys")
DEVICE_NODES = ("/dev/null", "/dev/zero", "/dev/tty")


def _decode(field):
    # proc(5): mountinfo escapes space, tab, newline and backslash as octal.
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def _watched(point, extra):
    if point == "/":
        return True
    for tree in WATCHED_TREES + tuple(extra):
        tree = tree.rstrip("/") or "/"
        if point == tree or point.startswith(tree + "/"):
            return True
    return False


def mount_table(extra=()):
    """{(mount point, mount id): the rest of its mountinfo line} for the watched places.

    The line keeps the optional fields (shared:N, master:N, unbindable), so a
    propagation change of a host mount shows, as does any mount added or
    removed there.
    """
    table = {}
    with open("/proc/self/mountinfo") as handle:
        for line in handle:
            fields = line.split()
            point = _decode(fields[4])
            if _watched(point, extra):
                table[(point, fields[0])] = " ".join(fields[1:4] + fields[5:])
    return table


def dev_entries():
    """{name: (mode, uid, gid, rdev, inode)} of the host's /dev (not recursive)."""
    entries = {}
    for name in os.listdir("/dev"):
        try:
            info = os.lstat(os.path.join("/dev", name))
        except OSError:
            continue  # vanished while listing
        entries[name] = (info.st_mode, info.st_uid, info.st_gid, info.st_rdev, info.st_ino)
    return entries


def device_nodes():
    """Owner, group and mode of the nodes every container's /dev must provide."""
    found = {}
    for path in DEVICE_NODES:
        info = os.lstat(path)
        found[path] = (oct(info.st_mode), info.st_uid, info.st_gid, info.st_rdev)
    return found


class HostView(object):
    """``before = HostView(extra)``; later ``before.assert_unchanged()``."""

    def __init__(self, extra=()):
        self.extra = tuple(extra)
        self.mounts = mount_table(self.extra)
        self.dev = dev_entries()
        self.nodes = device_nodes()

    def differences(self):
        now = HostView(self.extra)
        found = []
        for key in sorted(set(self.mounts) | set(now.mounts)):
            if self.mounts.get(key) != now.mounts.get(key):
                found.append("mount %s (id %s): %r -> %r" % (key[0], key[1], self.mounts.get(key),
                                                             now.mounts.get(key)))
        for name in sorted(set(self.dev) | set(now.dev)):
            if self.dev.get(name) != now.dev.get(name):
                found.append("/dev/%s: %r -> %r" % (name, self.dev.get(name), now.dev.get(name)))
        if self.nodes != now.nodes:
            found.append("device nodes: %r -> %r" % (self.nodes, now.nodes))
        return found

    def assert_unchanged(self):
        found = self.differences()
        assert not found, "the host changed: " + "; ".join(found)
