# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a container's OOM kills are counted, and the count at create.

The monitor records ``oom_killed`` when the container exits
(standalone/monitor.py): true when the cgroup's ``oom_kill`` counter grew
since create. The counter is kept from create on, not assumed to start at 0:
an existing cgroup that create reuses (config-linux.md lets a runtime use
one) may have counted kills of earlier processes.

v1: memory.oom_control of the memory hierarchy, which a v1 or hybrid host
always has for the container. v2: memory.events, which exists only where the
memory controller is enabled for the container's cgroup (the manager enables
it when the config sets a memory limit); without it the kernel counts
nothing for the container and ``oom_killed`` stays unknown (null).
"""

from .. import pathlite
from ..standalone.stateio import oom_kill_count


def oom_record(manager):
    """{"file": counter file, "at_create": its oom_kill now}, or None where the host counts nothing."""
    paths = manager.paths
    candidates = []
    for hierarchy in manager.hierarchies:
        if not hierarchy.is_v2 and "memory" in hierarchy.controllers:
            candidates.insert(0, pathlite.join(paths[hierarchy.name], "memory.oom_control"))
        elif hierarchy.is_v2:
            candidates.append(pathlite.join(paths[hierarchy.name], "memory.events"))
    for path in candidates:
        count = oom_kill_count(path)
        if count is not None:
            return {"file": path, "at_create": count}
    return None
