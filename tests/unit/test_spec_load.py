# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""load_bundle: paths are resolved, config.json is parsed and validated, errors are precise."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

import pytest

from runtime.errors import SpecError
from runtime.spec.defaults import default_config
from runtime.spec.load import Bundle, load_bundle


def make_bundle(directory, config=None, rootfs="rootfs"):
    directory.mkdir(exist_ok=True)
    if rootfs:
        (directory / rootfs).mkdir()
    (directory / "config.json").write_text(
        json.dumps(default_config() if config is None else config))
    return directory


def load_error(path, **kwargs):
    with pytest.raises(SpecError) as info:
        load_bundle(str(path), **kwargs)
    return info.value


def test_loads_a_bundle(tmp_path):
    bundle = load_bundle(str(make_bundle(tmp_path / "b")))
    assert isinstance(bundle, Bundle)
    assert bundle.path == os.path.realpath(str(tmp_path / "b"))
    assert bundle.rootfs == os.path.join(bundle.path, "rootfs")
    assert bundle.config == default_config()
    assert bundle.config_path == os.path.join(bundle.path, "config.json")
    assert "rootfs" in repr(bundle)


def test_relative_and_symlinked_bundle_paths_are_resolved(tmp_path, monkeypatch):
    make_bundle(tmp_path / "real")
    os.symlink(str(tmp_path / "real"), str(tmp_path / "link"))
    monkeypatch.chdir(str(tmp_path))
    for given in ("link", "./real/", str(tmp_path / "link")):
        bundle = load_bundle(given)
        assert bundle.path == os.path.realpath(str(tmp_path / "real"))
        assert os.path.isabs(bundle.rootfs)


def test_absolute_root_path(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    config = default_config()
    config["root"]["path"] = str(elsewhere)
    bundle = load_bundle(str(make_bundle(tmp_path / "b", config, rootfs=None)))
    assert bundle.rootfs == os.path.realpath(str(elsewhere))


def test_missing_bundle(tmp_path):
    error = load_error(tmp_path / "nope")
    assert error.path == "" and "does not exist" in str(error)


def test_bundle_is_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    assert "is not a directory" in str(load_error(tmp_path / "file"))


def test_empty_bundle_path():
    assert "non-empty" in str(load_error(""))


def test_missing_config(tmp_path):
    (tmp_path / "b").mkdir()
    error = load_error(tmp_path / "b")
    assert error.path == "" and "cannot read" in str(error) and "config.json" in str(error)


def test_unreadable_config(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "config.json").mkdir()
    assert "cannot read" in str(load_error(tmp_path / "b"))


def test_invalid_json_reports_position(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "config.json").write_text('{\n  "ociVersion": "1.2.0",\n  oops\n}')
    error = load_error(tmp_path / "b")
    assert error.path == ""
    assert "not valid JSON at line 3 column 3" in str(error)


def test_non_utf8_config(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "config.json").write_bytes(b'{"hostname": "\xff"}')
    assert "not UTF-8" in str(load_error(tmp_path / "b"))


@pytest.mark.parametrize("content", ["[]", '"x"', "null", "3"])
def test_config_not_an_object(tmp_path, content):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "config.json").write_text(content)
    assert "must hold a JSON object" in str(load_error(tmp_path / "b"))


def test_invalid_config_is_rejected_with_json_path(tmp_path):
    config = default_config()
    config["process"]["args"] = []
    error = load_error(make_bundle(tmp_path / "b", config))
    assert error.path == "process.args"


def test_missing_rootfs(tmp_path):
    error = load_error(make_bundle(tmp_path / "b", rootfs=None))
    assert error.path == "root.path" and "does not exist" in str(error)


def test_rootfs_is_a_file(tmp_path):
    make_bundle(tmp_path / "b", rootfs=None)
    (tmp_path / "b" / "rootfs").write_text("x")
    error = load_error(tmp_path / "b")
    assert error.path == "root.path" and "not a directory" in str(error)


def test_partial_config_without_root(tmp_path):
    make_bundle(tmp_path / "b", {"ociVersion": "1.0.0"}, rootfs=None)
    bundle = load_bundle(str(tmp_path / "b"), for_create=False)
    assert bundle.rootfs is None
    assert load_error(tmp_path / "b").path == "root"
