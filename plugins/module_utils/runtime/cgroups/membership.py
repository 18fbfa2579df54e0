# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Moving a process into a container's cgroups, from the manager or from saved state.

exec needs nothing else of the container's cgroup: its new process joins the
directories the container was created with (manager.py saves them in the
state). Kept apart from manager.py so that exec, run once per command, loads
neither the manager nor the live-update machinery it inherits (live.py).
"""

import errno

from .. import pathlite
from ..errors import CgroupError
from .files import CgroupFiles, write_error

# The layout of the "cgroup" object in state.json (CgroupManager.to_dict).
STATE_VERSION = 1


def join(cgroups, pid, files=None):
    """Move ``pid`` (0 = the calling process) into each of ``cgroups``.

    ``cgroups``: (directory, is_v2) pairs, one per hierarchy. The calling
    process joins a v1 hierarchy through ``tasks``: writing 0 there moves the
    calling thread alone, which the kernel does without taking the host-wide
    cgroup_threadgroup_rwsem (kernel/cgroup/cgroup.c,
    cgroup_procs_write_start: a thread moving itself cannot exit or exec
    meanwhile). So it never waits for the RCU grace period that a write to
    cgroup.procs waits for after a quiet spell (attach_warmup.py): 0.05 ms
    instead of 5 to 8 on this project's test VM. Callers are single-threaded
    (forked children: the init, exec's process), so the thread is the whole
    process. cgroup2 refuses to move one thread out of its domain
    (cgroup.threads), so there, and for another pid, it is cgroup.procs.
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
