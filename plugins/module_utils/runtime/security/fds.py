# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Closing every file descriptor the container must not inherit.

File descriptors survive execve(2) unless marked close-on-exec. A descriptor of
the runtime or of whoever called it that leaks into the container is a way out
of it: runc's CVE-2024-21626 was a leaked fd of the host's /sys/fs/cgroup,
usable as a working directory outside the rootfs. So before exec the init closes
every fd from 3 up, except the ones the config preserves (LISTEN_FDS style
``preserve-fds``) and any the init itself still needs until exec.

close_range(2) (Linux 5.9) does it in one call per gap between kept fds;
CLOSE_RANGE_CLOEXEC (5.11) marks them close-on-exec instead, which keeps them
usable by the init until its execve. Older kernels: the fds are listed from
/proc/self/fd, or, without /proc, every number up to the fd limit is tried.
"""

import errno
import fcntl
import posix  # os without os.py: runtime/pathlite.py says why

from ..errors import SecurityError, SyscallError
from ..syscalls import consts as C

_MAX_FD = 0xFFFFFFFF  # close_range(2) takes unsigned int bounds
_FIRST = 3            # 0, 1, 2 are the container's stdio


def ranges_to_close(keep):
    """[(first, last)] covering every fd >= 3 except those in keep."""
    ranges = []
    start = _FIRST
    for fd in sorted(set(int(k) for k in keep if int(k) >= _FIRST)):
        if fd > start:
            ranges.append((start, fd - 1))
        start = fd + 1
    if start <= _MAX_FD:
        ranges.append((start, _MAX_FD))
    return ranges


def _listed_fds(proc_root):
    """The fds open now, from /proc/self/fd, or None when /proc is unavailable."""
    try:
        names = posix.listdir(proc_root.rstrip("/") + "/self/fd")
    except OSError:
        return None
    # The listing's own directory fd is in names but already closed: harmless (EBADF).
    return sorted(int(name) for name in names if name.isdigit())


def _one_by_one(keep, cloexec, proc_root):
    kept = set(int(k) for k in keep)
    fds = _listed_fds(proc_root)
    if fds is None:
        # Without /proc: every number below the hard limit (fds above the soft limit
        # can exist if it was lowered after they were opened).
        from ..syscalls.host import real
        limit = real().getrlimit(C.RLIMIT_NOFILE)[1]
        if limit == C.RLIM_INFINITY or limit > 1 << 20:
            limit = 1 << 20
        fds = range(_FIRST, limit)
    for fd in fds:
        if fd < _FIRST or fd in kept:
            continue
        try:
            if cloexec:
                flags = fcntl.fcntl(fd, fcntl.F_GETFD)
                fcntl.fcntl(fd, fcntl.F_SETFD, flags | fcntl.FD_CLOEXEC)
            else:
                posix.close(fd)
        except OSError as exc:
            if exc.errno != errno.EBADF:
                raise SecurityError("closing inherited fd %d failed: %s"
                                    % (fd, posix.strerror(exc.errno)))


def close_inherited_fds(keep=(), cloexec=False, syscalls=None, proc_root="/proc"):
    """Close (or with cloexec=True mark close-on-exec) every fd >= 3 not in keep.

    Returns "close_range" or "fallback", the method that was used.
    """
    if syscalls is None:
        from ..syscalls.host import real
        syscalls = real()
    flags = C.CLOSE_RANGE_CLOEXEC if cloexec else 0
    try:
        for first, last in ranges_to_close(keep):
            syscalls.close_range(first, last, flags)
        return "close_range"
    except SyscallError as exc:
        # ENOSYS: kernel before 5.9; EINVAL: CLOSE_RANGE_CLOEXEC before 5.11.
        if exc.errno not in (errno.ENOSYS, errno.EINVAL):
            raise SecurityError("close_range failed: %s" % exc)
    _one_by_one(keep, cloexec, proc_root)
    return "fallback"
