# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The container's view of the cgroup file systems (a "cgroup" mount).

config.md lists a mount of type "cgroup" (usually at /sys/fs/cgroup); what
it shows depends on the host (cgroups(7)):

* cgroup v2 only: one cgroup2 file system at the destination;
* v1 or hybrid: a tmpfs at the destination holding one directory per v1
  hierarchy, named by its controllers ("memory", "cpu,cpuacct", "systemd"
  for name=systemd) plus, for hybrid, the cgroup2 tree in "unified". A host
  also has symlinks "cpu" and "cpuacct" to "cpu,cpuacct", and so do we.

The hierarchies come from the cgroup setup as ``cgroup_mounts``: dicts with
"name", "fstype", "options" and "host_path" (the container's cgroup
directory on the host). With a cgroup namespace, mount(2) of a cgroup file
system shows the namespace's root, which is the container's cgroup, so the
file systems are mounted directly (cgroup_namespaces(7)); without one that
would show the host's whole tree, so the container's directory is bind
mounted instead.
"""

import os

from ..errors import RootfsError
from ..syscalls import consts as C
from .mountcalls import Target, bind_mount, call_mount, fail
from .options import BIND_OPERATION_FLAGS, MountOptions, format_mount_label, locked_flags
from .securejoin import open_in_root

_TMPFS_FLAGS = C.MS_NOSUID | C.MS_NODEV | C.MS_NOEXEC


def subdirectory_name(hierarchy):
    """Directory of a hierarchy under the cgroup tmpfs ("name=systemd" -> "systemd")."""
    name = hierarchy.get("name") or ""
    if name.startswith("name="):
        name = name[len("name="):]
    if not name and hierarchy.get("fstype") == "cgroup2":
        name = "unified"
    if not name or "/" in name or name in (".", ".."):
        raise RootfsError("cgroup hierarchy %r has no usable name" % (hierarchy,))
    return name


def controller_links(name):
    """Symlinks a host has for a co-mounted hierarchy: "cpu,cpuacct" -> cpu, cpuacct."""
    if "," not in name:
        return []
    return [part for part in name.split(",") if part and part != name]


def mount_cgroup(where, fstype, destination, options, ctx):
    """Mount the container's cgroup tree at ``destination``."""
    hierarchies = ctx.cgroup_mounts
    if fstype == "cgroup2":
        # An explicit cgroup2 mount gets the unified hierarchy only.
        hierarchies = [h for h in hierarchies if h.get("fstype") == "cgroup2"]
    if not hierarchies:
        raise RootfsError("%s: no cgroup hierarchies are known for this %s mount "
                          "(the cgroup setup must pass cgroup_mounts)" % (where, fstype))
    flags = options.flags & ~BIND_OPERATION_FLAGS
    if len(hierarchies) == 1 and hierarchies[0].get("fstype") == "cgroup2":
        _mount_hierarchy(where, hierarchies[0], destination, flags, ctx)
        return
    _mount_v1_layout(where, hierarchies, destination, flags, ctx)


def _mount_v1_layout(where, hierarchies, destination, flags, ctx):
    sc = ctx.syscalls
    # The tmpfs stays writable until the sub-directories and links exist.
    tmpfs_flags = (flags & ~C.MS_RDONLY) | _TMPFS_FLAGS
    with Target(where, ctx, destination, "dir") as target:
        # A tmpfs takes linux.mountLabel like any other; the cgroup file
        # systems under it do not get one (see _mount_hierarchy).
        call_mount(where, sc, "tmpfs", target, "tmpfs", tmpfs_flags,
                   format_mount_label("mode=755", ctx.mount_label),
                   action="mount(2) of the cgroup tmpfs")
    for hierarchy in hierarchies:
        name = subdirectory_name(hierarchy)
        _mount_hierarchy(where, hierarchy, destination + "/" + name, flags, ctx)
        links = controller_links(name)
        if links:
            _make_links(where, ctx, destination, name, links)
    if flags & C.MS_RDONLY:
        with Target(where, ctx, destination) as target:
            try:
                locked = locked_flags(target)
            except OSError as exc:
                raise fail(where, "reading the flags of the cgroup tmpfs", exc)
            call_mount(where, sc, "", target, "",
                       C.MS_BIND | C.MS_REMOUNT | C.MS_RDONLY | locked | _TMPFS_FLAGS, None,
                       action="read-only remount of the cgroup tmpfs")


def _mount_hierarchy(where, hierarchy, destination, flags, ctx):
    fstype = hierarchy.get("fstype") or "cgroup"
    if ctx.cgroupns:
        # No context= here: cgroup file systems are labelled by the policy
        # (genfscon), as runc mounts them without linux.mountLabel.
        data = hierarchy.get("options") or (hierarchy.get("name") if fstype == "cgroup" else "")
        with Target(where, ctx, destination, "dir") as target:
            call_mount(where, ctx.syscalls, fstype, target, fstype, flags, data,
                       action="mount(2) of %s hierarchy %r" % (fstype, hierarchy.get("name")))
        return
    host_path = hierarchy.get("host_path")
    if not host_path:
        raise RootfsError("%s: cgroup hierarchy %r has no host_path to bind"
                          % (where, hierarchy.get("name")))
    bind_mount(where, host_path, destination, MountOptions(flags | C.MS_BIND | C.MS_REC), ctx)


def _make_links(where, ctx, destination, name, links):
    try:
        dir_fd = open_in_root(ctx.rootfs, destination, syscalls=ctx.syscalls)
    except OSError as exc:
        raise fail(where, "opening the cgroup tmpfs", exc)
    try:
        for link in links:
            try:
                os.symlink(name, link, dir_fd=dir_fd)
            except FileExistsError:
                pass  # a hierarchy of that name was mounted: keep it
            except OSError as exc:
                raise fail(where, "symlink %s -> %s" % (link, name), exc)
    finally:
        os.close(dir_fd)
