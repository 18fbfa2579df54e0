# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which cgroup hierarchies the host has, read from /proc/self/mountinfo.

A cgroup v1 ("legacy") host mounts one hierarchy per controller group, each
with the controllers it carries listed in its super-block options (e.g.
``rw,cpu,cpuacct``); a hierarchy with ``name=systemd`` and no controller only
groups processes. A cgroup v2 ("unified") host mounts one ``cgroup2`` tree
whose controllers are listed in its ``cgroup.controllers`` file. A "hybrid"
host has the v1 hierarchies plus a cgroup2 tree at ``<root>/unified`` that
owns the controllers no v1 hierarchy took (see cgroups(7) and
Documentation/admin-guide/cgroup-v2.rst, "Mounting").
"""

from .. import pathlite
from ..errors import UnsupportedError

LEGACY = "legacy"
HYBRID = "hybrid"
UNIFIED = "unified"

# Which kind of hierarchy a setting or a freezer lives in (resources.py, freezer.py).
V1 = "v1"
V2 = "v2"

# Controllers the kernel can attach to a v1 hierarchy (cgroups(7)). Other
# super-block options (rw, noprefix, clone_children, xattr, release_agent=...)
# are mount flags, not controllers.
V1_CONTROLLERS = frozenset([
    "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls",
    "net_prio", "blkio", "perf_event", "hugetlb", "pids", "rdma", "misc", "debug",
])


def unescape_mountinfo_field(field):
    """proc(5): mountinfo escapes space, tab, newline and backslash as \\ooo (octal)."""
    if "\\" not in field:
        return field
    import re  # only for escaped fields: re costs an exec several ms of imports
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


class MountEntry(object):
    """The fields of one mountinfo line that cgroup detection needs."""

    __slots__ = ("mount_point", "root", "fstype", "super_options")

    def __init__(self, mount_point, root, fstype, super_options):
        self.mount_point = mount_point
        self.root = root
        self.fstype = fstype
        self.super_options = super_options


def parse_mountinfo(text):
    """Parse mountinfo text (proc(5) format) into MountEntry objects, in order."""
    entries = []
    for line in text.splitlines():
        fields = line.split()
        if "-" not in fields:
            continue
        sep = fields.index("-")
        # before "-": id parent maj:min root mount_point mount_options [optional...]
        # after "-": fstype source super_options
        if sep < 5 or len(fields) < sep + 3:
            continue
        entries.append(MountEntry(unescape_mountinfo_field(fields[4]), unescape_mountinfo_field(fields[3]),
                                  fields[sep + 1], fields[sep + 3] if len(fields) > sep + 3 else ""))
    return entries


class Hierarchy(object):
    """One mounted cgroup hierarchy.

    ``name`` identifies it: the comma-joined v1 controllers ("cpu,cpuacct"),
    "name=systemd" for a named v1 hierarchy, "unified" for the cgroup2 tree of
    a hybrid host and "" for the single cgroup2 tree of a unified host.
    """

    def __init__(self, name, fstype, mount_point, controllers, named=None):
        self.name = name
        self.fstype = fstype
        self.mount_point = mount_point
        self.controllers = list(controllers)
        self.named = named

    @property
    def is_v2(self):
        return self.fstype == "cgroup2"

    def mount_options(self):
        """The data argument for mounting this hierarchy again (mount(2))."""
        if self.is_v2:
            return ""
        tokens = list(self.controllers)
        if self.named:
            if not tokens:
                # "none" asks for a hierarchy without controllers (cgroups(7)).
                tokens.append("none")
            tokens.append("name=" + self.named)
        return ",".join(tokens)

    def to_dict(self):
        return {"name": self.name, "fstype": self.fstype, "mount_point": self.mount_point,
                "controllers": list(self.controllers), "named": self.named}

    @classmethod
    def from_dict(cls, data):
        return cls(data["name"], data["fstype"], data["mount_point"],
                   data.get("controllers") or [], data.get("named"))


def _v1_hierarchy(entry):
    controllers = []
    named = None
    for option in entry.super_options.split(","):
        if option.startswith("name="):
            named = option[len("name="):]
        elif option in V1_CONTROLLERS:
            controllers.append(option)
    if not controllers and not named:
        return None
    name = ",".join(controllers)
    if named:
        name = ",".join(controllers + ["name=" + named]) if controllers else "name=" + named
    return Hierarchy(name, "cgroup", entry.mount_point, controllers, named)


def _v2_controllers(mount_point, files):
    try:
        return files.read(pathlite.join(mount_point, "cgroup.controllers")).split()
    except (OSError, IOError):
        return []


def read_host_mountinfo():
    with open("/proc/self/mountinfo") as handle:
        return handle.read()


def detect_hierarchies(mount_root, mountinfo, files):
    """Return (mode, [Hierarchy]) for the cgroup mounts at ``mount_root``.

    ``mountinfo`` is the text of a mountinfo file; ``files`` reads
    cgroup.controllers of a cgroup2 mount.
    """
    root = pathlite.normpath(mount_root)
    by_mount_point = {}
    for entry in parse_mountinfo(mountinfo):
        if entry.fstype in ("cgroup", "cgroup2"):
            # A later mount on the same point hides the earlier one.
            by_mount_point[entry.mount_point] = entry
        elif entry.mount_point in by_mount_point:
            del by_mount_point[entry.mount_point]

    top = by_mount_point.get(root)
    if top is not None and top.fstype == "cgroup2":
        return UNIFIED, [Hierarchy("", "cgroup2", root, _v2_controllers(root, files))]

    v1 = []
    seen = set()
    for mount_point in sorted(by_mount_point):
        entry = by_mount_point[mount_point]
        if entry.fstype != "cgroup" or pathlite.dirname(mount_point) != root:
            continue
        hierarchy = _v1_hierarchy(entry)
        # The same hierarchy may be mounted twice (e.g. "cpu,cpuacct" and a
        # bind of it); keep the first.
        if hierarchy is None or hierarchy.name in seen:
            continue
        seen.add(hierarchy.name)
        v1.append(hierarchy)
    if not v1:
        raise UnsupportedError("no cgroup hierarchy is mounted at %s (neither cgroup2 at %s "
                               "nor cgroup v1 hierarchies below it)" % (root, root))
    unified_point = pathlite.join(root, "unified")
    unified = by_mount_point.get(unified_point)
    if unified is not None and unified.fstype == "cgroup2":
        v1.append(Hierarchy("unified", "cgroup2", unified_point,
                            _v2_controllers(unified_point, files)))
        return HYBRID, v1
    return LEGACY, v1
