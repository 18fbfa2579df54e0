# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A root file system that is an overlay of image layers, mounted by the init.

A container made from an image has no rootfs directory of its own: its
root.path is an empty directory and three annotations describe an overlay
(overlayfs.rst "Multiple lower layers")::

    org.opencontainer.runtime.rootfs.overlay.lowerdir  top:...:bottom (the image's layers)
    org.opencontainer.runtime.rootfs.overlay.upperdir  the container's writable layer
    org.opencontainer.runtime.rootfs.overlay.workdir   overlayfs's work directory (same file system)

The init mounts it onto root.path *inside the container's mount namespace*,
in place of the rootfs bind mount, after "/" was made rslave and the
rootfs's parent mount private (setup.py): the mount exists only in that
namespace and goes away with it (mount_namespaces(7)), so no container
exit, crash of the runtime or reboot can leave it in the host's mount
table. The layers are shared read-only by every container of the image;
only the upper directory is the container's.

Plain strings, not JSON: the create path reads no json (README "importcache").
"""

import os

from ..errors import SpecError

PREFIX = "org.opencontainer.runtime.rootfs.overlay."
KEYS = ("lowerdir", "upperdir", "workdir")
# overlayfs parses its options at "," and lowerdir at ":" (overlayfs.rst); mount(2)'s data is one page.
_FORBIDDEN = (",", ":", "\\", "\n")
MAX_OPTIONS = 4095


def overlay_options(config):
    """The overlay's mount data, or None when the config asks for no overlay."""
    annotations = config.get("annotations") or {}
    values = {}
    for key in KEYS:
        value = annotations.get(PREFIX + key)
        if value is not None:
            values[key] = value
    if not values:
        return None
    for key in KEYS:
        if not values.get(key):
            raise SpecError("annotations.%s%s" % (PREFIX, key), "is required with the other overlay annotations")
    lower = values["lowerdir"].split(":")
    for where, paths in (("lowerdir", lower), ("upperdir", [values["upperdir"]]), ("workdir", [values["workdir"]])):
        for path in paths:
            if not path.startswith("/") or any(c in path for c in _FORBIDDEN) or not os.path.isdir(path):
                raise SpecError("annotations.%s%s" % (PREFIX, where),
                                "%r must be an existing absolute directory without ',' or '\\'" % path)
    for ns in (config.get("linux") or {}).get("namespaces") or ():
        if ns.get("type") == "user":
            # In a user namespace overlayfs ignores trusted.* xattrs (the opaque directories of
            # the layers) unless mounted with userxattr, which reads user.overlay.* instead.
            raise SpecError("annotations.%slowerdir" % PREFIX,
                            "an image root file system cannot be used with a user namespace yet")
    data = "lowerdir=%s,upperdir=%s,workdir=%s" % (values["lowerdir"], values["upperdir"], values["workdir"])
    if len(data) > MAX_OPTIONS:
        raise SpecError("annotations.%slowerdir" % PREFIX,
                        "the overlay options are %d bytes, more than mount(2) takes (%d): too many layers"
                        % (len(data), MAX_OPTIONS))
    return data
