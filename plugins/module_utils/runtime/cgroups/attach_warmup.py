# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pay the kernel's cgroup-migration grace period in the background.

Moving a process into a cgroup (a write to ``cgroup.procs``) takes the
host-wide ``cgroup_threadgroup_rwsem`` for writing (kernel/cgroup/cgroup.c,
cgroup_procs_write_start). That per-CPU rwsem first moves its readers (every
fork and exit on the host) to their slow path with rcu_sync_enter(), which
waits a whole RCU grace period when the semaphore was idle
(kernel/rcu/sync.c): 5 to 20 ms on a small VM, the largest single cost of an
exec, and paid again by the init of every create. Once the writer is done,
the semaphore stays in that mode for one more grace period, and every writer
inside that window extends it without waiting.

So while the caller has other work to do (importing the exec machinery,
preparing the process), a thread moves this process into the cgroup it is
already in, every few milliseconds: a migration to the same cgroup changes
nothing (the css_set stays the same), but the first write pays the grace
period in the background and the later ones keep the window open, so the
migration that matters (the exec'd process or the init into the container's
cgroups) does not wait. runc and crun pay that grace period in line.

Best effort by design: anything unexpected (no cgroupfs, a path that does
not map, a failing write) ends the thread quietly; the real migration then
simply pays the grace period itself. The thread writes only to the
``cgroup.procs`` of a cgroup this process is in, found from
/proc/self/cgroup and /proc/self/mountinfo (proc(5), cgroups(7)), and only
``0``, "the writing process". Callers end the warm-up as soon as their
process has joined: were this process moved elsewhere by someone else in
the meantime, a later no-op write would move it back.
"""

import fcntl
import posix  # os without os.py: runtime/pathlite.py says why
import sys
import time
# _thread, not threading: threading.py costs an exec ~2 ms of imports, and
# nothing here needs join() (see Warmup.end).
import _thread

from .. import pathlite
from .detect import V1_CONTROLLERS, parse_mountinfo

# Between two no-op migrations: well under one grace period (a few ms even
# on an idle host), so the window never closes while the caller works.
INTERVAL = 0.002
# A caller that takes longer than this (a lock held by another operation)
# stops warming: the host's forks and exits should not stay on the slow path.
MAX_SECONDS = 1.0
# While warming, at most this between GIL hand-overs (sys.setswitchinterval).
SWITCH_INTERVAL = 0.0002
# The thread's cgroup.procs fd is moved this high: fds below are the
# caller's (an exec's --preserve-fds range may have holes; an fd landing
# in one would be inherited as if the caller had passed it).
HIGH_FD = 256

_current = []  # the running Warmup, if any: one per process is enough


class Warmup(object):
    """A running warm-up; end() stops it (idempotent)."""

    def __init__(self):
        self.stopped = False
        self.switch_interval = None  # the interpreter's, to restore

    def end(self):
        # The thread sees the flag within INTERVAL and returns; nothing waits
        # for it: the write in flight, if any, is harmless, and its fd is
        # close-on-exec.
        self.stopped = True
        if self.switch_interval is not None:
            sys.setswitchinterval(self.switch_interval)
            self.switch_interval = None
        if _current and _current[0] is self:
            del _current[:]


# What begin() returns when it starts nothing.
NOT_WARMING = Warmup()
NOT_WARMING.stopped = True


def begin():
    """Start warming (or return the warm-up already running); never raises."""
    if _current:
        return _current[0]
    warmup = Warmup()
    warmup.stopped = True
    try:
        # Found here, not in the thread: a thread that needs the GIL while the
        # caller imports gets it only every switch interval.
        path = own_procs_file()
        if path is None:
            return warmup
        fd = _open_high(path)
    except Exception:  # pylint: disable=broad-except
        return warmup  # no cgroupfs, no /proc: no warm-up
    warmup.stopped = False
    # The thread needs the GIL after each write and each sleep; with the
    # default 5 ms switch interval the caller's imports would keep it waiting
    # longer than the grace period it is there to hide.
    warmup.switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(min(warmup.switch_interval, SWITCH_INTERVAL))
    try:
        _thread.start_new_thread(_pump, (warmup, fd))
    except Exception:  # pylint: disable=broad-except
        posix.close(fd)
        warmup.end()  # cannot start a thread (RLIMIT_NPROC...): just no warm-up
        return warmup
    _current.append(warmup)
    return warmup


def _pump(warmup, fd):
    try:
        deadline = time.monotonic() + MAX_SECONDS
        while not warmup.stopped and time.monotonic() < deadline:
            posix.write(fd, b"0")
            time.sleep(INTERVAL)
    except Exception:  # pylint: disable=broad-except
        pass
    finally:
        posix.close(fd)


def _open_high(path):
    fd = posix.open(path, posix.O_WRONLY | posix.O_CLOEXEC | posix.O_NOFOLLOW)
    try:
        high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, HIGH_FD)
    except (OSError, IOError):
        return fd  # RLIMIT_NOFILE below HIGH_FD: keep the low fd
    posix.close(fd)
    return high


def own_procs_file(self_cgroup=None, mountinfo=None):
    """The cgroup.procs file of a cgroup this process is in, or None.

    A v1 hierarchy is preferred: a cgroup2 cgroup whose subtree_control
    enables controllers takes no processes (cgroup-v2.rst, "No Internal
    Process Constraint"), the root excepted.
    """
    if self_cgroup is None:
        self_cgroup = _read("/proc/self/cgroup")
    if mountinfo is None:
        mountinfo = _read("/proc/self/mountinfo")
    # cgroups(7): "hierarchy-ID:controller-list:cgroup-path"; for cgroup2
    # the ID is 0 and the list empty.
    v1_paths = {}
    v2_path = None
    for line in self_cgroup.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if parts[0] == "0" and not parts[1]:
            v2_path = parts[2]
        elif parts[1]:
            v1_paths[frozenset(parts[1].split(","))] = parts[2]
    v1_found = []  # (cost rank, path)
    v2_found = None
    for entry in parse_mountinfo(mountinfo):
        if entry.fstype == "cgroup":
            options = frozenset(o for o in entry.super_options.split(",")
                                if o.startswith("name=") or o in V1_CONTROLLERS)
            path = _procs_file(entry.mount_point, entry.root, v1_paths.get(options))
            if path is not None:
                v1_found.append((_attach_cost(options), len(v1_found), path))
        elif entry.fstype == "cgroup2" and v2_found is None:
            v2_found = _procs_file(entry.mount_point, entry.root, v2_path)
    return min(v1_found)[2] if v1_found else v2_found


def _attach_cost(options):
    """0 for a hierarchy without controllers, 1 for pids alone, 2 for the rest.

    Every move runs the attach callbacks of the hierarchy's controllers on
    each thread of the process; cpu, cpuset and memory reschedule or
    recharge the caller's running thread each time, a named hierarchy and
    pids only update counters. The grace period is the same for all: the
    semaphore is global.
    """
    controllers = [o for o in options if not o.startswith("name=")]
    if not controllers:
        return 0
    return 1 if controllers == ["pids"] else 2


def _procs_file(mount_point, root, path):
    """mount point + our path below the mount's root, or None when they do not map.

    mountinfo's root is the cgroup the mount shows at its mount point (a bind
    of a sub-tree, or a mount made in another cgroup namespace, has one
    other than "/"); our path is relative to our cgroup namespace.
    """
    if path is None or not path.startswith("/"):
        return None
    if root != "/":
        if not (path == root or path.startswith(root + "/")):
            return None
        path = path[len(root):] or "/"
    if "/.." in path or path.endswith(" (deleted)"):
        return None
    return pathlite.join(mount_point, path.lstrip("/"), "cgroup.procs")


def _read(path):
    with open(path) as handle:
        return handle.read()
