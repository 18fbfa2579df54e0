# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ps: the processes of a container, as host pids.

runc's ps lists the members of the container's cgroup (its child cgroups
included): the init, its descendants and exec'd processes, whichever pid
namespace they see themselves in. Read-only, valid in every status (a
stopped container without its own pid namespace may leave processes).
"""

from ..standalone.stateio import process_alive
from ..state import StateRoot


def container_pids(root, container_id):
    """Sorted host pids of the processes in the container's cgroup."""
    state = StateRoot(root).load(container_id)
    pids = set()
    if state.get("cgroup"):
        from ..cgroups.manager import CgroupManager
        pids.update(CgroupManager.from_dict(state["cgroup"]).pids())
    if state.get("pid") and process_alive(state["pid"], state.get("pid_start_time")):
        pids.add(state["pid"])
    return sorted(pids)
