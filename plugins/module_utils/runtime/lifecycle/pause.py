# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pause and resume: freeze and thaw every process of a container.

Not in the runtime-spec's operations but in runc's command line, which
tools such as podman and containerd call. The cgroup freezer does the work
(cgroups/freezer.py: freezer.state in v1, cgroup.freeze in v2); the status
"paused" is recorded in state.json once the kernel reports the cgroup
frozen, and "running" again once it reports it thawed. Only a running
container can be paused, only a paused one resumed.
"""

from ..errors import RuntimeFailure, StateError
from ..state import StateRoot
from ..status import PAUSED, RUNNING, live_status, require


def _manager(state, container_id):
    from ..cgroups.manager import CgroupManager
    if not state.get("cgroup"):
        raise StateError("container %s has no cgroup recorded in its state" % container_id)
    return CgroupManager.from_dict(state["cgroup"])


def pause(root, container_id):
    store = StateRoot(root)
    lock = store.lock(container_id)
    try:
        state = store.load(container_id)
        require("pause", container_id, live_status(state))
        manager = _manager(state, container_id)
        manager.freeze()
        state["status"] = PAUSED
        try:
            store.save(state)
        except BaseException:
            manager.thaw()  # state.json still says running: make it true
            raise
    finally:
        lock.release()
    return state


def resume(root, container_id):
    store = StateRoot(root)
    lock = store.lock(container_id)
    try:
        state = store.load(container_id)
        require("resume", container_id, live_status(state))
        _manager(state, container_id).thaw()
        state["status"] = RUNNING
        store.save(state)
    finally:
        lock.release()
    return state


def thaw_quietly(state):
    """Thaw a container's cgroup (for kill/delete of a paused container); errors ignored.

    cgroup-v1 freezer-subsystem.rst: a frozen task does not act on SIGKILL
    until it is thawed, so killing a paused container thaws it.
    """
    if not state.get("cgroup"):
        return
    try:
        from ..cgroups.manager import CgroupManager
        CgroupManager.from_dict(state["cgroup"]).thaw()
    except RuntimeFailure:
        pass
