# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read /proc/self/mountinfo: the mounts of this process's mount namespace.

proc(5) /proc/PID/mountinfo has one line per mount:

    36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
    id parent maj:min root mount-point options [optional fields...] - fstype source super-options

The optional fields carry the propagation state (mount_namespaces(7)):
"shared:N" (peer group N), "master:N" (slave of group N), "unbindable";
none of them means private. Paths escape space, tab, newline and backslash
as octal (\\040).
"""

import os

from ..cgroups.detect import unescape_mountinfo_field as _unescape

# Tests point this at a prepared file.
MOUNTINFO_PATH = "/proc/self/mountinfo"


class MountEntry(object):
    """One mountinfo line."""

    __slots__ = ("mount_id", "parent_id", "root", "mount_point", "options",
                 "optional", "fstype", "source", "super_options")

    def __init__(self, line):
        left, _sep, right = line.rstrip("\n").partition(" - ")
        fields = left.split(" ")
        self.mount_id = int(fields[0])
        self.parent_id = int(fields[1])
        self.root = _unescape(fields[3])
        self.mount_point = _unescape(fields[4])
        self.options = fields[5].split(",")
        self.optional = fields[6:]
        tail = right.split(" ")
        self.fstype = tail[0]
        self.source = _unescape(tail[1]) if len(tail) > 1 else ""
        self.super_options = tail[2].split(",") if len(tail) > 2 else []

    @property
    def shared(self):
        return any(field.startswith("shared:") for field in self.optional)

    def __repr__(self):
        return "MountEntry(%r on %r type %r)" % (self.source, self.mount_point, self.fstype)


def read_mounts(path=None):
    """All mounts of the current mount namespace, in mount order."""
    with open(path or MOUNTINFO_PATH) as handle:
        return [MountEntry(line) for line in handle if line.strip()]


def _is_under(path, mount_point):
    if mount_point == "/":
        return True
    return path == mount_point or path.startswith(mount_point.rstrip("/") + "/")


def mount_containing(path, mounts=None):
    """The mount on which ``path`` (absolute, symlink-free) lives.

    The longest mount point that is a prefix wins; among equal mount points
    the last one listed is on top, as later mounts cover earlier ones.
    """
    path = os.path.normpath(path)
    best = None
    for entry in mounts if mounts is not None else read_mounts():
        if _is_under(path, entry.mount_point):
            if best is None or len(entry.mount_point) >= len(best.mount_point):
                best = entry
    return best


def is_mount_point(path, mounts=None):
    """Whether something is mounted exactly at ``path``."""
    path = os.path.normpath(path)
    return any(entry.mount_point == path
               for entry in (mounts if mounts is not None else read_mounts()))
