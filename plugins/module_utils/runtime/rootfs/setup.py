# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the container's file system tree, in the order the init process calls.

The init process runs in a fresh mount namespace (mount_namespaces(7)): it
starts with a copy of the host's mounts, which may still be peers of the
host's (shared propagation). So:

1. prepare_rootfs: make "/" recursively slave (or what a recursive or
   shared linux.rootfsPropagation asks) so nothing mounted here reaches the host;
   make the mounts pivot_root(2) cares about private if they are shared;
   bind the rootfs onto itself so it is a mount point; perform
   config["mounts"] in order; create /dev nodes and links.
2. pivot_root: make the rootfs "/" and drop the host's tree.
3. finalize_rootfs: readonlyPaths, maskedPaths, root.readonly, and the
   rootfsPropagation of the new "/" (the only place "unbindable" can go).

Without a mount namespace of its own (none listed, or one joined by path)
nothing of this happens: build_root, switch_root and finish_root, which the
init calls, then check, chroot(2) and check again (chroot.py says why).

No module is imported lazily: after pivot_root the host's Python library
is out of reach.
"""

import os

from .. import namespaces
from ..syscalls import host as _syscalls
from ..errors import RootfsError, SyscallError
from ..syscalls import consts as C
from . import chroot, devices, mountcalls, mountinfo, overlay, paths, pivot
from .hostdev import HostDev
from .mountcalls import MountContext, normalize_destination
from .mounts import mount_entry
from .options import parse_propagation

# config-linux.md: without rootfsPropagation the runtime picks; rslave keeps
# host mounts visible (e.g. a later USB mount) without leaking ours back.
DEFAULT_ROOT_PROPAGATION = C.MS_SLAVE | C.MS_REC

# rootfsPropagation values applied to "/" already while the rootfs is built:
# the recursive ones, and "shared", which asks for propagation to the host.
# The others wait for the new root (finalize_in): "unbindable" would make
# the rootfs bind below fail with EINVAL (mount_namespaces(7): an unbindable
# mount cannot be bind mounted), and "private" or "slave" on "/" alone would
# leave the other copies of shared host mounts peers of the host's while the
# container's mounts are made on them. Until then "/" is rslave.
_PROPAGATION_WHILE_BUILDING = ("shared", "rshared", "rslave", "rprivate")


def building_propagation(value):
    """The propagation flags of "/" while the rootfs is built, for linux.rootfsPropagation ``value``."""
    if value in _PROPAGATION_WHILE_BUILDING:
        return parse_propagation(value)
    if value:
        parse_propagation(value)  # an unknown value fails here, before any mount(2)
    return DEFAULT_ROOT_PROPAGATION


def _sc(syscalls):
    return syscalls if syscalls is not None else _syscalls.real()


def _mount(sc, source, target, fstype, flags, action):
    try:
        sc.mount(source, target, fstype, flags, None)
    except SyscallError as exc:
        raise RootfsError("%s failed: %s" % (action, os.strerror(exc.errno)))


def _has_namespace(config, kind):
    namespaces = (config.get("linux") or {}).get("namespaces") or ()
    return any(ns.get("type") == kind for ns in namespaces)


def bundle_directory(config, rootfs):
    """The bundle, when root.path is relative and rootfs ends with it.

    runtime.md: relative paths in config.json (root.path, bind sources) are
    relative to the bundle directory.
    """
    root_path = (config.get("root") or {}).get("path") or ""
    if not root_path or os.path.isabs(root_path):
        return None
    suffix = "/" + os.path.normpath(root_path)
    rootfs = os.path.normpath(rootfs)
    if rootfs.endswith(suffix):
        return rootfs[:-len(suffix)] or "/"
    return None


def make_pivot_mounts_private(rootfs, syscalls=None):
    """pivot_root(2): the parent mount of new_root and the mount of the
    current root must not be shared. The rootfs bind made next inherits the
    propagation of the mount it comes from, so privatizing that mount also
    keeps the bind (and every container mount under it) from propagating.
    Only this namespace's copies change; the host's mounts keep theirs.
    """
    sc = _sc(syscalls)
    try:
        mounts = mountinfo.read_mounts()
    except (OSError, ValueError, IndexError) as exc:
        raise RootfsError("reading %s failed: %s" % (mountinfo.MOUNTINFO_PATH, exc))
    done = set()
    for path in (rootfs, "/"):
        entry = mountinfo.mount_containing(path, mounts)
        if entry is None or not entry.shared or entry.mount_point in done:
            continue
        done.add(entry.mount_point)
        _mount(sc, "", entry.mount_point, "", C.MS_PRIVATE,
               "making %s private for pivot_root" % entry.mount_point)


def shares_mount_namespace_with_pid1():
    """True when this process is in the mount namespace of PID 1 (of /proc).

    Making "/" rslave or binding the rootfs there would change the host's
    mount table, so prepare_rootfs refuses. Unknown (no permission to read
    /proc/1/ns/mnt) counts as False.
    """
    try:
        return os.readlink("/proc/self/ns/mnt") == os.readlink("/proc/1/ns/mnt")
    except OSError:
        return False


def open_bind_sources(config, rootfs, syscalls=None):
    """mountcalls.open_bind_sources for ``config``: call before entering a user namespace."""
    return mountcalls.open_bind_sources(config.get("mounts"), bundle_directory(config, rootfs), _sc(syscalls))


def prepare_rootfs(config, rootfs, cgroup_mounts=(), syscalls=None, source_fds=None):
    """Steps 1-4 (see the module docstring); ``rootfs`` is a host path;
    ``source_fds`` from open_bind_sources (closed here)."""
    sc = _sc(syscalls)
    if shares_mount_namespace_with_pid1():
        raise RootfsError("refusing to prepare the rootfs in the host's mount namespace: "
                          "the init process must unshare(CLONE_NEWNS) first")
    host_dev = HostDev()  # before the first mount: every path still names the host's file
    bundle = bundle_directory(config, rootfs)
    rootfs = os.path.realpath(rootfs)
    if not os.path.isdir(rootfs):
        raise RootfsError("root.path: %s is not a directory" % rootfs)
    propagation = (config.get("linux") or {}).get("rootfsPropagation")
    root_flags = building_propagation(propagation)
    _mount(sc, "", "/", "", root_flags, "setting the propagation of / to %s"
           % (propagation if root_flags != DEFAULT_ROOT_PROPAGATION else "rslave"))
    make_pivot_mounts_private(rootfs, sc)
    layers = overlay.overlay_options(config)
    if layers is not None:
        # An image's layers plus the container's upper directory (overlay.py); in
        # this namespace only, so it needs no unmounting anywhere.
        try:
            sc.mount("overlay", rootfs, "overlay", 0, layers)
        except SyscallError as exc:
            raise RootfsError("overlay mount of the image layers on %s failed: %s"
                              % (rootfs, os.strerror(exc.errno)))
    else:
        _mount(sc, rootfs, rootfs, "", C.MS_BIND | C.MS_REC,
               "bind mount of the rootfs %s onto itself" % rootfs)
    ctx = MountContext(rootfs, sc, bundle=bundle, cgroup_mounts=cgroup_mounts,
                       cgroupns=_has_namespace(config, "cgroup"),
                       mount_label=(config.get("linux") or {}).get("mountLabel"), host_dev=host_dev,
                       source_fds=source_fds)
    mounts = config.get("mounts") or []
    try:
        for index, entry in enumerate(mounts):
            mount_entry(index, entry, ctx, mounts)
    finally:
        mountcalls.close_fds(ctx.source_fds)
    devpts = ctx.mounted.get(normalize_destination("/dev/pts")) == "devpts"
    devices.setup_dev(config, rootfs, devpts=devpts, syscalls=sc, host_dev=host_dev)
    return ctx


def pivot_root(rootfs, syscalls=None):
    """Make ``rootfs`` the root; the working directory ends at "/".

    (runc's --no-pivot, for hosts where pivot_root(2) cannot work, a ramdisk
    root: switch_root calls pivot.move_root_into instead.)
    """
    pivot.pivot_into(os.path.realpath(rootfs), _sc(syscalls))


def finalize_in(config, root, syscalls=None):
    """finalize_rootfs working in ``root`` (tests use a temporary tree)."""
    sc = _sc(syscalls)
    linux = config.get("linux") or {}
    # After the /dev nodes and /dev/console, before the paths bound in it.
    paths.remount_deferred_readonly(config.get("mounts"), root, sc, linux.get("mountLabel"))
    # runc's order: read-only binds first, then masks on top of them.
    paths.readonly_paths(linux.get("readonlyPaths"), root, sc)
    paths.mask_paths(linux.get("maskedPaths"), root, sc, mount_label=linux.get("mountLabel"))
    if (config.get("root") or {}).get("readonly"):
        paths.remount_root_readonly(root, sc)
    if linux.get("rootfsPropagation"):
        paths.apply_root_propagation(linux["rootfsPropagation"], root, sc)


def finalize_rootfs(config, syscalls=None):
    """Step after pivot_root: masked/readonly paths, read-only root, propagation."""
    finalize_in(config, "/", syscalls)


def build_root(config, rootfs, cgroup_mounts=(), syscalls=None, source_fds=None):
    """The init's step 1: prepare_rootfs in a new mount namespace, else only checks."""
    kind = namespaces.mount_namespace_kind(config)
    if kind == "new":
        return prepare_rootfs(config, rootfs, cgroup_mounts, syscalls, source_fds)
    mountcalls.close_fds(source_fds or {})
    chroot.check_config(config, kind)
    return None


def switch_root(config, rootfs, syscalls=None, no_pivot=False):
    """Step 2: pivot_root (``no_pivot``: MS_MOVE and chroot) in a new mount namespace, else chroot(2)."""
    kind = namespaces.mount_namespace_kind(config)
    if kind == "new" and no_pivot:
        pivot.move_root_into(os.path.realpath(rootfs), _sc(syscalls))
    elif kind == "new":
        pivot_root(rootfs, syscalls)
    else:
        chroot.enter_root(rootfs, kind, _sc(syscalls))


def finish_root(config, syscalls=None):
    """Step 3: finalize_rootfs in a new mount namespace, else check the devices found."""
    if namespaces.mount_namespace_kind(config) == "new":
        finalize_rootfs(config, syscalls)
    else:
        chroot.check_default_devices((config.get("root") or {}).get("path") or "/")
