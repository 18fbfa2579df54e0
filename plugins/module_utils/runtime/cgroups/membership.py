# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Putting a new process into a container's cgroups: the init's (manager.py) or exec's (from saved state).

Without waiting for the kernel. Moving a process with a write to
cgroup.procs takes the host-wide cgroup_threadgroup_rwsem for writing,
whose first use after a quiet spell waits for a whole RCU grace period
(kernel/rcu/sync.c, rcu_sync_enter): 5 to 8 ms on this project's test VM,
once the largest single cost of an exec. Neither way used here takes it:

- fork_into(): the child is created in the cgroup2 cgroup (clone3(2)
  CLONE_INTO_CGROUP, Linux 5.7), which takes that lock only for reading, as
  every fork does (kernel/cgroup/cgroup.c, cgroup_css_set_fork);
- join() of the calling process: a v1 hierarchy is joined through
  ``tasks``, whose write of 0 moves the calling thread alone, without the
  lock (cgroup_procs_write_start: a thread moving itself cannot exit or exec
  meanwhile): 0.05 ms instead of 5 to 8. The callers are forked children
  with one thread, so that thread is the whole process.

Kept apart from manager.py so that exec, run once per command, loads
neither the manager nor the live-update machinery it inherits (live.py).
"""

import errno
import posix  # os without os.py: runtime/pathlite.py says why

from .. import pathlite
from ..errors import CgroupError, SyscallError
from .files import CgroupFiles, write_error

# The layout of the "cgroup" object in state.json (CgroupManager.to_dict).
STATE_VERSION = 1


def join(cgroups, pid, files=None):
    """Move ``pid`` (0 = the calling process, single-threaded) into each of ``cgroups``.

    ``cgroups``: (directory, is_v2) pairs, one per hierarchy. The calling
    process joins a v1 hierarchy through ``tasks`` (see above). cgroup2
    refuses to move one thread out of its domain (cgroup.threads), so there,
    and for another pid, it is cgroup.procs.
    """
    files = files if files is not None else CgroupFiles()
    text = str(int(pid))
    for directory, is_v2 in cgroups:
        # Straight to the write, no stat(2) first: exec's child runs this
        # for every hierarchy, and open(2) says ENOENT for a missing cgroup.
        path = pathlite.join(directory, "cgroup.procs" if pid or is_v2 else "tasks")
        try:
            files.write(path, text)
        except (OSError, IOError) as exc:
            if exc.errno == errno.ENOENT:
                raise CgroupError("cannot add process %d: cgroup %s does not exist" % (pid, directory))
            raise write_error(exc, "adding process %d to the container cgroup" % pid, path, text)


def saved_cgroups(saved):
    """The container's cgroups as join() takes them, from the state's "cgroup" object."""
    try:
        if saved.get("version") != STATE_VERSION:
            raise ValueError("unknown version %r" % (saved.get("version"),))
        return [(str(saved["paths"][h["name"]]), h["fstype"] == "cgroup2") for h in saved["hierarchies"]]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CgroupError("saved cgroup state is unusable: %s" % (exc,))


def fork_into(cgroups, syscalls):
    """fork(); the child starts in the cgroup2 cgroup of ``cgroups`` where the kernel can do that.

    Returns (pid, to_join): 0 in the child, and there ``cgroups`` less the
    one it was born in, for join(); the pid in the parent. Falls back to a
    plain fork (and so to cgroup.procs) on a kernel without
    CLONE_INTO_CGROUP (remembered), in a process with other threads
    (fork_into_cgroup in syscalls/linux.py says why), or when the cgroup
    refuses the child: join() then names the directory and the reason.
    Raises OSError as os.fork() does; with clone3 EAGAIN can also mean the
    cgroup's pids.max is reached.
    """
    cgroups = list(cgroups)
    unified = [directory for directory, is_v2 in cgroups if is_v2]
    if unified and _CLONE_INTO_CGROUP and single_threaded():
        try:
            fd = posix.open(unified[0], posix.O_RDONLY | posix.O_DIRECTORY | posix.O_CLOEXEC)
        except OSError:
            fd = None
        if fd is not None:
            try:
                pid = syscalls.fork_into_cgroup(fd)
            except SyscallError as e:
                if e.errno in (errno.EAGAIN, errno.ENOMEM):
                    raise OSError(e.errno, posix.strerror(e.errno))
                if e.errno in (errno.ENOSYS, errno.E2BIG, errno.EINVAL):
                    del _CLONE_INTO_CGROUP[:]  # this kernel lacks it: never again in this process
            else:
                return pid, [(directory, is_v2) for directory, is_v2 in cgroups if not is_v2]
            finally:
                posix.close(fd)
    return posix.fork(), cgroups


# Emptied once clone3's CLONE_INTO_CGROUP turned out to be missing (Linux < 5.7).
_CLONE_INTO_CGROUP = [True]


def single_threaded():
    """Whether this process has one thread: a /proc/PID/task directory links 2 + its thread count (fs/proc/base.c)."""
    try:
        return posix.stat("/proc/self/task").st_nlink == 3
    except OSError:
        return False
