# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test images written by the tests themselves: layer tars and OCI image layouts.

Layers are described entry by entry, so a test can write any tar, also a
hostile one (names with "..", symlinks to leave the layer, links to host
files) that no image builder would produce.
"""
import gzip
import hashlib
import io
import json
import os
import tarfile

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layer_tar(entries):
    """Tar bytes from entries: (kind, name, ...) tuples, in order.

    kinds: dir(name, mode=0o755), file(name, data, mode=0o644, uid=0, gid=0, xattrs=None),
    symlink(name, target), hardlink(name, target), chr(name, major, minor), fifo(name),
    whiteout(name) -> .wh.NAME, opaque(dir) -> DIR/.wh..wh..opq
    """
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for entry in entries:
            kind, name = entry[0], entry[1]
            info = tarfile.TarInfo(name)
            info.mtime = 1700000000
            data = None
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                info.mode = entry[2] if len(entry) > 2 else 0o755
            elif kind == "file":
                data = entry[2] if isinstance(entry[2], bytes) else entry[2].encode()
                info.size = len(data)
                info.mode = entry[3] if len(entry) > 3 else 0o644
                if len(entry) > 4:
                    info.uid, info.gid = entry[4], entry[5]
                if len(entry) > 6 and entry[6]:
                    info.pax_headers = dict(("SCHILY.xattr." + k, v) for k, v in entry[6].items())
            elif kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = entry[2]
                info.mode = 0o777
            elif kind == "hardlink":
                info.type = tarfile.LNKTYPE
                info.linkname = entry[2]
            elif kind == "chr":
                info.type = tarfile.CHRTYPE
                info.devmajor, info.devminor = entry[2], entry[3]
                info.mode = 0o666
            elif kind == "fifo":
                info.type = tarfile.FIFOTYPE
                info.mode = 0o644
            elif kind == "whiteout":
                head, _sep, base = name.rpartition("/")
                info.name = (head + "/" if head else "") + ".wh." + base
                info.size = 0
            elif kind == "opaque":
                info.name = name.rstrip("/") + "/.wh..wh..opq"
            else:
                raise ValueError(kind)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


def tree_tar(root):
    """A tar of a directory tree (e.g. the busybox rootfs), names relative to it."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(os.listdir(root)):
            tar.add(os.path.join(root, name), arcname=name)
    return out.getvalue()


def _put_blob(layout, data):
    digest = sha256(data)
    path = os.path.join(layout, "blobs", "sha256", digest.split(":")[1])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)
    return {"digest": digest, "size": len(data)}


def write_layout(layout, layer_tars, config=None, tag="latest", compress=None, architecture="amd64"):
    """An OCI image layout with one image; returns its manifest digest.

    ``compress``: a list of True/False per layer (gzip or not); default all gzip.
    """
    os.makedirs(layout, exist_ok=True)
    with open(os.path.join(layout, "oci-layout"), "w") as handle:
        json.dump({"imageLayoutVersion": "1.0.0"}, handle)
    compress = compress if compress is not None else [True] * len(layer_tars)
    layers, diff_ids = [], []
    for tar, gz in zip(layer_tars, compress):
        diff_ids.append(sha256(tar))
        blob = gzip.compress(tar, mtime=0) if gz else tar
        desc = _put_blob(layout, blob)
        desc["mediaType"] = LAYER_GZIP if gz else LAYER_TAR
        layers.append(desc)
    image_config = {"architecture": architecture, "os": "linux", "created": "2026-01-01T00:00:00Z",
                    "config": dict(config or {}), "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    cdesc = _put_blob(layout, json.dumps(image_config, sort_keys=True).encode())
    cdesc["mediaType"] = OCI_CONFIG
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": cdesc, "layers": layers}
    mdesc = _put_blob(layout, json.dumps(manifest, sort_keys=True).encode())
    mdesc["mediaType"] = OCI_MANIFEST
    mdesc["annotations"] = {"org.opencontainers.image.ref.name": tag}
    index_path = os.path.join(layout, "index.json")
    index = {"schemaVersion": 2, "manifests": []}
    if os.path.exists(index_path):
        with open(index_path) as handle:
            index = json.load(handle)
    index["manifests"] = [m for m in index["manifests"]
                          if (m.get("annotations") or {}).get("org.opencontainers.image.ref.name") != tag] + [mdesc]
    with open(index_path, "w") as handle:
        json.dump(index, handle)
    return mdesc["digest"]
