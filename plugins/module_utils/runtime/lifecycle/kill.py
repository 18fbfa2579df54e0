# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kill: send a signal to the container's process (or, with all, to every
process in its cgroup).

runtime.md "Kill": signalling a container that is not created or running is
an error and changes nothing; its message says "container not running",
the phrase runc uses and containerd's shim maps (with "no such process" and
"does not exist") to "already finished". The pid is re-checked against its
recorded start time through a pidfd (pidfd_open(2), pidfd_send_signal(2)),
so a pid reused by another process between the check and the signal is
never hit.

``--all`` also works on a stopped container, as with runc: when the first
process of a container without its own pid namespace has exited, its
children live on in the cgroup, and containerd's shim runs `kill --all ID 9`
to end them. Signal 0 is an "is it alive" probe (kill(2)): it checks and
sends nothing.
"""

import errno
import posix  # os without os.py: runtime/pathlite.py says why

from ..errors import RuntimeFailure, StatusError
from ..signals import SIGKILL, parse_signal
from ..standalone.stateio import process_alive
from ..state import StateRoot
from ..status import PAUSED, STOPPED, live_status, require
from ..syscalls.host import real


def kill(state_root, container_id, signal_spec="SIGTERM", all_processes=False):
    sig = parse_signal(signal_spec, probe=True)
    root = StateRoot(state_root)
    state = root.load(container_id)
    if state.get("service_record") or state.get("runtime_copy"):  # a restart policy or a health check
        from .intent import is_stop_signal, request_stop
        if is_stop_signal(state, sig):
            # Before the signal and before the status check: a stop asked for
            # while the monitor waits to restart the container counts too.
            state = request_stop(root, container_id)
    status = live_status(state)
    if status == STOPPED and not all_processes:
        raise StatusError("cannot kill container %s: container not running" % container_id)
    if not (status == STOPPED and all_processes):
        require("kill", container_id, status)
    if all_processes:
        signal_all(state, sig)
    else:
        signal_pid(state["pid"], state.get("pid_start_time"), sig)
    if status == PAUSED and sig == SIGKILL:
        from .pause import thaw_quietly
        thaw_quietly(state)  # like runc: a frozen (v1) process acts on SIGKILL only once thawed
    return sig


def signal_all(state, sig):
    """Signal every process of the container's cgroup (the init included)."""
    from ..cgroups.manager import CgroupManager
    pids = set()
    if state.get("cgroup"):
        manager = CgroupManager.from_dict(state["cgroup"])
        if manager.owns_cgroup():  # else its processes are another container's (cgroups/owner.py)
            pids.update(manager.pids())
    if state.get("pid") and process_alive(state["pid"], state.get("pid_start_time")):
        pids.add(state["pid"])
    for pid in sorted(pids):
        try:
            posix.kill(pid, sig)
        except OSError as e:
            if e.errno != errno.ESRCH:
                raise RuntimeFailure("cannot signal pid %d: %s" % (pid, e.strerror))


def signal_pid(pid, start_time, sig):
    sc = real()
    try:
        pidfd = sc.pidfd_open(pid)
    except RuntimeFailure:
        pidfd = None  # kernel < 5.3: fall back to kill(2) after the start-time check
    try:
        if not process_alive(pid, start_time):
            raise RuntimeFailure("container process %d is gone" % pid)
        if pidfd is None:
            posix.kill(pid, sig)
        else:
            sc.pidfd_send_signal(pidfd, sig)
    except OSError as e:
        raise RuntimeFailure("cannot signal pid %d: %s" % (pid, e.strerror))
    finally:
        if pidfd is not None:
            posix.close(pidfd)
