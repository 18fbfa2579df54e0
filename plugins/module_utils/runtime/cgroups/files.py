# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Access to cgroupfs directories and control files.

A cgroup is a directory of a cgroup file system; mkdir creates one and the
kernel fills it with control files, rmdir removes it even though those files
are still listed (only child cgroups and member processes make it busy).
Every setting is one write(2) of a text value to one control file, and the
kernel validates it at write time, so each write is its own error point.

Unit tests substitute a subclass of :class:`CgroupFiles` that simulates the
kernel's behaviour in a temporary directory.
"""

import errno
import posix  # os without os.py: runtime/pathlite.py says why

from .. import pathlite
from ..errors import CgroupError, UnsupportedError


class CgroupFiles(object):
    """The real cgroup file systems."""

    def read(self, path):
        with open(path) as handle:
            return handle.read()

    def write(self, path, value):
        # No O_CREAT: a missing control file means the kernel lacks the
        # feature, and creating a regular file would hide that. O_TRUNC is
        # ignored by cgroupfs but keeps simulated files honest.
        fd = posix.open(path, posix.O_WRONLY | posix.O_TRUNC | posix.O_CLOEXEC)
        try:
            data = value.encode() if not isinstance(value, bytes) else value
            posix.write(fd, data)
        finally:
            posix.close(fd)

    def exists(self, path):
        return pathlite.exists(path)

    def isdir(self, path):
        return pathlite.isdir(path)

    def mkdir(self, path):
        posix.mkdir(path, 0o755)

    def rmdir(self, path):
        posix.rmdir(path)

    def inode(self, path):
        """The inode of a cgroup directory: one per cgroup of a boot (cgroups/owner.py says why)."""
        return posix.stat(path).st_ino

    def listdir(self, path):
        """Names of the entries (control files and child cgroups) of ``path``."""
        return sorted(posix.listdir(path))

    def subdirs(self, path):
        """Names of the child cgroups of ``path``."""
        return sorted(name for name in posix.listdir(path)
                      if pathlite.isdir(pathlite.join(path, name))
                      and not pathlite.islink(pathlite.join(path, name)))


def write_control(files, directory, filename, value, field):
    """Write ``value`` to ``directory/filename``; errors name ``field``.

    A missing file or an EOPNOTSUPP answer means the kernel cannot do what
    the config asks: UnsupportedError. Anything else
    (EINVAL, EBUSY, EPERM...) is a CgroupError carrying the file and value.
    """
    path = pathlite.join(directory, filename)
    text = str(value)
    if not files.exists(path):
        raise UnsupportedError("%s: %s does not exist: this kernel's cgroup does not support "
                               "%s (cannot write %s)" % (field, path, filename, text))
    try:
        files.write(path, text)
    except (OSError, IOError) as exc:
        raise write_error(exc, field, path, text)


def write_error(exc, field, path, text):
    """The error to raise for ``exc`` from writing ``text`` to ``path``."""
    if exc.errno in (errno.EOPNOTSUPP, errno.ENOTSUP):
        return UnsupportedError("%s: writing %s to %s: %s" % (field, text, path, posix.strerror(exc.errno)))
    error = CgroupError("%s: writing %s to %s: %s"
                        % (field, text, path, posix.strerror(exc.errno) if exc.errno else exc))
    error.errno = exc.errno  # write_plan retries on EINVAL
    return error


def write_plan(files, targets, written=None):
    """Make the writes of ``targets`` ((directory, file name, Write), in order).

    ``written`` (a list) receives (directory, file name, value before) of
    each write made, for a caller that restores them on failure. A write
    marked ``retry_after_next`` that the kernel refuses with EINVAL is made
    again after the next one: runc's order for the cpu bandwidth (fs/cpu.go),
    where a new period checked against the old quota can exceed the parent's
    quota although the new pair fits (sched-bwc.rst "Hierarchical
    considerations").
    """
    deferred = None
    for directory, filename, write in targets:
        before = read_control(files, directory, filename) if written is not None else None
        try:
            write_control(files, directory, filename, write.value, write.field)
        except CgroupError as exc:
            if not write.retry_after_next or getattr(exc, "errno", None) != errno.EINVAL:
                raise
            deferred = (directory, filename, write, before, exc)
            continue
        if written is not None:
            written.append((directory, filename, before))
        if deferred is not None:
            directory, filename, write, before, dummy = deferred
            deferred = None
            write_control(files, directory, filename, write.value, write.field)
            if written is not None:
                written.append((directory, filename, before))
    if deferred is not None:
        raise deferred[-1]


def read_control(files, directory, filename):
    """The stripped content of a control file, or None if it cannot be read."""
    try:
        return files.read(pathlite.join(directory, filename)).strip()
    except (OSError, IOError):
        return None
