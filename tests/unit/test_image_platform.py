# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The source digest pull: always compares: a manifest's own, or the platform's entry of an index."""
from __future__ import absolute_import, division, print_function

import hashlib
import json

import pytest

from ansible_collections.opencontainer.runtime.plugins.module_utils.image import pull, skopeo
from ansible_collections.opencontainer.runtime.plugins.module_utils.image.errors import ImageError
from ansible_collections.opencontainer.runtime.plugins.module_utils.image.reference import parse

INDEX = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
    {"digest": "sha256:" + "1" * 64, "platform": {"os": "linux", "architecture": "amd64"}},
    {"digest": "sha256:" + "2" * 64, "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
    {"digest": "sha256:" + "3" * 64, "platform": {"os": "linux", "architecture": "arm", "variant": "v7"}},
]}


def with_raw(monkeypatch, document):
    raw = json.dumps(document).encode()
    monkeypatch.setattr(skopeo, "inspect_raw", lambda ref, auth=None: raw)
    return raw


def test_manifest_digest_is_of_its_bytes(monkeypatch):
    raw = with_raw(monkeypatch, {"schemaVersion": 2, "config": {}, "layers": []})
    assert pull.source_manifest_digest(parse("quay.io/a/b:1")) == "sha256:" + hashlib.sha256(raw).hexdigest()


@pytest.mark.parametrize("platform, digit", [("linux/amd64", "1"), ("linux/arm64", "2"), ("linux/arm/v7", "3")])
def test_index_entry_of_the_platform(monkeypatch, platform, digit):
    with_raw(monkeypatch, INDEX)
    assert pull.source_manifest_digest(parse("quay.io/a/b:1"), platform=platform) == "sha256:" + digit * 64


def test_no_image_for_the_platform(monkeypatch):
    with_raw(monkeypatch, INDEX)
    with pytest.raises(ImageError, match="no image for the platform linux/s390x"):
        pull.source_manifest_digest(parse("quay.io/a/b:1"), platform="linux/s390x")


@pytest.mark.parametrize("bad", ["linux", "linux/", "a/b/c/d"])
def test_bad_platform(bad):
    with pytest.raises(ImageError, match="os/architecture"):
        skopeo._platform_args(bad)


def test_platform_args():
    assert skopeo._platform_args("linux/arm/v7") == ["--override-os", "linux", "--override-arch", "arm",
                                                     "--override-variant", "v7"]


def test_missing_skopeo_names_the_package(monkeypatch):
    monkeypatch.setattr(skopeo.shutil, "which", lambda name: None)
    with pytest.raises(ImageError, match="install the package skopeo"):
        skopeo.binary()


def test_credentials_never_on_the_command_line(tmp_path):
    args = skopeo._source_args(parse("quay.io/a/b:1"), skopeo.Auth("me", "s3cret", tls_verify=False), str(tmp_path))
    assert not any("s3cret" in a for a in args)
    assert args[0] == "--src-authfile=%s/auth.json" % tmp_path and "--src-tls-verify=false" in args
    assert oct((tmp_path / "auth.json").stat().st_mode & 0o777) == "0o600"
    assert b"s3cret" not in (tmp_path / "auth.json").read_bytes()   # base64, as auth.json has it


def test_bad_pull_policy():
    with pytest.raises(ImageError, match="pull: must be one of"):
        pull.ensure_image(None, parse("quay.io/a/b:1"), "sometimes")


def test_skopeo_errors_are_its_message():
    line = (b'time="2026-12-08T00:44:28Z" level=fatal msg="Error parsing image name \\"docker://h/a:1\\": '
            b'reading manifest 1 in h/a: unauthorized: authentication required"\n')
    assert skopeo._message(b"noise\n" + line) == ('Error parsing image name "docker://h/a:1": reading manifest 1 in h/a: '
                                                  'unauthorized: authentication required')
    assert skopeo._message(b"plain failure\n") == "plain failure"
