# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make an image present in the store: resolve, fetch (skopeo), unpack, record.

``pull`` policies (as podman's ``--pull``): ``missing`` fetches only an
image the store does not have under that name; ``always`` asks the source
for its current manifest (one small request, ``skopeo inspect --raw``) and
fetches only when its digest differs from the one recorded; ``never`` uses
the store only. In check mode nothing is fetched or written; the result
says whether a pull would happen.
"""

import hashlib
import json
import os
import platform as _platform
import shutil
import tempfile
import time

from . import registries, skopeo
from .errors import ImageError
from .reference import parse
from .store import TMP_PREFIX, hex_of, read_json, write_json
from .unpack import unpack_layer

PULL_POLICIES = ("missing", "always", "never")
INDEX_TYPES = ("application/vnd.oci.image.index.v1+json",
               "application/vnd.docker.distribution.manifest.list.v2+json")
LAYER_TYPES = (
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",
    "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
)
REF_NAME = "org.opencontainers.image.ref.name"
# uname -m to the architecture names of image-spec config.md (Go's GOARCH).
_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "armv6l": "arm", "i686": "386",
         "i386": "386", "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}


def host_platform():
    machine = _platform.machine()
    return "linux/" + _ARCH.get(machine, machine)


def resolve(text, store):
    """A qualified reference for ``text`` (short names per registries.conf)."""
    ref = parse(text)
    if ref.is_short:
        names = [n for r in store.records() for n in r.get("names", ())]
        ref = registries.resolve(ref, local_names=names)
    return ref


class PullResult(object):
    def __init__(self, record, changed, pulled=False):
        self.record = record      # None in check mode when the image is not in the store yet
        self.changed = changed    # a pull happened (or would, in check mode) that changed the store
        self.pulled = pulled


def ensure_image(store, ref, policy="missing", auth=None, platform=None, check_mode=False):
    if policy not in PULL_POLICIES:
        raise ImageError("pull: must be one of %s, not %r" % (", ".join(PULL_POLICIES), policy))
    name = str(ref)
    existing = store.find(name)
    if policy == "never" or (existing is not None and (policy == "missing" or ref.digest)):
        if existing is None:
            raise ImageError("image %s is not in the store %s and pull is never" % (name, store.root))
        return PullResult(existing, False)
    source_digest = source_manifest_digest(ref, auth, platform)
    if existing is not None and existing.get("source_digest") == source_digest:
        return PullResult(existing, False)
    if check_mode:
        return PullResult(existing, True)
    with store:
        try:
            record = fetch(store, ref, source_digest, auth, platform)
        finally:
            # Also after a failure: the blobs skopeo fetched for an image that was refused go.
            store.collect_garbage()
    changed = existing is None or existing["digest"] != record["digest"] or name not in existing.get("names", ())
    return PullResult(record, changed, pulled=True)


def source_manifest_digest(ref, auth=None, platform=None):
    """The digest of the manifest ``ref`` names at its source, for this platform."""
    raw = skopeo.inspect_raw(ref, auth)
    try:
        document = json.loads(raw.decode("utf-8"))
    except ValueError:
        raise ImageError("%s: the source's manifest is not JSON" % ref)
    if document.get("mediaType") in INDEX_TYPES or "manifests" in document:
        return _platform_entry(document, ref, platform or host_platform())["digest"]
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _platform_entry(index, ref, wanted):
    parts = wanted.split("/")
    for entry in index.get("manifests") or ():
        plat = entry.get("platform") or {}
        if plat.get("os") == parts[0] and plat.get("architecture") == parts[1] and (
                len(parts) < 3 or plat.get("variant") == parts[2]):
            return entry
    raise ImageError("%s has no image for the platform %s" % (ref, wanted))


def fetch(store, ref, source_digest, auth=None, platform=None):
    """skopeo copy into the store's OCI layout, then unpack and record (caller holds the lock)."""
    tag = "pull-%d-%d" % (os.getpid(), int(time.time() * 1000))
    skopeo.copy(ref, store.layout, tag, auth, platform)
    manifest_digest = _take_index_entry(store, tag)
    manifest = store.read_blob_json(manifest_digest)
    config_digest = (manifest.get("config") or {}).get("digest")
    config = store.read_blob_json(config_digest)
    layers = manifest.get("layers") or []
    diff_ids = (config.get("rootfs") or {}).get("diff_ids") or []
    if len(diff_ids) != len(layers):
        raise ImageError("%s: the manifest has %d layers but the config's rootfs.diff_ids %d"
                         % (ref, len(layers), len(diff_ids)))
    for index, layer in enumerate(layers):
        if layer.get("mediaType") not in LAYER_TYPES:
            raise ImageError("%s: layers[%d] has the media type %r, which this collection cannot unpack"
                             % (ref, index, layer.get("mediaType")))
    unpack_missing(store, ref, layers, diff_ids)
    record = {
        "digest": manifest_digest, "source_digest": source_digest, "source": str(ref), "names": [],
        "config_digest": config_digest, "config": config,
        "layers": [{"digest": layer["digest"], "diff_id": diff_id, "size": layer.get("size", 0),
                    "media_type": layer["mediaType"]} for layer, diff_id in zip(layers, diff_ids)],
        "size": sum(layer.get("size", 0) for layer in layers) + (manifest.get("config") or {}).get("size", 0),
        "created": config.get("created"), "os": config.get("os"), "architecture": config.get("architecture"),
        "pulled": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    previous = store.find(record["digest"])
    if previous is not None:
        record["names"] = previous.get("names", [])
    store.save(record, str(ref))
    return record


def _take_index_entry(store, tag):
    """The manifest digest skopeo tagged ``tag`` in index.json; the tag is removed again.

    Image records, not index.json, say which images the store has: the layout
    only holds the blobs.
    """
    path = os.path.join(store.layout, "index.json")
    index = read_json(path)
    manifests = index.get("manifests") or []
    found = [m for m in manifests if (m.get("annotations") or {}).get(REF_NAME) == tag]
    if not found:
        raise ImageError("skopeo left no manifest tagged %s in %s" % (tag, path))
    index["manifests"] = [m for m in manifests if m not in found]
    write_json(path, index)
    return found[0]["digest"]


def unpack_missing(store, ref, layers, diff_ids):
    """Unpack every layer the store lacks, each into a temp dir, renamed only when complete."""
    done = {}
    for index, (layer, diff_id) in enumerate(zip(layers, diff_ids)):
        hex_of(diff_id)
        if store.has_layer(diff_id) or diff_id in done:
            continue
        tmp = tempfile.mkdtemp(prefix=TMP_PREFIX + hex_of(diff_id)[:12] + "-", dir=store.layers)
        done[diff_id] = tmp
        os.chmod(tmp, 0o755)
        try:
            with open(store.blob_path(layer["digest"]), "rb") as blob:
                unpack_layer(blob, tmp, diff_id, layer.get("mediaType"),
                             layer="%s layers[%d] (%s)" % (ref, index, diff_id))
        except BaseException:
            for path in done.values():
                shutil.rmtree(path, ignore_errors=True)
            raise
    if not done:
        return
    # Data on disk before the directories get their final names: a crash then leaves
    # only .tmp- directories, never a layer with missing content.
    os.sync()
    for diff_id, tmp in done.items():
        os.rename(tmp, store.layer_dir(diff_id))
    fd = os.open(store.layers, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
