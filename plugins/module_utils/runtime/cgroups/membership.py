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


def join(directories, pid, files=None):
    """Move ``pid`` (0 = the calling process) into each cgroup directory (one per hierarchy)."""
    files = files if files is not None else CgroupFiles()
    text = str(int(pid))
    for directory in directories:
        # Straight to the write, no stat(2) first: exec's child runs this
        # for every hierarchy, and open(2) says ENOENT for a missing cgroup.
        path = pathlite.join(directory, "cgroup.procs")
        try:
            files.write(path, text)
        except (OSError, IOError) as exc:
            if exc.errno == errno.ENOENT:
                raise CgroupError("cannot add process %d: cgroup %s does not exist" % (pid, directory))
            raise write_error(exc, "adding process %d to the container cgroup" % pid, path, text)


def saved_directories(saved):
    """The container's cgroup directories, one per hierarchy, from the state's "cgroup" object."""
    try:
        if saved.get("version") != STATE_VERSION:
            raise ValueError("unknown version %r" % (saved.get("version"),))
        return [str(directory) for directory in saved["paths"].values()]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CgroupError("saved cgroup state is unusable: %s" % (exc,))
