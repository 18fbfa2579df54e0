# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The image store on the host: content-addressed, shared, crash-safe.

Layout under the store root (default /var/lib/opencontainer/images)::

    oci/                    an OCI image layout (image-spec image-layout.md):
      blobs/sha256/<hex>    every manifest, config and layer blob, once by digest
    layers/<hex>/           each layer unpacked once, named by its diff_id
                            (the digest of the uncompressed tar), in overlayfs form
    layers/.tmp-*           a layer being unpacked: never used, removed on the next run
    images/<hex>.json       one record per image (manifest digest): names, config, layers
    users/<hex>.json        one record per container made from an image
    .lock                   flock(2): every change of the store holds it

A layer directory exists under its final name only once it is complete
(unpacked into a temporary directory, synced, renamed: rename(2) is
atomic), so a crash leaves at most a ``.tmp-`` directory behind.
Garbage collection (under the lock) removes images without names and
without containers, then layers and blobs no image and no container uses.
"""

import fcntl
import hashlib
import json
import os
import shutil
import time

from .errors import ImageError, ImageInUse

DEFAULT_ROOT = "/var/lib/opencontainer/images"
TMP_PREFIX = ".tmp-"
DIGEST_ANNOTATION = "org.opencontainer.runtime.image.digest"


def hex_of(digest):
    algorithm, _sep, value = str(digest).partition(":")
    if algorithm != "sha256" or len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise ImageError("%r is not a sha256 digest" % (digest,))
    return value


def write_json(path, data):
    """Atomically: temp file, fsync, rename (a reader sees the old or the new file)."""
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w") as handle:
        json.dump(data, handle, sort_keys=True, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.rename(tmp, path)


def read_json(path):
    with open(path) as handle:
        return json.load(handle)


class Store(object):
    def __init__(self, root=None):
        self.root = os.path.abspath(root or DEFAULT_ROOT)
        self.layout = os.path.join(self.root, "oci")
        self.layers = os.path.join(self.root, "layers")
        self.images = os.path.join(self.root, "images")
        self.users = os.path.join(self.root, "users")
        self._lock_fd = None

    # -- locking ---------------------------------------------------------
    def ensure(self):
        for path in (self.root, self.layout, self.layers, self.images, self.users):
            os.makedirs(path, mode=0o700, exist_ok=True)
        st = os.lstat(self.root)
        if st.st_uid != os.geteuid() or st.st_mode & 0o022:
            raise ImageError("image store %s must be owned by uid %d and not group/world writable"
                             % (self.root, os.geteuid()))

    def __enter__(self):
        self.ensure()
        self._lock_fd = os.open(os.path.join(self.root, ".lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        os.close(self._lock_fd)
        self._lock_fd = None

    def exists(self):
        return os.path.isdir(self.images)

    # -- blobs and layers --------------------------------------------------
    def blob_path(self, digest):
        return os.path.join(self.layout, "blobs", "sha256", hex_of(digest))

    def read_blob_json(self, digest):
        try:
            return read_json(self.blob_path(digest))
        except (OSError, ValueError) as e:
            raise ImageError("image store: blob %s is missing or not JSON: %s" % (digest, e))

    def layer_dir(self, diff_id):
        return os.path.join(self.layers, hex_of(diff_id))

    def has_layer(self, diff_id):
        return os.path.isdir(self.layer_dir(diff_id))

    # -- image records ---------------------------------------------------
    def record_path(self, digest):
        return os.path.join(self.images, hex_of(digest) + ".json")

    def records(self):
        if not self.exists():
            return []
        out = []
        for name in sorted(os.listdir(self.images)):
            if name.endswith(".json"):
                try:
                    out.append(read_json(os.path.join(self.images, name)))
                except (OSError, ValueError):
                    continue  # a record being replaced
        return out

    def find(self, name):
        """The record that ``name`` (a reference string or a digest) names, or None."""
        for record in self.records():
            if name in record.get("names", ()) or name == record.get("digest"):
                return record
        return None

    def save(self, record, name):
        """Write ``record`` and give it ``name``, taking the name from any other image."""
        for other in self.records():
            if other["digest"] != record["digest"] and name in other.get("names", ()):
                other["names"] = [n for n in other["names"] if n != name]
                write_json(self.record_path(other["digest"]), other)
        names = [n for n in record.get("names", ()) if n != name] + [name]
        record["names"] = names
        write_json(self.record_path(record["digest"]), record)

    def remove_name(self, record, name):
        record["names"] = [n for n in record.get("names", ()) if n != name]
        write_json(self.record_path(record["digest"]), record)

    # -- containers using images -------------------------------------------
    def _user_path(self, state_root, container):
        key = hashlib.sha256(("%s\0%s" % (os.path.abspath(state_root), container)).encode("utf-8")).hexdigest()
        return os.path.join(self.users, key + ".json")

    def add_user(self, state_root, container, record):
        write_json(self._user_path(state_root, container),
                   {"state_root": os.path.abspath(state_root), "container": container,
                    "digest": record["digest"], "layers": [layer["diff_id"] for layer in record["layers"]]})

    def remove_user(self, state_root, container):
        try:
            os.unlink(self._user_path(state_root, container))
        except FileNotFoundError:
            pass

    def live_users(self):
        """Container user records whose container still exists with that image (stale ones are dropped)."""
        users = []
        if not os.path.isdir(self.users):
            return users
        for name in sorted(os.listdir(self.users)):
            path = os.path.join(self.users, name)
            try:
                user = read_json(path)
            except (OSError, ValueError):
                continue
            if _container_uses(user) or _recent(path):
                users.append(user)
            else:
                os.unlink(path)
        return users

    def users_of(self, digest):
        return ["%s/%s" % (u["state_root"], u["container"]) for u in self.live_users() if u["digest"] == digest]

    # -- removal and garbage collection -------------------------------------
    def remove_image(self, record, force=False):
        users = self.users_of(record["digest"])
        if users and not force:
            raise ImageInUse("image %s (%s) is used by the containers %s; remove them first or use force"
                             % (", ".join(record.get("names") or [record["digest"]]), record["digest"],
                                ", ".join(users)))
        os.unlink(self.record_path(record["digest"]))
        return users

    def collect_garbage(self):
        """Remove nameless unused images, then unused layers and blobs. Returns what went."""
        users = self.live_users()
        used_images = set(u["digest"] for u in users)
        removed = {"images": [], "layers": [], "blobs": []}
        kept = []
        for record in self.records():
            if not record.get("names") and record["digest"] not in used_images:
                os.unlink(self.record_path(record["digest"]))
                removed["images"].append(record["digest"])
            else:
                kept.append(record)
        layers = set(hex_of(d) for u in users for d in u["layers"])
        blobs = set()
        for record in kept:
            layers.update(hex_of(layer["diff_id"]) for layer in record["layers"])
            blobs.update(hex_of(d) for d in [record["digest"], record["config_digest"]]
                         + [layer["digest"] for layer in record["layers"]])
        for name in os.listdir(self.layers):
            if name.startswith(TMP_PREFIX) or name not in layers:
                shutil.rmtree(os.path.join(self.layers, name))
                if not name.startswith(TMP_PREFIX):
                    removed["layers"].append("sha256:" + name)
        blob_dir = os.path.join(self.layout, "blobs", "sha256")
        if os.path.isdir(blob_dir):
            for name in os.listdir(blob_dir):
                if name not in blobs:
                    os.unlink(os.path.join(blob_dir, name))
                    removed["blobs"].append("sha256:" + name)
        return removed


def _container_uses(user):
    """Whether the container of a user record exists and was made from that image."""
    path = os.path.join(user.get("state_root", ""), user.get("container", ""), "state.json")
    try:
        state = read_json(path)
    except (OSError, ValueError):
        return False
    annotations = (state.get("config") or {}).get("annotations") or {}
    return annotations.get(DIGEST_ANNOTATION) == user.get("digest")


def _recent(path, seconds=600):
    """A user record written in the last minutes: its container may be being created right now
    (the record is written before create, so a concurrent garbage collection keeps its layers)."""
    try:
        return time.time() - os.stat(path).st_mtime < seconds
    except OSError:
        return False
