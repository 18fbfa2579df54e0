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

A config difference from the one the container was created from (state.json
keeps it) in cgroup resources only is applied in place; any other means a
new container, unless ``recreate: never``.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ..runtime.errors import ContainerNotFound, RuntimeFailure
from ..runtime.ids import validate_id
from ..runtime.lifecycle.query import describe, load_settled
from ..runtime.state import StateRoot
from ..runtime.status import CREATED, CREATING, PAUSED, RUNNING, STOPPED, exit_pending, live_status
from . import bundles, drift, logs
from .desired import STOP_SIGNAL_ANNOTATION, Desired, OptionError, desired_container
from .options import IGNORE, SET, STRICT, comparison_path

# Actions that change the host (every other entry in `actions` only reports).
CHANGES = ("pull", "write_bundle", "create", "start", "stop", "delete", "update", "resume", "remove_bundle")
DEFAULT_OUTPUT_LINES = 20


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
        self.desired = None
        self.diffs = []
        self.diffs_reported_only = False
        self.ignored = []
        self.done = []
        self.actions = []

    # -- reading ---------------------------------------------------------
    def load(self):
        if not self.root.exists():
            return
        try:
            self.state = self.root.load(self.name)
        except ContainerNotFound:
            return
        self.status = live_status(self.state)

    def plan(self):
        validate_id(self.name)
        self.load()
        want = self.params.get("state") or "started"
        if self.status == CREATING:
            raise RuntimeFailure("container %s is being created by another process" % self.name)
        if want == "absent":
            return self._plan_absent()
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
        return ["pull"] if getattr(self.desired, "pull_changed", False) else []

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
            self.warnings.append("container %s differs from the requested config (%s); left as is "
                                 "because recreate=never" % (self.name, ", ".join(d.path for d in self.diffs)))
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
        return actions

    # -- doing -----------------------------------------------------------
    def converge(self):
        self.actions = self.plan()
        before = self._view(self.status, self.diffs, "before")
        if not self.check_mode:
            self._run_actions()
        waited = None
        if not self.check_mode and self.params.get("state") == "started" and self.params.get("wait"):
            waited = self._wait()
        container = self._container()
        result = {
            "changed": any(a in CHANGES for a in self.actions),
            "actions": list(self.actions),
            "container": container,
            "diff": {"before": before, "after": self._after_view(container)},
        }
        if waited is not None:
            result["exit_code"] = waited
        if self.params.get("image"):
            from .image_glue import result_extras
            result.update(result_extras(self.desired))
        if self.diffs_reported_only:
            result["drift"] = [{"path": d.path, "before": d.before, "after": d.after} for d in self.diffs]
        return result

    def _run_actions(self):
        """Run the planned actions; on failure undo what this run made and say what is left."""
        bundle_existed = self.desired is not None and bundles.is_managed(self.desired.bundle)
        try:
            for action in self.actions:
                getattr(self, "_do_" + action)()
                self.done.append(action)
        except RuntimeFailure as e:
            undone = []
            if "create" in self.done:
                # A container this run created but could not bring to the asked
                # state (e.g. a failing start hook) is removed again.
                try:
                    self._do_delete()
                    undone.append("create")
                except RuntimeFailure as cleanup:
                    self.warn("cleanup after the failure: %s" % cleanup)
            if "write_bundle" in self.done and not bundle_existed and "create" in undone + self.actions[len(self.done):]:
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
        if self.check_mode or self.status == "absent":
            if self.check_mode and self.state is not None and "delete" not in self.actions:
                return describe(self.state)
            return {}
        try:
            state = load_settled(self.root, self.name)
        except ContainerNotFound:
            return {}
        info = describe(state)
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

    def _after_view(self, container):
        want = self.params.get("state") or "started"
        if want == "absent":
            return {"status": "absent"}
        if not self.check_mode:
            target = container.get("status", "absent")
        elif "create" in self.actions:
            target = RUNNING if "start" in self.actions else CREATED
        elif "start" in self.actions or "resume" in self.actions:
            target = RUNNING
        elif "stop" in self.actions:
            target = STOPPED
        else:
            target = self.status
        view = {"status": target}
        if self.diffs:
            view["config"] = dict((d.path, d.after) for d in self.diffs)
        elif self.state is None and self.desired is not None:
            view["config"] = self.desired.config
        return view
