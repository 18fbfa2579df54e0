# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""state and list: read-only views, valid in every status.

``state`` prints the runtime-spec state with the live status (a pid that is
gone or reused reads as stopped), plus runc's extra fields (rootfs, created,
owner) that tools written for runc read.
"""

from ..errors import ContainerNotFound, StateError
from ..ids import validate_id
from ..state import StateRoot, spec_state
from ..status import live_status

RUNC_EXTRA_FIELDS = ("rootfs", "created", "owner")


def state(state_root, container_id):
    validate_id(container_id)
    stored = StateRoot(state_root).load(container_id)
    return describe(stored)


def describe(stored):
    out = spec_state(stored, live_status(stored))
    for key in RUNC_EXTRA_FIELDS:
        if key in stored:
            out[key] = stored[key]
    for key in ("exit_code", "exit_signal", "started", "finished", "log_path"):
        if stored.get(key) is not None:
            out[key] = stored[key]
    return out


def list_containers(state_root):
    """describe() of every container in the root; vanished or broken entries are skipped."""
    root = StateRoot(state_root)
    out = []
    for cid in root.ids():
        try:
            out.append(describe(root.load(cid)))
        except (ContainerNotFound, StateError):
            continue
    return out
