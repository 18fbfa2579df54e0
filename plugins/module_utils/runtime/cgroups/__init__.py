# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Control groups for containers (config-linux.md "Control groups").

The kernel offers cgroups in two versions: v1 ("legacy", one hierarchy per
controller group), v2 ("unified", a single tree) and, on many hosts, both at
once ("hybrid"). :class:`CgroupManager` hides the difference: plan() detects
the host's layout, create() makes the container's cgroup everywhere,
apply() writes linux.resources, add_process() joins a process and destroy()
removes only what create() made.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from .detect import HYBRID, LEGACY, UNIFIED, Hierarchy, detect_hierarchies, parse_mountinfo
from .devices import DeviceRule, normalize_rules
from .files import CgroupFiles
from .manager import DEFAULT_MOUNT_ROOT, CgroupManager, resolve_cgroups_path
from .v2 import blkio_weight_to_io_weight, shares_to_weight

__all__ = [
    "CgroupFiles", "CgroupManager", "DEFAULT_MOUNT_ROOT", "DeviceRule", "HYBRID", "Hierarchy",
    "LEGACY", "UNIFIED", "blkio_weight_to_io_weight", "detect_hierarchies", "normalize_rules",
    "parse_mountinfo", "resolve_cgroups_path", "shares_to_weight",
]
