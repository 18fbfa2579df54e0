# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks for config.json ``mounts``, ``hooks`` and ``annotations``.

``mounts`` are mount(2) calls made inside the container's mount namespace, in
order; ``hooks`` are host programs the runtime runs at fixed points of the
lifecycle (config.md "POSIX-platform Hooks"); ``annotations`` are free-form
string metadata that the runtime only stores and reports.
"""

from .checks_common import (
    absolute_path, child, env_list, fail, id_mapping_list, int_range, INT64_MAX,
    item, kernel_string, list_of, map_of, nonempty_key, nonempty_string,
    object_of, check_object, string,
)
from ..standalone.jsonlite import dumps
from .names import HOOK_PHASES

_MOUNT = object_of({
    # config.md: destination SHOULD be absolute; a relative one is deprecated
    # but MUST be taken relative to "/", so only emptiness is an error here.
    "destination": nonempty_string,
    "type": kernel_string,
    "source": kernel_string,
    "options": list_of(kernel_string, description="a list of strings"),
    # Idmapped mounts (mount_setattr(2) MOUNT_ATTR_IDMAP): same shape as
    # linux.uidMappings.
    "uidMappings": id_mapping_list,
    "gidMappings": id_mapping_list,
}, required=("destination",))


def check_mounts(config, for_create):
    mounts = config.get("mounts", [])
    list_of(_MOUNT)(mounts, "mounts")
    for index, mount in enumerate(mounts):
        # An idmapped mount is built from one user namespace that carries both
        # maps, so giving only one of them cannot be honoured.
        has_uid, has_gid = "uidMappings" in mount, "gidMappings" in mount
        if has_uid != has_gid:
            missing = "gidMappings" if has_uid else "uidMappings"
            fail(child(item("mounts", index), missing),
                 "is required when %s is set (idmapped mounts need both)"
                 % ("uidMappings" if has_uid else "gidMappings"))


# config.md: hook timeout is the number of seconds before aborting; MUST be > 0.
_HOOK = object_of({
    "path": absolute_path,
    "args": list_of(kernel_string, description="a list of strings"),
    "env": env_list,
    "timeout": int_range(1, INT64_MAX, "a positive number of seconds"),
}, required=("path",))
_HOOK_LIST = list_of(_HOOK)


def check_hooks(config, for_create):
    if "hooks" not in config:
        return
    hooks = check_object(config["hooks"], "hooks", {})
    for phase, entries in hooks.items():
        if phase not in HOOK_PHASES:
            fail(child("hooks", phase), "unknown hook phase; known phases are %s"
                 % ", ".join(HOOK_PHASES))
        _HOOK_LIST(entries, child("hooks", phase))


_ANNOTATIONS = map_of(string, nonempty_key)

# The runtime carries the annotations in the container's state to every
# hook and, at create, to the container's init (process/sync.py, whose
# MAX_MESSAGE of 16 MiB leaves room for this twice over, JSON escapes
# included). A bound known before anything exists gives a clear error
# instead of a failure half-way through create.
MAX_ANNOTATIONS_BYTES = 4 << 20


def check_annotations(config, for_create):
    if "annotations" in config:
        _ANNOTATIONS(config["annotations"], "annotations")
        size = len(dumps(config["annotations"]).encode("utf-8"))
        if size > MAX_ANNOTATIONS_BYTES:
            fail("annotations", "%d bytes as JSON, more than the limit of %d bytes (%d MiB)"
                 % (size, MAX_ANNOTATIONS_BYTES, MAX_ANNOTATIONS_BYTES >> 20))
