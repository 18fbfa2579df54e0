# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lock of a container name, held by a module run from its plan to its last action.

Private to this collection. The runtime's verbs lock the container's own
directory (runtime/standalone/stateio.py DirLock), one verb at a time; a
module run reads the state, decides, then runs several verbs (stop, delete,
create, start), and another run on the same name between those steps would
act on a plan made for a container that is no longer there. The directory
cannot serve: it does not exist before create, and delete removes it. So the
name has a lock file of its own, ``<state root>/.locks/<name>.lock``, that
only the modules take (StateRoot.ids() skips dot entries); the verbs the
run calls keep taking their directory locks, always after this one, so the
two never wait for each other in a cycle. The command line does not take it:
a module run that loses a race with ``oci-runtime`` plans again instead
(manager.py).

fcntl(2) record locks (F_SETLK), not flock(2): a record lock belongs to the
process and is not inherited across fork(2), so the container's monitor
and init, which create forks while the lock is held and which live on
(the init waits for start holding every fd it inherited), never hold it.
flock(2) belongs to the open file description that fork shares, which is
why create closes its directory lock's fd in the monitor (process/spawn.py).

The file is removed when the run leaves the name without a container: a
run that was waiting on it then finds, once it has the lock, that the path
names another file or none, and takes the lock again on what the path names
now (the usual rule for unlinking a lock file).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import fcntl
import hashlib
import os
import stat
import struct
import time

from ..runtime.errors import StateError

LOCK_DIR = ".locks"
POLL_FIRST = 0.005
POLL_MAX = 0.05
NAME_MAX = 255


class NameLock(object):
    """An exclusive lock on one container name of a state root; a context manager."""

    def __init__(self, root_path, name, timeout=600.0):
        self.dir = os.path.join(root_path, LOCK_DIR)
        self.path = os.path.join(self.dir, lock_file_name(name))
        self.name = name
        self.timeout = timeout
        self.fd = None

    def acquire(self):
        deadline = time.monotonic() + self.timeout
        self._ensure_dir()
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            try:
                self._wait_for(fd, deadline)
                if _same_file(fd, self.path):
                    self.fd = fd
                    return self
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)  # unlinked (or replaced) by the run we waited for: lock what is there now

    def release(self, remove=False):
        """Give the lock up; ``remove``: the name has no container any more, drop its file too."""
        if self.fd is None:
            return
        fd, self.fd = self.fd, None
        try:
            if remove:
                try:
                    os.unlink(self.path)  # while still locked: a waiter re-checks the path (acquire)
                except OSError as e:
                    if e.errno != errno.ENOENT:
                        raise
        finally:
            os.close(fd)  # closing drops the process's record locks on the file (fcntl(2))

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()
        return False

    def _ensure_dir(self):
        try:
            os.mkdir(self.dir, 0o700)
        except OSError as e:
            if e.errno != errno.EEXIST:
                raise StateError("cannot create %s: %s" % (self.dir, e.strerror))
        st = os.lstat(self.dir)
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
            raise StateError("%s is not a directory of uid %d; refusing to use it" % (self.dir, os.geteuid()))

    def _wait_for(self, fd, deadline):
        pause = POLL_FIRST
        while True:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if time.monotonic() >= deadline:
                holder = _holder(fd)
                raise StateError("container %s: another run has held %s for more than %gs%s"
                                 % (self.name, self.path, self.timeout,
                                    " (pid %d)" % holder if holder else ""))
            time.sleep(pause)
            pause = min(pause * 2, POLL_MAX)


def lock_file_name(name):
    """``<name>.lock``, or a digest of the name where that would pass NAME_MAX (255 bytes, path_resolution(7))."""
    plain = name + ".lock"
    if len(plain.encode("utf-8", "surrogateescape")) <= NAME_MAX:
        return plain
    return "sha256-%s.lock" % hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()


def _same_file(fd, path):
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError as e:
        if e.errno == errno.ENOENT:
            return False
        raise
    mine = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino)


def _holder(fd):
    """The pid holding a write lock on ``fd``'s file (F_GETLK), or None."""
    # struct flock on Linux: short l_type, short l_whence, off_t l_start, off_t l_len, pid_t l_pid.
    query = struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
    try:
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, query)
    except OSError:
        return None
    kind, dummy_whence, dummy_start, dummy_len, pid = struct.unpack("hhqqi", answer)
    return pid if kind != fcntl.F_UNLCK else None
