# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Containers made from images: the ``image`` option of oci_container.

Private to this collection. The image is made present per ``pull``
(image/pull.py); its config gives the defaults of config.json
(image/imageconfig.py) under the inline options; the root file system is
an overlay of its layers plus the container's own writable layer, which
lives in the bundle directory (``overlay/upper``) and goes with it at
``absent``. The init mounts the overlay inside the container's mount
namespace (runtime/rootfs/overlay.py), so nothing is mounted on the host.

The image's digest is an annotation of config.json, so state.json keeps
the digest the container was created from: another digest is a
difference (shown as ``image``) and recreates the container; the same
digest never does. A record in the store's ``users/`` keeps the image and
its layers from being removed while the container exists.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import shutil

from ..image import imageconfig
from ..image.pull import ensure_image, resolve
from ..image.skopeo import Auth
from ..image.store import DIGEST_ANNOTATION, Store
from ..runtime.rootfs.overlay import PREFIX as OVERLAY_PREFIX
from .desired import DEFAULT_BUNDLE_PARENT, STOP_SIGNAL_ANNOTATION, Desired, OptionError, _command, _env, build_config, deep_merge
from .drift import Difference

STORE_ANNOTATION = "org.opencontainer.runtime.image.store"
ROOTFS_DIR = "rootfs"
OVERLAY_DIR = "overlay"
_IMAGE_PARAMS = ("command", "env", "user", "workdir", "spec")


class ImageDesired(Desired):
    """Desired plus the image: ``record`` is None in check mode before a first pull."""

    def __init__(self, config, bundle, record, pull_changed, store, reference):
        Desired.__init__(self, config, bundle, managed=True, validated=False)
        self.record = record
        self.pull_changed = pull_changed
        self.store = store
        self.reference = reference

    @property
    def digest(self):
        return self.record["digest"] if self.record else None


def desired_from_image(params, check_mode=False):
    if params.get("rootfs") or params.get("bundle"):
        raise OptionError("image", "cannot be combined with %s" % ("rootfs" if params.get("rootfs") else "bundle"))
    store = Store(params.get("image_store"))
    ref = resolve(params["image"], store)
    auth = Auth(auth_file=params.get("image_auth_file"), tls_verify=params.get("image_validate_certs", True))
    result = ensure_image(store, ref, params.get("pull") or "missing", auth, check_mode=check_mode)
    bundle = os.path.abspath(params.get("bundle_dir") or os.path.join(DEFAULT_BUNDLE_PARENT, params["name"]))
    record = result.record
    if check_mode and result.changed:
        record = None   # a pull would bring another image, whose config is not known without it
    config = image_config(params, record, store, bundle) if record is not None else None
    return ImageDesired(config, bundle, record, result.changed, store, str(ref))


def layer_dirs(store, record):
    """The image's unpacked layers, top first (overlayfs's lowerdir order)."""
    dirs = [store.layer_dir(layer["diff_id"]) for layer in reversed(record["layers"])]
    for path in dirs:
        if not os.path.isdir(path):
            raise OptionError("image", "layer %s of %s is missing from the store; pull the image again"
                              % (path, record["digest"]))
    if not dirs:
        raise OptionError("image", "%s has no layers" % record["digest"])
    return dirs


def image_config(params, record, store, bundle):
    """config.json: the runtime's default, the inline options, the image's defaults under them, spec last."""
    lowers = layer_dirs(store, record)
    image = record["config"]
    rest = dict(params)
    for key in _IMAGE_PARAMS:
        rest[key] = None
    config = build_config(rest, os.path.join(bundle, ROOTFS_DIR))
    process = config["process"]
    cfg = image.get("config") or {}
    command = _command(params["command"]) if params.get("command") is not None else None
    entrypoint = None
    if params.get("entrypoint") is not None:
        entrypoint = _command(params["entrypoint"]) if params["entrypoint"] not in ("", []) else []
    process["args"] = _image_call(imageconfig.process_args, image, entrypoint, command)
    process["env"] = imageconfig.merged_env(process["env"], image)
    if params.get("env"):
        process["env"] = _env(process["env"], params["env"])
    process["cwd"] = params.get("workdir") or cfg.get("WorkingDir") or "/"
    user = params.get("user") or cfg.get("User")
    if user:
        process["user"] = _image_call(imageconfig.resolve_user, user, lowers)
    annotations = imageconfig.annotations(image)
    if cfg.get("StopSignal"):
        annotations[STOP_SIGNAL_ANNOTATION] = cfg["StopSignal"]
    annotations.update(config.get("annotations") or {})   # the user's and the network's win
    overlay = os.path.join(bundle, OVERLAY_DIR)
    annotations.update({
        # The digest, not the name the user wrote: another name of the same image is no reason to
        # recreate the container.
        DIGEST_ANNOTATION: record["digest"], STORE_ANNOTATION: store.root,
        OVERLAY_PREFIX + "lowerdir": ":".join(lowers),
        OVERLAY_PREFIX + "upperdir": os.path.join(overlay, "upper"),
        OVERLAY_PREFIX + "workdir": os.path.join(overlay, "work"),
    })
    config["annotations"] = annotations
    if params.get("spec"):
        deep_merge(config, params["spec"])
    if any(ns.get("type") == "user" for ns in (config.get("linux") or {}).get("namespaces") or ()):
        # runtime/rootfs/overlay.py refuses it too; saying so before anything is written is kinder.
        raise OptionError("image", "a container from an image cannot have a user namespace yet (overlayfs "
                                   "ignores the layers' trusted.* opaque-directory marks in one)")
    return config


def _image_call(func, *args):
    from ..image.errors import ImageError
    try:
        return func(*args)
    except ImageError as e:
        raise OptionError("user" if func is imageconfig.resolve_user else "image", str(e))


def image_difference(state, desired):
    """``image: old digest -> new digest`` when the container was made from another image."""
    before = ((state.get("config") or {}).get("annotations") or {}).get(DIGEST_ANNOTATION)
    after = desired.digest
    if after is None:   # check mode, the image not pulled yet: it would be
        return Difference("image", before, "(to be pulled) %s" % desired.reference)
    if before != after:
        return Difference("image", before, after)
    return None


def prepare(desired, state_root, name):
    """Before create: the mount point, the writable layer (new when the image changed), the user record."""
    overlay = os.path.join(desired.bundle, OVERLAY_DIR)
    marker = os.path.join(overlay, "image")
    previous = None
    try:
        with open(marker) as handle:
            previous = handle.read().strip()
    except (IOError, OSError):
        pass
    if previous != desired.digest and os.path.isdir(overlay):
        shutil.rmtree(overlay)   # the writable layer belongs to the image it was made on
    for path in (os.path.join(desired.bundle, ROOTFS_DIR), os.path.join(overlay, "upper"), os.path.join(overlay, "work")):
        os.makedirs(path, mode=0o755, exist_ok=True)
    os.chmod(overlay, 0o700)   # the host's users have no business in a container's files
    with open(marker, "w") as handle:
        handle.write(desired.digest + "\n")
    with desired.store:
        desired.store.add_user(state_root, name, desired.record)


def released(state, state_root, name):
    """After delete: the container no longer holds its image; unused layers and blobs go."""
    annotations = (state.get("config") or {}).get("annotations") or {}
    if DIGEST_ANNOTATION not in annotations:
        return
    store = Store(annotations.get(STORE_ANNOTATION))
    if not store.exists():
        return
    with store:
        store.remove_user(state_root, name)
        store.collect_garbage()


def remove_image_dirs(bundle_dir):
    """At absent: the writable layer and the (empty, never mounted on the host) mount point."""
    overlay = os.path.join(bundle_dir, OVERLAY_DIR)
    if os.path.isdir(overlay) and not os.path.islink(overlay):
        shutil.rmtree(overlay)
    try:
        os.rmdir(os.path.join(bundle_dir, ROOTFS_DIR))
    except OSError:
        pass   # not empty: not ours to delete


def result_extras(desired):
    if not isinstance(desired, ImageDesired) or desired.record is None:
        return {}
    return {"image": {"name": desired.reference, "digest": desired.digest,
                      "exposed_ports": imageconfig.exposed_ports(desired.record["config"])}}
