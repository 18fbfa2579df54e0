# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""events: usage statistics of a container's cgroup, as runc prints them.

``runc events --stats ID`` prints one {"type": "stats", "id", "data"}
object; without --stats it prints one every interval until the container
stops. The data come from the cgroup's control files (cgroups/stats.py).
"""

import time

from ..errors import ContainerNotFound, StateError, StatusError
from ..state import StateRoot
from ..status import STOPPED, live_status, require


def stats(root, container_id):
    """One stats sample of a created, running or paused container."""
    state = StateRoot(root).load(container_id)
    require("stats", container_id, live_status(state))
    if not state.get("cgroup"):
        raise StateError("container %s has no cgroup recorded in its state" % container_id)
    from ..cgroups.manager import CgroupManager
    data = CgroupManager.from_dict(state["cgroup"]).stats()
    return {"type": "stats", "id": container_id, "data": data}


def watch(root, container_id, interval=5.0, sleep=time.sleep):
    """Yield a stats sample every ``interval`` seconds until the container stops or is deleted."""
    store = StateRoot(root)
    yield stats(root, container_id)
    while True:
        sleep(interval)
        try:
            if live_status(store.load(container_id)) == STOPPED:
                return
            yield stats(root, container_id)
        except (ContainerNotFound, StatusError):
            return  # it stopped or was deleted between two samples
