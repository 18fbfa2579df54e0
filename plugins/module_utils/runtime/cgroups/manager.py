# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The container's cgroup: create, configure, join, list and remove it.

A container gets one cgroup directory at the same relative path in every
mounted hierarchy (config-linux.md "cgroupsPath"): on a v1 host one per
hierarchy, including named ones such as name=systemd, on a unified host one
in the single cgroup2 tree, and on a hybrid host both. The manager remembers
which directories it created itself, so that destroy() never removes a
cgroup that existed before (config-linux.md: a runtime MAY use an existing
cgroup, and it is not the runtime's to delete), except the orphan of one of
this runtime's own containers, which create adopts.

A cgroup belongs to one container at a time: create claims it host-wide and
records its identity, and delete acts on it only while it is still the same
cgroup and still claimed by that container (owner.py).
"""

import errno
import posix  # os without os.py: runtime/pathlite.py says why

from .. import pathlite
from ..errors import CgroupError, UnsupportedError
from ..ids import validate_id
from . import detect, owner
from .detect import V1, V2
from .files import CgroupFiles, read_control, write_control, write_plan
from .lifetime import CgroupLifetime
from .live import LiveCgroup
from .membership import STATE_VERSION, join

# resources (the v1/v2/devices tables) and devices_bpf are imported where used,
# as in live.py: exec builds a CgroupManager only to join the cgroup.

DEFAULT_MOUNT_ROOT = "/sys/fs/cgroup"
DEFAULT_PARENT = "opencontainer"
_CGROUPS_PATH = "linux.cgroupsPath"


def state_root_tag(state_root):
    """8 hex digits of the SHA-256 of the state root's real path: its level in default cgroup paths."""
    import hashlib  # create only
    from os.path import realpath
    return hashlib.sha256(realpath(state_root).encode("utf-8")).hexdigest()[:8]


def resolve_cgroups_path(container_id, cgroups_path, state_root=None):
    """The container's cgroup path relative to each hierarchy's root.

    Both "/a/b" and "a/b" name a/b below the root of every hierarchy; None
    (or "") means opencontainer/<tag>/<id>, where the tag tells state roots
    apart (state_root_tag): one id may live in two state roots, never in one
    cgroup. Without a state root (unit tests) it is opencontainer/<id>.
    """
    if cgroups_path is None or cgroups_path == "":
        # The id becomes a path component: validate_id refuses "/" and "..".
        if state_root is None:
            return "%s/%s" % (DEFAULT_PARENT, validate_id(container_id))
        return "%s/%s/%s" % (DEFAULT_PARENT, state_root_tag(state_root), validate_id(container_id))
    if not isinstance(cgroups_path, str):
        raise CgroupError("%s: must be a string, not %r" % (_CGROUPS_PATH, cgroups_path))
    if not cgroups_path.startswith("/") and cgroups_path.count(":") == 2:
        raise UnsupportedError("%s: %r is a systemd \"slice:prefix:name\" path; this runtime "
                               "has no systemd cgroup driver, use a path like /machine/%s"
                               % (_CGROUPS_PATH, cgroups_path, container_id))
    if "\0" in cgroups_path:
        raise CgroupError("%s: %r contains a NUL byte" % (_CGROUPS_PATH, cgroups_path))
    parts = [p for p in cgroups_path.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise CgroupError("%s: %r must not contain \"..\" components" % (_CGROUPS_PATH,
                                                                         cgroups_path))
    if not parts:
        raise CgroupError("%s: %r names the root cgroup; the container needs its own cgroup"
                          % (_CGROUPS_PATH, cgroups_path))
    return "/".join(parts)


class CgroupManager(CgroupLifetime, LiveCgroup):
    """See the module docstring; build one with plan() or from_dict().

    create and destroy come from CgroupLifetime (lifetime.py); update,
    freeze/thaw and stats of a running container from LiveCgroup.
    """

    def __init__(self, container_id, mode, hierarchies, path, created=None,
                 files=None, syscalls=None, claim=None, identity=None):
        self.container_id = container_id
        self.mode = mode
        self.hierarchies = list(hierarchies)
        self.path = path
        self.created = list(created or [])
        self._files = files if files is not None else CgroupFiles()
        self._syscalls_obj = syscalls
        # {"token", "file", "state_root", "adopt"} of the host-wide claim (owner.py); None: no claim
        self.claim = claim
        # {"boot_id", "inodes"} of the directories once they exist (owner.identity)
        self.identity = identity
        # leaf directories that existed before create: their old limits are reset by apply()
        self.preexisting = []

    # -- construction / persistence --------------------------------------
    @classmethod
    def plan(cls, container_id, cgroups_path, mount_root=DEFAULT_MOUNT_ROOT, mountinfo=None,
             files=None, syscalls=None, state_root=None, claims_dir=owner.CLAIMS_DIR):
        """Decide where the container's cgroups go; touches nothing.

        With ``state_root`` the default path is that state root's, and create
        claims the cgroup in ``claims_dir`` for the container ``state_root``/``container_id``.
        """
        path = resolve_cgroups_path(container_id, cgroups_path, state_root)
        files = files if files is not None else CgroupFiles()
        if mountinfo is None:
            mountinfo = detect.read_host_mountinfo()
        mode, hierarchies = detect.detect_hierarchies(mount_root, mountinfo, files)
        claim = None
        if state_root is not None:
            from os.path import realpath
            claim = {"token": posix.urandom(16).hex(), "state_root": realpath(state_root),
                     "file": owner.Claims(claims_dir, files).file_for(path),
                     # the default path is this runtime's own: an orphan there is always one of ours
                     "adopt": not cgroups_path}
        return cls(container_id, mode, hierarchies, path, files=files, syscalls=syscalls, claim=claim)

    def to_dict(self):
        return {"version": STATE_VERSION, "container_id": self.container_id, "mode": self.mode,
                "path": self.path, "hierarchies": [h.to_dict() for h in self.hierarchies],
                "paths": self.paths, "created": list(self.created),
                "claim": self.claim, "identity": self.identity}

    @classmethod
    def from_dict(cls, data, files=None, syscalls=None):
        try:
            if data.get("version") != STATE_VERSION:
                raise ValueError("unknown version %r" % (data.get("version"),))
            if data["mode"] not in (detect.LEGACY, detect.HYBRID, detect.UNIFIED):
                raise ValueError("unknown mode %r" % (data["mode"],))
            hierarchies = [detect.Hierarchy.from_dict(h) for h in data["hierarchies"]]
            return cls(data["container_id"], data["mode"], hierarchies, data["path"],
                       data.get("created") or [], files=files, syscalls=syscalls,
                       claim=data.get("claim"), identity=data.get("identity"))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CgroupError("saved cgroup state is unusable: %s" % (exc,))

    # -- where things are -------------------------------------------------
    @property
    def paths(self):
        """hierarchy name -> host directory of the container's cgroup."""
        return dict((h.name, self._dir(h)) for h in self.hierarchies)

    def _dir(self, hierarchy):
        return pathlite.join(hierarchy.mount_point, *self.path.split("/"))

    def _v2(self):
        for hierarchy in self.hierarchies:
            if hierarchy.is_v2:
                return hierarchy
        return None

    def _v1_with(self, controller):
        for hierarchy in self.hierarchies:
            if not hierarchy.is_v2 and controller in hierarchy.controllers:
                return hierarchy
        return None

    def _locate(self, v1_name, v2_name, where):
        """V1 or V2 for the hierarchy that runs a controller (see resources.translate)."""
        if v1_name and self._v1_with(v1_name) is not None:
            return V1
        v2 = self._v2()
        # Device rules and cgroup.* core files need no controller in v2.
        if v2 is not None and v2_name and (v2_name in ("devices", "cgroup")
                                           or v2_name in v2.controllers):
            return V2
        v1_names = sorted(set(c for h in self.hierarchies if not h.is_v2 for c in h.controllers))
        if v1_name:
            what = "the %s cgroup controller is not available on this host" % v1_name
        else:
            what = "the %s controller is not available in the cgroup v2 hierarchy" % v2_name
        raise UnsupportedError("%s: %s (%s cgroups; v1 controllers: %s; v2 controllers: %s)"
                               % (where, what, self.mode, ", ".join(v1_names) or "none",
                                  ", ".join(v2.controllers) if v2 is not None and v2.controllers
                                  else "none"))

    def _ancestors(self, hierarchy):
        """Directories from the hierarchy root down to the container's cgroup."""
        dirs = [hierarchy.mount_point]
        for part in self.path.split("/"):
            dirs.append(pathlite.join(dirs[-1], part))
        return dirs

    # -- apply ------------------------------------------------------------
    def apply(self, resources, default_devices=True):
        """Write ``linux.resources`` (a dict, None or {}) to the control files.

        Device access is always restricted to the config's rules plus the
        default devices (like runc) unless ``default_devices`` is False, in
        which case device rules are written only if the config has some
        (for updating a running container's other limits).
        """
        from .resources import translate
        plan = translate(resources, self._locate, self._read_memory_limit, default_devices)
        self._reset_stale_limits()
        self._enable_planned_v2_controllers(plan)
        write_plan(self._files, self._targets(plan))
        if plan.device_flavor == V2:
            from . import devices_bpf
            directory = self._dir(self._v2())
            devices_bpf.apply_device_rules(directory, plan.device_rules, self._syscalls(),
                                           replace=directory in self.preexisting)

    def _reset_stale_limits(self):
        """Give a cgroup that existed before create a new cgroup's limits back (reset.py says why)."""
        if not self.preexisting:
            return
        from .reset import stale_limit_writes
        for hierarchy in self.hierarchies:
            directory = self._dir(hierarchy)
            if directory in self.preexisting:
                for filename, value in stale_limit_writes(self._files, hierarchy, directory):
                    write_control(self._files, directory, filename, value,
                                  "%s: resetting %s, left by an earlier user of cgroup /%s"
                                  % (_CGROUPS_PATH, filename, self.path))

    def _targets(self, plan):
        """(directory, file name, Write) of each write of a plan, in order."""
        v2 = self._v2()
        for flavor, write in plan.writes:
            if flavor == V2:
                directory = self._dir(v2)
            else:
                directory = self._dir(self._v1_with(write.controller))
            filename = write.filename
            if write.fallback and not self._files.exists(pathlite.join(directory, filename)) \
                    and self._files.exists(pathlite.join(directory, write.fallback)):
                filename = write.fallback
            yield directory, filename, write

    def _enable_planned_v2_controllers(self, plan):
        """Enable, in the v2 tree, the controllers ``plan`` writes to."""
        needed = plan.v2_controllers()
        if needed:
            first_field = {}
            for flavor, write in plan.writes:
                if flavor == V2:
                    first_field.setdefault(write.controller, write.field)
            self._enable_v2_controllers(self._v2(), needed, first_field)

    def _enable_v2_controllers(self, v2, controllers, first_field):
        # cgroup-v2.rst "Enabling and Disabling": a controller's files appear
        # in a cgroup only when its parent lists it in cgroup.subtree_control,
        # so every ancestor enables exactly the controllers the config needs.
        for directory in self._ancestors(v2)[:-1]:
            enabled = (read_control(self._files, directory, "cgroup.subtree_control") or "").split()
            for controller in controllers:
                if controller not in enabled:
                    write_control(self._files, directory, "cgroup.subtree_control",
                                  "+" + controller, first_field[controller])

    def _read_memory_limit(self):
        hierarchy = self._v1_with("memory")
        if hierarchy is None:
            return None
        value = read_control(self._files, self._dir(hierarchy), "memory.limit_in_bytes")
        try:
            return int(value)
        except (TypeError, ValueError):
            return None

    def _syscalls(self):
        if self._syscalls_obj is None:
            from ..syscalls.host import real
            self._syscalls_obj = real()
        return self._syscalls_obj

    # -- processes ----------------------------------------------------------
    def membership(self):
        """The container's cgroups as membership.join() and fork_into() take them: (directory, is_v2)."""
        return [(self._dir(h), h.is_v2) for h in self.hierarchies]

    def add_process(self, pid):
        """Move ``pid`` (0 = the calling process, single-threaded) into the container's cgroups."""
        join(self.membership(), pid, self._files)

    def pids(self):
        """Pids in the container's cgroup and its child cgroups."""
        hierarchy = self._v2()
        if hierarchy is None:
            for name in ("pids", "freezer", "name=systemd"):
                hierarchy = next((h for h in self.hierarchies if name in h.controllers
                                  or name == h.name), None)
                if hierarchy is not None:
                    break
        if hierarchy is None:
            hierarchy = self.hierarchies[0]
        found = set()
        self._collect_pids(self._dir(hierarchy), found)
        return sorted(found)

    def _collect_pids(self, directory, found):
        try:
            content = self._files.read(pathlite.join(directory, "cgroup.procs"))
            children = self._files.subdirs(directory)
        except (OSError, IOError) as exc:
            if exc.errno == errno.ENOENT:
                return  # the cgroup is gone (or was never created): no processes
            raise CgroupError("reading %s: %s" % (pathlite.join(directory, "cgroup.procs"),
                                                  posix.strerror(exc.errno or 0)))
        found.update(int(line) for line in content.split() if line.isdigit())
        for child in children:
            self._collect_pids(pathlite.join(directory, child), found)

    # -- for the rootfs room -------------------------------------------------
    def container_mounts(self):
        """The hierarchies to mount at /sys/fs/cgroup inside the container."""
        mounts = []
        for hierarchy in self.hierarchies:
            mounts.append({"name": hierarchy.name, "fstype": hierarchy.fstype,
                           "options": hierarchy.mount_options(),
                           "host_path": self._dir(hierarchy)})
        return mounts
