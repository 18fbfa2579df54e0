# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Perform one entry of config.json ``mounts`` inside the container's rootfs.

config.md "Mounts": each entry is a mount(2) call, made in order, whose
destination is a path inside the container. Destinations are resolved with
:mod:`.securejoin` so no symlink in the rootfs can point them at the host,
and the mount is made onto "/proc/self/fd/<fd>" of the resolved location.

A bind mount is type "bind" or any type with option "bind"/"rbind"
(mountcalls.bind_mount); a "remount" without them changes a file system's
own flags and is allowed only on one an earlier entry made (never on a host
file system); "cgroup"/"cgroup2" build the container's cgroup
tree (cgroupfs.py); any other type is a fresh file system instance passed to
mount(2) with its flags and data string.

linux.mountLabel (SELinux) is added to that data string as context="<label>"
(options.format_mount_label) for tmpfs, devpts, mqueue and the like, as runc
does. Not for proc and sysfs, whose files the policy labels itself (genfscon)
and which runc mounts unlabelled, nor for bind mounts, where mount(2)
ignores the data.
"""

import errno
import os

from ..errors import RootfsError, UnsupportedError
from ..syscalls import consts as C
from . import cgroupfs
from .mountcalls import (
    Target, apply_propagation, apply_recursive_attributes, bind_mount, call_mount, host_source,
    normalize_destination, where_of,
)
from .options import MountOptions, format_mount_label, parse_mount_options, readonly_deferred

# When the kernel refuses a fresh instance of these file systems with EPERM
# (sysfs outside a network namespace owned by our user namespace, mqueue
# outside an IPC namespace owned by it), bind the host's instance instead,
# as runc does.
_BIND_FALLBACK_ON_EPERM = {"sysfs": "/sys", "mqueue": "/dev/mqueue"}

# File systems mounted without linux.mountLabel (see the module docstring).
_UNLABELLED = frozenset(("proc", "sysfs"))
# Mounted only on an ordinary directory, no symlink on the way (mountcalls.Target).
_ORDINARY_DIRECTORY_ONLY = frozenset(("proc", "sysfs"))


def labelled_data(fstype, options, label):
    """The data string for a fresh ``fstype`` mount, with linux.mountLabel
    where it applies. A remount keeps its data as given: SELinux refuses a
    remount whose context differs from the one the file system has.
    """
    if fstype in _UNLABELLED or options.flags & C.MS_REMOUNT:
        return options.data
    return format_mount_label(options.data, label)


def mount_entry(index, entry, ctx, mounts=None):
    """Perform config["mounts"][index] (``mounts`` is config["mounts"]); raise RootfsError naming it."""
    destination = normalize_destination(entry["destination"])
    where = where_of(index, entry["destination"])
    if destination == "/":
        raise RootfsError("%s: mounting over the container's root is not supported; "
                          "use root.path instead" % where)
    if "uidMappings" in entry or "gidMappings" in entry:
        raise UnsupportedError("%s: idmapped mounts (uidMappings/gidMappings) are not supported" % where)
    fstype = entry.get("type") or ""
    options = parse_mount_options(entry.get("options"), "mounts[%d].options" % index)
    if fstype == "bind" or options.is_bind:
        bind_mount(where, host_source(entry.get("source"), ctx), destination, options, ctx,
                   tree_fd=ctx.source_fds.get(index))
        apply_recursive_attributes(where, ctx, destination, options)
        ctx.mounted[destination] = "bind"
        return
    if options.flags & C.MS_REMOUNT and ctx.mounted.get(destination) in (None, "bind"):
        # mount(2): MS_REMOUNT without MS_BIND changes the file system's own
        # (superblock) flags, for every mount of it: on anything but a file
        # system an earlier entry made, that is the host's (its /dev, say).
        raise RootfsError("%s: a remount without \"bind\" changes the file system itself, which "
                          "only a file system an earlier entry of mounts made may be; use the options "
                          "\"bind\", \"remount\" to change the flags of this mount alone" % where)
    if fstype in ("cgroup", "cgroup2"):
        cgroupfs.mount_cgroup(where, fstype, destination, options, ctx)
    else:
        if mounts is not None and readonly_deferred(mounts, index):
            options.flags &= ~C.MS_RDONLY  # read-only last: paths.remount_deferred_readonly
        _mount_filesystem(where, entry.get("source"), fstype, destination, options, ctx)
    ctx.mounted[destination] = fstype
    apply_recursive_attributes(where, ctx, destination, options)
    apply_propagation(where, ctx, destination, options.propagation)


def _mount_filesystem(where, source, fstype, destination, options, ctx):
    """A fresh file system instance (proc, tmpfs, devpts, sysfs...)."""
    sc = ctx.syscalls
    if not fstype and not options.flags & C.MS_REMOUNT:
        raise RootfsError("%s: no type given and the options do not make it a bind mount"
                          % where)
    flags = options.flags & ~C.MS_REC
    ordinary = fstype if fstype in _ORDINARY_DIRECTORY_ONLY else None
    with Target(where, ctx, destination, "dir", ordinary) as target:
        fallback = _BIND_FALLBACK_ON_EPERM.get(fstype)
        try:
            call_mount(where, sc, source or fstype, target, fstype, flags,
                       labelled_data(fstype, options, ctx.mount_label))
            return
        except RootfsError as exc:
            if (getattr(exc, "errno", None) != errno.EPERM or fallback is None
                    or not os.path.isdir(fallback)):
                raise
    # Bind the host's instance, keeping the requested flags.
    from_host = MountOptions(options.flags | C.MS_BIND | C.MS_REC, options.cleared, [], options.data)
    bind_mount(where + " (bind of the host's %s after EPERM)" % fallback, fallback,
               destination, from_host, ctx, ordinary)
