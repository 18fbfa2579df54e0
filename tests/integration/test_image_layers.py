# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Layer unpacking (image/unpack.py), as root: overlayfs form, and hostile layers.

Each hostile layer is refused or contained, and the host is checked
untouched: a sentinel directory outside the layer stays empty, and files
that a link could reach keep their link count and content.
"""
from __future__ import absolute_import, division, print_function

import gzip
import io
import os
import stat
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from image_layouts import layer_tar, sha256  # noqa: E402
from ansible_collections.opencontainer.runtime.plugins.module_utils.image.errors import LayerError  # noqa: E402
from ansible_collections.opencontainer.runtime.plugins.module_utils.image.unpack import unpack_layer  # noqa: E402

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="unpacking keeps ownership and makes device nodes: needs root")


@pytest.fixture
def area(tmp_path):
    """layer/ to unpack into, outside/ a host directory that must stay empty."""
    layer = tmp_path / "a" / "b" / "layer"
    layer.mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_text("host file\n")
    return layer, outside


def unpack(layer_dir, entries, gz=False, diff_id=None):
    tar = layer_tar(entries)
    blob = gzip.compress(tar) if gz else tar
    return unpack_layer(io.BytesIO(blob), str(layer_dir), diff_id if diff_id is not None else sha256(tar))


def untouched(outside):
    assert sorted(os.listdir(str(outside))) == ["victim"]
    assert (outside / "victim").read_text() == "host file\n"
    assert os.stat(str(outside / "victim")).st_nlink == 1


def test_entries_become_overlayfs_form(area):
    layer, _outside = area
    unpack(layer, [
        ("dir", "data", 0o750), ("file", "data/a", "a", 0o4755, 1000, 1001, {"user.note": "kept"}),
        ("hardlink", "data/a-link", "data/a"), ("symlink", "data/s", "/etc/passwd"),
        ("chr", "null", 1, 3), ("fifo", "pipe"),
        ("whiteout", "etc/removed"), ("opaque", "var/cache"), ("file", "var/cache/new", "n"),
        ("file", "/abs/file", "contained"),
    ], gz=True)
    a = os.lstat(str(layer / "data" / "a"))
    assert (a.st_uid, a.st_gid, stat.S_IMODE(a.st_mode)) == (1000, 1001, 0o4755)
    assert os.getxattr(str(layer / "data" / "a"), "user.note") == b"kept"
    assert os.lstat(str(layer / "data" / "a-link")).st_ino == a.st_ino
    assert os.readlink(str(layer / "data" / "s")) == "/etc/passwd"
    assert stat.S_IMODE(os.lstat(str(layer / "data")).st_mode) == 0o750
    null = os.lstat(str(layer / "null"))
    assert stat.S_ISCHR(null.st_mode) and os.major(null.st_rdev) == 1 and os.minor(null.st_rdev) == 3
    assert stat.S_ISFIFO(os.lstat(str(layer / "pipe")).st_mode)
    whiteout = os.lstat(str(layer / "etc" / "removed"))
    assert stat.S_ISCHR(whiteout.st_mode) and whiteout.st_rdev == 0
    assert not os.path.lexists(str(layer / "etc" / ".wh.removed"))
    assert os.getxattr(str(layer / "var" / "cache"), "trusted.overlay.opaque") == b"y"
    assert not os.path.lexists(str(layer / "var" / "cache" / ".wh..wh..opq"))
    assert (layer / "abs" / "file").read_text() == "contained"


@pytest.mark.parametrize("entries", [
    [("file", "../escape", "x")],
    [("file", "a/../../escape", "x")],
    [("file", "/../escape", "x")],
    [("dir", "../../outside")],
], ids=["dotdot", "nested-dotdot", "absolute-dotdot", "dir-dotdot"])
def test_names_climbing_out_are_refused(area, entries):
    layer, outside = area
    with pytest.raises(LayerError, match="outside the layer"):
        unpack(layer, entries)
    untouched(outside)
    assert not os.path.exists(str(layer.parent / "escape"))


def test_symlink_then_entry_through_it_is_refused(area):
    layer, outside = area
    for target in (str(outside), "../../../outside", "/"):
        with pytest.raises(LayerError, match="refusing to follow"):
            unpack(layer, [("symlink", "s", target), ("file", "s/pwned", "x")])
        untouched(outside)
        os.unlink(str(layer / "s"))


def test_symlink_to_a_file_then_write_replaces_the_link_not_the_target(area):
    layer, outside = area
    unpack(layer, [("symlink", "victim", str(outside / "victim")), ("file", "victim", "layer content")])
    assert (layer / "victim").read_text() == "layer content"
    assert not os.path.islink(str(layer / "victim"))
    untouched(outside)


@pytest.mark.parametrize("target", ["/etc/passwd", "../../../outside/victim", "missing"])
def test_hard_link_to_anything_outside_the_layer_is_refused(area, target):
    layer, outside = area
    before = os.stat("/etc/passwd").st_nlink
    with pytest.raises(LayerError):
        unpack(layer, [("hardlink", "h", target)])
    assert os.stat("/etc/passwd").st_nlink == before
    untouched(outside)


def test_hard_link_through_a_symlink_is_refused(area):
    layer, outside = area
    with pytest.raises(LayerError, match="refusing to follow"):
        unpack(layer, [("symlink", "s", str(outside)), ("hardlink", "h", "s/victim")])
    untouched(outside)


def test_symlink_of_an_earlier_layer_does_not_lead_the_next_layer_out(tmp_path, area):
    _layer, outside = area
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    lower.mkdir()
    upper.mkdir()
    unpack(lower, [("symlink", "etc", str(outside))])
    unpack(upper, [("file", "etc/pwned", "x")])   # its own directory: a real etc/ there
    assert (upper / "etc" / "pwned").read_text() == "x"
    untouched(outside)


def test_overlay_xattrs_from_the_tar_are_dropped(area):
    layer, _outside = area
    unpack(layer, [("file", "f", "x", 0o644, 0, 0, {"trusted.overlay.redirect": "/etc", "user.overlay.origin": "y"})])
    assert os.listxattr(str(layer / "f")) == []


def test_whiteout_of_nothing_is_refused(area):
    layer, _outside = area
    with pytest.raises(LayerError, match="whiteout of nothing"):
        unpack(layer, [("file", "d/.wh..", "")])


def test_content_not_matching_the_diff_id_is_refused(area):
    layer, _outside = area
    with pytest.raises(LayerError, match="rootfs.diff_ids"):
        unpack(layer, [("file", "f", "x")], diff_id="sha256:" + "0" * 64)


def test_not_a_tar_is_refused(area):
    layer, _outside = area
    with pytest.raises(LayerError, match="not a valid layer"):
        unpack_layer(io.BytesIO(gzip.compress(b"garbage" * 100)), str(layer), None)


def test_zstd_layer(area):
    zstandard = pytest.importorskip("zstandard")
    layer, outside = area
    tar = layer_tar([("dir", "etc"), ("file", "etc/z", "zstd content"), ("whiteout", "old")])
    blob = zstandard.ZstdCompressor().compress(tar)
    assert unpack_layer(io.BytesIO(blob), str(layer), sha256(tar), "application/vnd.oci.image.layer.v1.tar+zstd") == sha256(tar)
    assert (layer / "etc" / "z").read_text() == "zstd content"
    assert os.lstat(str(layer / "old")).st_rdev == 0
    untouched(outside)


def test_zstd_without_a_module_is_a_clear_error(area, monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_zstd(name, *args, **kwargs):
        if name in ("zstandard", "compression"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_zstd)
    layer, _outside = area
    with pytest.raises(LayerError, match="zstd"):
        unpack_layer(io.BytesIO(b"\x28\xb5\x2f\xfd" + b"\0" * 64), str(layer), None,
                     "application/vnd.oci.image.layer.v1.tar+zstd")


def test_later_entries_replace_earlier_ones(area):
    layer, _outside = area
    unpack(layer, [("dir", "d"), ("file", "d/x", "1"), ("file", "d", "now a file"),
                   ("file", "f", "old"), ("file", "f", "new")])
    assert (layer / "d").read_text() == "now a file"
    assert (layer / "f").read_text() == "new"
