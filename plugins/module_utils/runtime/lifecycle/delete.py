# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""delete: remove everything create made, and nothing else.

runtime.md "Delete": deleting a container whose process still runs (or that
is created and waiting) is an error unless forced; forced, every process in
its cgroup gets SIGKILL first. Then: wait for the monitor to record the exit
and finish its on-stop handlers, remove the cgroups create made or adopted
(not pre-existing ones of others), remove the state directory, and run the
poststop hooks (lifecycle step 13; a failing poststop hook is only a
warning). A cgroup that is no longer the container's (cgroups/owner.py) is
neither signalled nor removed.

The container lock is not held while waiting: the monitor needs it to record
the exit.
"""

import posix  # os without os.py: runtime/pathlite.py says why
import time

from .. import hooks
from ..errors import RuntimeFailure
from ..signals import SIGKILL
from ..standalone.stateio import process_alive
from ..state import StateRoot, spec_state
from ..status import PAUSED, STOPPED, live_status, require
from .kill import signal_all

MONITOR_GRACE = 10.0


def delete(state_root, container_id, force=False, warn=None, timeout=MONITOR_GRACE):
    root = StateRoot(state_root)
    lock = root.lock(container_id)
    try:
        state = root.load(container_id)
        status = live_status(state)
        if status != STOPPED:
            require("delete --force" if force else "delete", container_id, status)
            if status == PAUSED:
                from .pause import thaw_quietly
                thaw_quietly(state)  # a frozen (v1) process acts on SIGKILL only once thawed
            signal_all(state, SIGKILL)
    finally:
        lock.release()
    _wait_for_exit(state, timeout, warn)
    lock = root.lock(container_id)
    try:
        state = root.load(container_id)
        if state.get("cgroup"):
            _remove_cgroup(state, container_id, timeout, warn)
        if state.get("network"):
            from ..network.wiring import release as release_network
            for problem in release_network(root.path, container_id, state["network"]):
                if warn:
                    warn(problem)
        root.remove(container_id)
    finally:
        lock.release()
    config = state.get("config") or {}
    hooks.run_phase(config, "poststop", spec_state(state, STOPPED), warn=warn or _ignore)
    return state


def _wait_for_exit(state, timeout, warn):
    """Wait for the init to die and the monitor to finish; kill a stuck monitor."""
    deadline = time.monotonic() + timeout
    init = (state.get("pid"), state.get("pid_start_time"))
    monitor = (state.get("monitor_pid"), state.get("monitor_start_time"))
    for pid, start_time in (init, monitor):
        while pid and process_alive(pid, start_time):
            _reap_if_child(pid)
            if time.monotonic() > deadline:
                if pid == monitor[0]:
                    if warn:
                        warn("monitor {0} did not finish in {1:.0f}s; killing it".format(pid, timeout))
                    _kill_quietly(pid)
                    deadline = time.monotonic() + 2.0
                    continue
                raise RuntimeFailure("container process {0} did not exit after SIGKILL".format(pid))
            time.sleep(0.002)
        _reap_if_child(pid)


def _remove_cgroup(state, container_id, timeout, warn):
    """Kill what is left in the container's cgroup and remove it, if it is still the container's.

    A cgroup removed and made again by someone else, or claimed by another
    container since, is not this container's to empty or remove
    (cgroups/owner.py): it is left as it is.
    """
    from ..cgroups.manager import CgroupManager
    manager = CgroupManager.from_dict(state["cgroup"])
    if not manager.owns_cgroup():
        if warn:
            warn("cgroup /%s is no longer container %s's (another container or user has it now): left as it is"
                 % (manager.path, container_id))
        manager.release_claim()
        return
    _kill_leftovers(manager, timeout)
    manager.destroy()


def _kill_leftovers(manager, timeout):
    """SIGKILL what is still in the cgroup once the init is gone.

    Without a pid namespace of its own, a container's children outlive its
    init (with one, the kernel kills them when the init dies); they are
    part of what create made, so delete removes them, as runc does.
    """
    deadline = time.monotonic() + timeout
    while True:
        pids = manager.pids()
        if not pids:
            return
        for pid in pids:
            _kill_quietly(pid)
        if time.monotonic() > deadline:
            raise RuntimeFailure("processes %s of the container survive SIGKILL" % sorted(pids))
        time.sleep(0.005)


def _reap_if_child(pid):
    # A foreground `run` is the monitor's parent; elsewhere this is a no-op.
    try:
        posix.waitpid(pid, posix.WNOHANG)
    except (OSError, TypeError):
        pass


def _kill_quietly(pid):
    try:
        posix.kill(pid, SIGKILL)
    except OSError:
        pass


def _ignore(_msg):
    pass
