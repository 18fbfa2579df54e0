# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""state and list: read-only views, valid in every status.

``state`` prints the runtime-spec state with the live status (a pid that is
gone or reused reads as stopped), plus runc's extra fields (rootfs, created,
owner) that tools written for runc read.

A container whose process has just exited reads as stopped only together
with its exit: load_settled() waits for the monitor's record, as podman
reports an exited container with its exit code, never without it.

A container whose state.json is unreadable (truncated, not JSON) is listed
with status "unknown" and the reason, not left out: its processes may still
run, and `delete --force` removes it (lifecycle/damaged.py). `state` of it
fails with the error naming the file.
"""

from ..errors import ContainerNotFound, CorruptStateError, StateError
from ..ids import validate_id
from ..state import StateRoot, spec_state
from ..status import exit_pending, live_status

RUNC_EXTRA_FIELDS = ("rootfs", "created", "owner")
UNKNOWN = "unknown"

# The monitor polls a pidfd of the init, so its record follows the exit by
# milliseconds; the bound only matters for a monitor that is stopped (SIGSTOP)
# or starved, and then the container reads as stopped without an exit code.
EXIT_RECORD_WAIT = 2.0


def state(state_root, container_id):
    validate_id(container_id)
    return describe(load_settled(StateRoot(state_root), container_id))


def load_settled(root, container_id):
    """root.load(), but a process that exited is returned with its recorded exit."""
    stored = root.load(container_id)
    if exit_pending(stored):
        from time import monotonic, sleep
        deadline = monotonic() + EXIT_RECORD_WAIT
        while exit_pending(stored) and monotonic() < deadline:
            sleep(0.002)
            stored = root.load(container_id)
    return stored


def describe(stored):
    out = spec_state(stored, live_status(stored))
    for key in RUNC_EXTRA_FIELDS:
        if key in stored:
            out[key] = stored[key]
    for key in ("exit_code", "exit_signal", "oom_killed", "started", "finished", "log_path"):
        if stored.get(key) is not None:
            out[key] = stored[key]
    policy = (stored.get("annotations") or {}).get("org.opencontainer.runtime.restart")
    if policy is not None or stored.get("health"):
        _describe_service(stored, policy, out)
    return out


# What the monitor and the restart helper record (standalone/restart.py, standalone/health.py).
SERVICE_FIELDS = ("restart_count", "restart_last_exit", "restart_next_attempt", "restart_error", "stop_requested",
                  "health")


def _describe_service(stored, policy, out):
    out["restart_policy"] = policy or "no"
    out["restart_count"] = stored.get("restart_count") or 0
    for key in SERVICE_FIELDS[1:]:
        if stored.get(key) is not None:
            out[key] = stored[key]


def unknown(error):
    """The entry of a container whose state is unreadable: status "unknown" and why."""
    return {"id": error.container_id, "status": UNKNOWN, "reason": str(error), "annotations": {}}


def describe_or_unknown(root, container_id):
    """describe() of the settled state, or unknown() when state.json is corrupt."""
    try:
        return describe(load_settled(root, container_id))
    except CorruptStateError as e:
        return unknown(e)


def list_containers(state_root):
    """describe() of every container in the root, unknown() for a damaged one; vanished ones are skipped."""
    root = StateRoot(state_root)
    out = []
    for cid in root.ids():
        try:
            out.append(describe_or_unknown(root, cid))
        except (ContainerNotFound, StateError):
            continue  # deleted meanwhile, or unreadable for a reason that is not the file's (EACCES)
    return out
