# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The restart helper: the container again, same id, same config.

An OCI container cannot be started twice, so a restart is a new container:
the monitor whose container exited, once its policy says restart and the
backoff has passed, replaces itself (execve, same pid) with this program
from the runtime copy (entry.py). Under the container lock it checks that
the container is still the one that monitor watched (``monitor_pid``), has
stopped, and was not stopped by the user (``stop_requested``,
lifecycle/intent.py); releases what the old one held outside its directory
(cgroups, network: lifecycle/delete.py ``release_resources``), runs its
poststop hooks (runtime-spec lifecycle step 13: the old container is gone),
and creates the new one in the same state directory without letting go of
the lock (lifecycle/create.py ``replacing``), from the config recorded in
state.json, not from the bundle's config.json, which may have changed
since. Then it starts it. The new container has a monitor of its own;
``restart_count``, the last exit and the backoff carry over.
"""

from ..errors import ContainerNotFound, RuntimeFailure, StatusError
from ..lifecycle.create import LOG_FILE, create
from ..lifecycle.delete import release_resources
from ..lifecycle.start import start
from ..spec.load import Bundle
from ..standalone.stateio import timestamp
from ..state import StateRoot, spec_state
from ..status import STOPPED, live_status
from .. import hooks, pathlite

# Fields of the old state.json that the new container keeps.
CARRIED = ("restart_backoff", "restart_last_exit", "service_record", "log_max_size")
DEFAULT_LOG_MAX_SIZE = 1024 * 1024


class Replacement(object):
    """For create: the lock on the existing state directory and the fields to keep."""

    def __init__(self, lock, carry):
        self.lock = lock
        self.carry = carry


def main(argv):
    state_root, container_id, monitor_pid = argv[0], argv[1], int(argv[2])
    return recreate(state_root, container_id, monitor_pid)


def recreate(state_root, container_id, monitor_pid, warn=None):
    """Return 0 when the container runs again or was not to be restarted, 1 when that failed."""
    root = StateRoot(state_root)
    problems = []
    warn = warn or problems.append
    try:
        lock = root.lock(container_id)
    except ContainerNotFound:
        return 0  # deleted while we waited
    try:
        state = root.load(container_id)
        if (state.get("monitor_pid") != monitor_pid or state.get("stop_requested")
                or live_status(state) != STOPPED):
            return 0
        try:
            release_resources(root, container_id, state, warn)
            hooks.run_phase(state.get("config") or {}, "poststop", spec_state(state, STOPPED), warn=warn)
            _remove_leftovers(root.container_dir(container_id))
            carry = dict((k, state[k]) for k in CARRIED if k in state)
            carry["restart_count"] = int(state.get("restart_count") or 0) + 1
            carry["restart_next_attempt"] = None
            if problems:
                carry["restart_warnings"] = problems[-5:]
            log_path = state.get("log_path")
            if log_path == pathlite.join(root.container_dir(container_id), LOG_FILE):
                log_path = True
            bundle = Bundle(state["bundle"], state["config"], state.get("rootfs"))
            create(root.path, container_id, bundle, warn=warn, log_path=log_path or None,
                   log_max_size=state.get("log_max_size") or DEFAULT_LOG_MAX_SIZE,
                   replacing=Replacement(lock, carry), no_pivot=bool(state.get("no_pivot")))
        except RuntimeFailure as e:
            _record_failure(root, state, "restart failed: %s" % e)
            return 1
    finally:
        lock.release()
    try:
        start(root.path, container_id, warn=warn, unless_stopped_by_user=True)
    except StatusError:
        # Stopped by the user between create and start: the stop wins. A created init may have
        # ignored a SIGTERM (pid 1 without a handler), so it is killed here.
        _kill_created(root, container_id)
        return 0
    except RuntimeFailure as e:
        try:
            state = root.load(container_id)
            state["restart_error"] = "restart failed: %s" % e
            root.save(state)
        except RuntimeFailure:
            pass
        return 1
    return 0


def _kill_created(root, container_id):
    from ..lifecycle.kill import signal_all
    from ..signals import SIGKILL
    try:
        lock = root.lock(container_id)
    except ContainerNotFound:
        return
    try:
        state = root.load(container_id)
        if state.get("stop_requested") and live_status(state) == "created":
            signal_all(state, SIGKILL)
    finally:
        lock.release()


def _remove_leftovers(container_dir):
    """The old container's socket: the new init listens on the same path."""
    import posix
    try:
        posix.unlink(pathlite.join(container_dir, "init.sock"))
    except OSError:
        pass


def _record_failure(root, state, message):
    """A failed create removed the directory: put back a stopped container that says why."""
    import posix
    state.update({"status": STOPPED, "restart_error": message, "restart_next_attempt": None,
                  "finished": state.get("finished") or timestamp()})
    try:
        posix.mkdir(root.container_dir(state["id"]), 0o700)
    except OSError:
        pass
    try:
        root.save(state)
    except (OSError, RuntimeFailure):
        pass
