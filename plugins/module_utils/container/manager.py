# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Converge one container to the state the module asks for.

Private to this collection. ``plan()`` only reads (state.json, the bundle,
/proc) and returns the actions in order; ``converge()`` runs them unless in
check mode. What each desired state accepts (oci_container's docs):

- started: running. created -> start; paused -> resume; stopped -> delete,
  create, start (an OCI container cannot be started twice).
- created: the container exists, whatever its process does.
- stopped: it exists and its process is not running (created or stopped).
- absent: no container (and no bundle this collection wrote for it).

A container whose state.json is unreadable has status "unknown": absent
removes it (delete --force finds its processes without the state,
runtime/lifecycle/damaged.py); every other state fails naming the file.

A config difference from the one the container was created from (state.json
keeps it) in cgroup resources only is applied in place; any other means a
new container, unless ``recreate: never``.

Concurrent runs: a ``converge()`` that has something to do takes the
name's lock (name_lock.py), plans again under it and holds it to its
result, so runs on one container take turns and the last one's word
stands. Processes that do not take that lock (the command line) can still
change the container between the plan and an action; the action then fails
as a lost race (the container is gone, already exists, is in another
status, or its init was killed) and the run plans again from what it
finds, at most REPLANS times. A container another process is creating is
waited for.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import time

from ..runtime.errors import ContainerExists, ContainerNotFound, CorruptStateError, RuntimeFailure, StateError, StatusError
from ..runtime.ids import validate_id
from ..runtime.lifecycle.query import describe, load_settled
from ..runtime.state import StateRoot
from ..runtime.status import CREATED, CREATING, PAUSED, RUNNING, STOPPED, exit_pending, live_status
from . import bundles, drift, logs, results
from .desired import DEFAULT_BUNDLE_PARENT, STOP_SIGNAL_ANNOTATION, Desired, OptionError, desired_container
from .name_lock import NameLock
from .options import IGNORE, SET, STRICT, comparison_path, path_problems
from .service_glue import restart_pending

# Actions that change the host (every other entry in `actions` only reports).
CHANGES = ("pull", "write_bundle", "create", "start", "stop", "delete", "update", "resume", "remove_bundle")
DEFAULT_OUTPUT_LINES = 20
REPLANS = 5
# A create by another process (the command line) takes well under a second;
# a creator that died is seen at once (status.live_status).
CREATING_WAIT = 30.0


class ContainerBusy(StateError):
    """Another process is creating the container."""


class _LostRace(Exception):
    """An action found the container changed by another process since the plan."""


def lost_race(error):
    """True for the errors of an action whose plan another process made stale."""
    from ..runtime.lifecycle.start import InitUnreachable  # the init of a created container was killed
    return isinstance(error, (ContainerNotFound, ContainerExists, StatusError, ContainerBusy, InitUnreachable))


class ContainerManager(object):
    def __init__(self, params, check_mode=False, warn=None):
        self.params = params
        self.check_mode = check_mode
        self.warnings = []
        self._warn = warn
        self.name = params["name"]
        self.root = StateRoot(params.get("state_root"))
        self.state = None
        self.status = "absent"
        self.damaged = None  # the CorruptStateError of an unreadable state.json
        self.desired = None
        self.diffs = []
        self.diffs_reported_only = False
        self.ignored = []
        self.done = []
        self.actions = []
        self.pulled = False

    # -- reading ---------------------------------------------------------
    def load(self):
        self.state = None
        self.status = "absent"
        if not self.root.exists():
            return
        try:
            self.state = self.root.load(self.name)
        except ContainerNotFound:
            return
        except CorruptStateError as e:
            self.damaged = e
            self.status = "unknown"
            return
        self.status = live_status(self.state)

    def plan(self):
        validate_id(self.name)
        for option, problem in path_problems(self.params):
            raise OptionError(option, problem)
        self.load()
        self.diffs = []
        self.ignored = []
        self.diffs_reported_only = False
        want = self.params.get("state") or "started"
        if self.status == CREATING:
            raise ContainerBusy("container %s is being created by another process" % self.name)
        if want == "absent":
            return self._plan_absent()
        if self.damaged is not None:
            raise RuntimeFailure("%s; state=absent removes the container" % self.damaged)
        if self.params.get("image"):
            from .image_glue import desired_from_image
            self.desired = desired_from_image(self.params, self.check_mode)
        elif self.state is not None and not (self.params.get("rootfs") or self.params.get("bundle")):
            # Only a name: the container as it is (e.g. `name=web state=stopped`).
            self.desired = Desired(self.state.get("config") or {}, self.state.get("bundle"), managed=False,
                                   validated=True)
        else:
            self.desired = desired_container(self.params)
        if self.desired.config is None:
            return self._plan_pending_pull(want)
        if self.state is not None:
            current = self.state.get("config") or {}
            self.diffs = drift.differences(current, self.desired.config, self._comparisons())
            compared = set(d.path for d in self.diffs)
            self.ignored = [d.path for d in drift.differences(current, self.desired.config) if d.path not in compared]
            if self.state.get("bundle") != self.desired.bundle:
                self.diffs.insert(0, drift.Difference("bundle", self.state.get("bundle"), self.desired.bundle))
            self._add_image_difference()
        if self.state is None or self.diffs:
            # Equal to the config the container was created from: that one passed
            # the same checks at create time.
            self.desired.validate()
        actions = self._image_pulled() + self._plan_present(want)
        if self.ignored and "create" not in actions and "write_bundle" in actions:
            # The bundle describes the container; a difference the user chose to
            # ignore must not be written into it (nor reported as a change).
            actions.remove("write_bundle")
        return actions

    # -- images (image_glue.py) --------------------------------------------
    def _add_image_difference(self):
        if getattr(self.desired, "record", False) is not False:
            from .image_glue import image_difference
            diff = image_difference(self.state, self.desired)
            if diff is not None:
                self.diffs.insert(0, diff)

    def _image_pulled(self):
        # The pull happens while planning (the image's config makes the desired
        # config): a run that plans again (under the name lock, after a lost
        # race) still reports it, once.
        if getattr(self.desired, "pull_changed", False):
            self.pulled = True
        return ["pull"] if self.pulled and "pull" not in self.done else []

    def _plan_pending_pull(self, want):
        """Check mode, image not in the store: it would be pulled, then (re)created."""
        new = ["write_bundle", "create"] + (["start"] if want == "started" else [])
        if self.state is None:
            return ["pull"] + new
        self._add_image_difference()
        teardown = (["stop"] if self.status in (RUNNING, PAUSED) else []) + ["delete"]
        return ["pull"] + teardown + new

    def _comparisons(self):
        rules = {}
        for key, how in (self.params.get("comparisons") or {}).items():
            if how not in (STRICT, IGNORE, SET):
                raise OptionError("comparisons", "%s: must be strict, ignore or set, not %r" % (key, how))
            if key == "spec" or not key:
                raise OptionError("comparisons", "name an option or a config.json path, not %r" % key)
            rules[comparison_path(key)] = how
        return rules

    def _plan_absent(self):
        actions = []
        if self.damaged is not None:
            # The bundle path was in the lost state: the one this name's options give.
            self.state = {"bundle": os.path.abspath(self.params.get("bundle_dir")
                                                    or os.path.join(DEFAULT_BUNDLE_PARENT, self.name))}
            return ["delete"] + (["remove_bundle"] if bundles.is_managed(self.state["bundle"]) else [])
        if self.state is not None:
            if self.status in (RUNNING, PAUSED):
                actions.append("stop")
            actions.append("delete")
            if bundles.is_managed(self.state.get("bundle")):
                actions.append("remove_bundle")
        return actions

    def _plan_present(self, want):
        exists = self.state is not None
        recreate_mode = self.params.get("recreate") or "auto"
        write = self.desired.managed and bundles.needs_write(self.desired.bundle, self.desired.config)
        new = ["write_bundle"] if write else []
        new.append("create")
        if want == "started":
            new.append("start")
        if not exists:
            return new
        alive = self.status in (CREATED, RUNNING, PAUSED)
        teardown = (["stop"] if self.status in (RUNNING, PAUSED) else []) + ["delete"]
        if self.diffs and recreate_mode == "never":
            message = ("container %s differs from the requested config (%s); left as is "
                       "because recreate=never" % (self.name, ", ".join(d.path for d in self.diffs)))
            if message not in self.warnings:  # once, however often the run plans
                self.warnings.append(message)
            self.diffs_reported_only = True
            return self._plan_status(want, [], new, teardown)
        if recreate_mode == "always" or (self.params.get("restart") and want == "started"):
            return teardown + new
        if self.diffs:
            if alive and drift.only_updatable(self.diffs):
                actions = ["update"] + self._plan_status(want, [], new, teardown)
                return (["write_bundle"] if write and "write_bundle" not in actions else []) + actions
            return teardown + new
        actions = self._plan_status(want, [], new, teardown)
        if write and "write_bundle" not in actions:
            actions.insert(0, "write_bundle")
        return actions

    def _plan_status(self, want, actions, new, teardown):
        status = self.status
        if want == "started":
            if status == CREATED:
                return actions + ["start"]
            if status == PAUSED:
                return actions + ["resume"]
            if status == STOPPED:
                return actions + teardown + new
        elif want == "stopped" and status in (RUNNING, PAUSED):
            return actions + ["stop"]
        elif want == "stopped" and status == STOPPED and self.state is not None and restart_pending(self.state):
            return actions + ["stop"]  # its monitor waits to restart it: the user's stop cancels that
        return actions

    # -- doing -----------------------------------------------------------
    def converge(self):
        validate_id(self.name)  # before the name becomes a lock file's name
        waiting = not self.check_mode and self.params.get("state") == "started" and self.params.get("wait")
        # Planned first without the lock: bad options fail, and a run with
        # nothing to do returns, having only read files. A run that acts
        # plans again under the lock, from what the runs before it left.
        self.actions = self._plan_settled()
        lock = self._lock_name() if self.actions and not self.check_mode else None
        try:
            if lock is not None:
                self.actions = self._plan_settled()
            before = self._view(self.status, self.diffs, "before")
            if not self.check_mode:
                self._act()
            if not waiting:
                container = self._container()
        finally:
            if lock is not None:
                lock.release(remove=self.status == "absent")
        waited = None
        if not self.check_mode and self.params.get("state") == "started" and self.params.get("wait_healthy"):
            # Not under the lock either: health takes its time.
            from .service_glue import wait_healthy
            wait_healthy(self.root, self.name, float(self.params.get("wait_timeout") or 300.0))
            if not waiting:
                container = self._container()  # with the health it waited for
        if waiting:
            # Not under the lock: a container can run for as long as it likes.
            waited = self._wait()
            container = self._container()
        result = {
            "changed": any(a in CHANGES for a in self.actions),
            "actions": list(self.actions),
            "container": container,
            "diff": {"before": before, "after": results.after_view(self, container)},
        }
        if waited is not None:
            result["exit_code"] = waited
        if self.params.get("image"):
            from .image_glue import result_extras
            result.update(result_extras(self.desired))
        if self.diffs_reported_only:
            result["drift"] = [{"path": d.path, "before": d.before, "after": d.after} for d in self.diffs]
        return result

    def _lock_name(self):
        """The name's lock (name_lock.py), in a state root made if need be (create would make it)."""
        self.root.ensure()
        return NameLock(self.root.path, self.name).acquire()

    def _plan_settled(self):
        """plan(), once no other process is creating the container (or CREATING_WAIT has passed)."""
        deadline = time.monotonic() + CREATING_WAIT
        while True:
            try:
                return self.plan()
            except ContainerBusy:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)

    def _act(self):
        """Run the plan; after a lost race plan again from what is there, and run that."""
        bundle_existed = self.desired is not None and bundles.is_managed(self.desired.bundle)
        pending = list(self.actions)
        for attempt in range(REPLANS + 1):
            try:
                self._run_actions(pending, bundle_existed, retry=attempt < REPLANS)
                return
            except _LostRace:
                try:
                    pending = self._plan_settled()
                except RuntimeFailure as e:
                    e.partial_result = {"changed": any(a in CHANGES for a in self.done), "actions": list(self.done),
                                        "rolled_back": []}
                    raise
                self.actions = self.done + pending

    def _run_actions(self, actions, bundle_existed, retry=False):
        """Run ``actions``; on failure undo what this run made and say what is left.

        With ``retry``, a lost race (lost_race()) undoes nothing and raises
        _LostRace: the caller plans again from the container as it is now.
        """
        index = 0
        try:
            for index, action in enumerate(actions):
                getattr(self, "_do_" + action)()
                self.done.append(action)
        except RuntimeFailure as e:
            if retry and lost_race(e):
                raise _LostRace()
            undone = []
            if "create" in self.done:
                # A container this run created but could not bring to the asked
                # state (e.g. a failing start hook) is removed again.
                try:
                    self._do_delete()
                    undone.append("create")
                except RuntimeFailure as cleanup:
                    self.warn("cleanup after the failure: %s" % cleanup)
            if "write_bundle" in self.done and not bundle_existed and "create" in undone + actions[index:]:
                bundles.remove(self.desired.bundle)
                undone.append("write_bundle")
            kept = [a for a in self.done if a not in undone]
            e.partial_result = {"changed": any(a in CHANGES for a in kept), "actions": kept,
                                "rolled_back": undone}
            raise

    def _do_pull(self):
        """Done while planning: the image's config is what the desired config is made of."""

    def _do_write_bundle(self):
        bundles.write(self.desired.bundle, self.desired.config)

    def _do_create(self):
        from ..runtime.lifecycle.create import create
        if getattr(self.desired, "record", None):
            from .image_glue import prepare
            prepare(self.desired, self.root.path, self.name)
        log_path = self.params.get("log_path") or True
        self.state = create(self.root.path, self.name, self.desired.bundle, warn=self.warn,
                            log_path=log_path, log_max_size=self.params.get("log_max_size") or 1048576)
        self.status = CREATED

    def _do_start(self):
        from ..runtime.lifecycle.start import start
        self.state = start(self.root.path, self.name, warn=self.warn)
        self.status = RUNNING

    def _do_stop(self):
        from .stopper import stop
        if self.status == STOPPED:
            from ..runtime.lifecycle.intent import request_stop
            self.state = request_stop(self.root, self.name)  # only a restart to cancel
            return
        config = self.state.get("config") or {}
        signal = (self.params.get("stop_signal") or (config.get("annotations") or {}).get(STOP_SIGNAL_ANNOTATION)
                  or "SIGTERM")
        stop(self.root, self.state, signal, float(self.params.get("stop_timeout", 10.0)))
        self.state = self.root.load(self.name)
        self.status = live_status(self.state)

    def _do_delete(self):
        from ..runtime.lifecycle.delete import delete
        delete(self.root.path, self.name, force=True, warn=self.warn)
        self.status = "absent"
        if self.state is not None:
            from .image_glue import released
            released(self.state, self.root.path, self.name)

    def _do_remove_bundle(self):
        from .image_glue import remove_image_dirs
        remove_image_dirs(self.state.get("bundle"))
        bundles.remove(self.state.get("bundle"))

    def _do_update(self):
        from ..runtime.lifecycle.update import update
        update(self.root.path, self.name, drift.resources_update(self.diffs, self.desired.config), warn=self.warn)

    def _do_resume(self):
        from ..runtime.lifecycle.pause import resume
        resume(self.root.path, self.name)
        self.status = RUNNING

    def _wait(self):
        """Wait for the container's process to exit; return its exit code."""
        timeout = float(self.params.get("wait_timeout") or 300.0)
        deadline = time.monotonic() + timeout
        while True:
            state = self.root.load(self.name)
            # A monitor that was killed records nothing: the exit code is then unknown (None).
            if live_status(state) == STOPPED and not exit_pending(state):
                return state.get("exit_code")
            if time.monotonic() > deadline:
                raise RuntimeFailure("container %s still running after wait_timeout=%gs" % (self.name, timeout))
            time.sleep(0.02)

    def warn(self, message):
        self.warnings.append(message)
        if self._warn:
            self._warn(message)

    # -- reporting -------------------------------------------------------
    def _container(self):
        if self.check_mode:
            current = describe(self.state) if self.state is not None and "delete" not in self.actions else {}
            return results.predicted_container(self, current)
        if self.status == "absent":
            return {}
        try:
            state = load_settled(self.root, self.name)
        except ContainerNotFound:
            return {}
        info = describe(state)
        info["config"] = state.get("config") or {}
        lines = self.params.get("output_lines")
        if lines is None:
            lines = DEFAULT_OUTPUT_LINES if self.params.get("wait") else 0
        if lines:
            info["output"] = logs.tail(state.get("log_path"), lines)
        return info

    def _view(self, status, diffs, side):
        view = {"status": status}
        if diffs:
            view["config"] = dict((d.path, getattr(d, side)) for d in diffs)
        return view
