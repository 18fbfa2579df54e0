# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Operations on the cgroup of a live container: update, freeze/thaw, stats.

These are what runc's update, pause, resume and events verbs need. They are
a mixin of CgroupManager (manager.py), which supplies where the container's
cgroup directories are (``_dir``, ``_v1_with``, ``_v2``, ``_ancestors``), the controller
lookup (``_locate``), the control-file access (``_files``) and the write
planning shared with create (``_targets``, ``_enable_v2_controllers``).
"""

from .. import pathlite

from ..errors import CgroupError, UnsupportedError
from .detect import V1, V2
from .files import write_plan

# The resources tables, freezer, stats and devices_bpf are imported where they
# are used: every exec builds a CgroupManager (a LiveCgroup) only to join the
# cgroup, and the CLI pays for each module it imports on every command.


class LiveCgroup(object):
    """update(), freeze(), thaw(), freezer_state() and stats() of a container's cgroup."""

    def update(self, resources):
        """Change the limits of a live cgroup to ``resources`` (only the fields given).

        Unlike apply(), device rules are rewritten only when given, and a
        write the kernel refuses (e.g. EBUSY: a memory limit below the
        current usage, memory.rst 2.5) restores the single-value files
        already written, so a failed update leaves the old limits in place.
        """
        from .resources import translate
        plan = translate(resources, self._locate, self._read_memory_limit, False)
        self._enable_planned_v2_controllers(plan)
        done = []
        try:
            write_plan(self._files, self._targets(plan), done)
            if plan.device_flavor == V2:
                from . import devices_bpf
                devices_bpf.apply_device_rules(self._dir(self._v2()), plan.device_rules, self._syscalls())
        except Exception:
            self._restore(done)
            raise

    def _restore(self, done):
        for directory, filename, before in reversed(done):
            # Multi-line files (device lists, io.max, rules) are not values
            # that can be written back; the scalar limits are.
            if before is None or "\n" in before or filename.startswith("devices."):
                continue
            try:
                self._files.write(pathlite.join(directory, filename), before)
            except (OSError, IOError):
                pass

    # -- freezer (pause/resume) ------------------------------------------------
    def _freezer(self):
        """(flavor, directory) of the freezer: the v1 controller, else cgroup.freeze of v2."""
        from . import freezer
        hierarchy = self._v1_with("freezer")
        if hierarchy is not None:
            return V1, self._dir(hierarchy)
        v2 = self._v2()
        if v2 is not None:
            return V2, self._dir(v2)
        raise UnsupportedError("this host has no cgroup freezer (no v1 freezer hierarchy and no cgroup v2 tree)")

    def freeze(self, timeout=5.0):
        """Stop every process of the container's cgroup; returns once they all are."""
        from . import freezer
        flavor, directory = self._freezer()
        freezer.set_state(self._files, flavor, directory, True, timeout)

    def thaw(self, timeout=5.0):
        from . import freezer  # imported where used: see the note at the top
        flavor, directory = self._freezer()
        freezer.set_state(self._files, flavor, directory, False, timeout)

    def require_thawed(self):
        """Refuse a cgroup path that is frozen, or lies below a frozen cgroup (before create).

        Every hierarchy with a freezer counts: the v1 freezer and, on a
        hybrid host as well, the v2 tree the init also joins. The first
        existing directory from the top that is frozen is named; missing
        directories are checked through their existing ancestors (a new
        cgroup inherits the frozen state).
        """
        from . import freezer
        for hierarchy in self.hierarchies:
            if not (hierarchy.is_v2 or "freezer" in hierarchy.controllers):
                continue
            flavor = V2 if hierarchy.is_v2 else V1
            for directory in self._ancestors(hierarchy)[1:]:  # the root cgroup cannot be frozen
                if not self._files.isdir(directory):
                    break
                reason = freezer.frozen_reason(self._files, flavor, directory)
                if reason:
                    raise CgroupError("linux.cgroupsPath: cgroup %s is frozen (%s): the container's "
                                      "processes would stop as they join it" % (directory, reason))

    def freezer_state(self):
        """FROZEN, FREEZING or THAWED."""
        from . import freezer
        flavor, directory = self._freezer()
        return freezer.current_state(self._files, flavor, directory)

    # -- statistics ----------------------------------------------------------------
    def stats(self):
        """One sample of usage statistics (the data of runc's stats event)."""
        from . import stats
        dirs = {}
        v2 = self._v2()
        for controller, v2_name in (("cpu", "cpu"), ("cpuacct", None), ("cpuset", "cpuset"), ("memory", "memory"),
                                    ("pids", "pids"), ("blkio", "io"), ("hugetlb", "hugetlb")):
            hierarchy = self._v1_with(controller)
            if hierarchy is not None:
                dirs[controller] = ("v1", self._dir(hierarchy))
            elif v2 is not None and v2_name and (v2_name == "cpu" or v2_name in v2.controllers):
                # cpu.stat's usage lines are a core v2 file, there without the cpu controller.
                dirs[v2_name if controller == "blkio" else controller] = ("v2", self._dir(v2))

        def names(directory):
            try:
                return self._files.listdir(directory)
            except (OSError, IOError):
                return []
        return stats.collect(self._files, dirs, names, lambda: len(self.pids()))
