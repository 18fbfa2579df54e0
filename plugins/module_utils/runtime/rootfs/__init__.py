# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The container's root file system: mounts, /dev, pivot_root, masked paths.

The init process calls, inside its new mount namespace and in this order,
``setup.prepare_rootfs(config, rootfs, cgroup_mounts, syscalls)``,
``setup.pivot_root(rootfs, syscalls)`` and
``setup.finalize_rootfs(config, syscalls)``. Paths inside the rootfs are
resolved with ``securejoin.open_in_root`` so no symlink can lead out of it.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from . import securejoin, setup
from .securejoin import open_in_root, resolve_in_root
from .setup import finalize_rootfs, pivot_root, prepare_rootfs

__all__ = ["setup", "securejoin", "prepare_rootfs", "pivot_root", "finalize_rootfs",
           "open_in_root", "resolve_in_root"]
