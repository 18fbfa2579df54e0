# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image references and short-name resolution (image/reference.py, image/registries.py)."""
from __future__ import absolute_import, division, print_function

import pytest

from ansible_collections.opencontainer.runtime.plugins.module_utils.image import registries
from ansible_collections.opencontainer.runtime.plugins.module_utils.image.errors import BadReference
from ansible_collections.opencontainer.runtime.plugins.module_utils.image.reference import parse

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize("text, canonical, short", [
    ("docker.io/library/busybox:1.36", "docker.io/library/busybox:1.36", False),
    ("docker.io/busybox", "docker.io/library/busybox:latest", False),
    ("quay.io/org/app", "quay.io/org/app:latest", False),
    ("localhost/app:v1", "localhost/app:v1", False),
    ("127.0.0.1:5000/test/app:1", "127.0.0.1:5000/test/app:1", False),
    ("registry.example.com:443/a/b/c@" + DIGEST, "registry.example.com:443/a/b/c@" + DIGEST, False),
    ("quay.io/app:1@" + DIGEST, "quay.io/app:1@" + DIGEST, False),
    ("docker://quay.io/app:2", "quay.io/app:2", False),
    ("busybox", "busybox:latest", True),
    ("library/nginx:1.27", "library/nginx:1.27", True),
    ("my_org/app-name.x:tag_1.2-rc", "my_org/app-name.x:tag_1.2-rc", True),
])
def test_registry_references(text, canonical, short):
    ref = parse(text)
    assert str(ref) == canonical
    assert ref.is_short is short
    if not short:
        assert ref.skopeo_source() == "docker://" + canonical


@pytest.mark.parametrize("text, message", [
    ("", "required"),
    ("Busybox", "lowercase"),
    ("quay.io/App", "lowercase"),
    ("app:bad tag", "not a valid tag"),
    ("app@sha256:short", "not a digest"),
    ("app@md5:" + "a" * 32, "not a digest"),
    ("-app", "not a valid repository"),
    ("a//b", "not a valid repository"),
    ("bad_host!.io/x", "not a valid registry host"),
    ("x" * 300, "longer than"),
])
def test_bad_references_say_what_is_wrong(text, message):
    with pytest.raises(BadReference, match=message):
        parse(text)


def test_local_transports(tmp_path):
    assert str(parse("oci:%s/layout:v1" % tmp_path)) == "oci:%s/layout:v1" % tmp_path
    ref = parse("oci-archive:%s/img.tar" % tmp_path)
    assert (ref.transport, ref.file, ref.tag) == ("oci-archive", "%s/img.tar" % tmp_path, None)
    assert ref.skopeo_source() == "oci-archive:%s/img.tar" % tmp_path
    assert parse("docker-archive:%s/save.tar" % tmp_path).transport == "docker-archive"
    with pytest.raises(BadReference, match="a path is required"):
        parse("oci:")
    with pytest.raises(BadReference, match="must be resolved"):
        parse("busybox").skopeo_source()


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_single_search_registry_qualifies(tmp_path):
    conf = write(tmp_path, "r.conf", 'unqualified-search-registries = ["docker.io"]\n')
    assert str(registries.resolve(parse("busybox:1"), paths=[conf])) == "docker.io/library/busybox:1"
    assert str(registries.resolve(parse("org/app"), paths=[conf])) == "docker.io/org/app:latest"


def test_ambiguous_short_name_is_refused_naming_the_candidates(tmp_path):
    conf = write(tmp_path, "r.conf", 'unqualified-search-registries = [\n  "quay.io",\n  "docker.io", # hub\n]\n')
    with pytest.raises(BadReference, match="ambiguous.*quay.io/app:latest, docker.io/library/app:latest"):
        registries.resolve(parse("app"), paths=[conf])
    # An image already in the store under one of the candidates is that image (podman does the same).
    ref = registries.resolve(parse("app"), local_names=["docker.io/library/app:latest"], paths=[conf])
    assert str(ref) == "docker.io/library/app:latest"


def test_no_search_registries_is_a_clear_error(tmp_path):
    conf = write(tmp_path, "r.conf", "# nothing\n")
    with pytest.raises(BadReference, match="short name.*docker.io/library/app"):
        registries.resolve(parse("app"), paths=[conf])


def test_aliases_win_and_later_files_replace_earlier_keys(tmp_path):
    main = write(tmp_path, "a.conf", 'unqualified-search-registries = ["quay.io", "docker.io"]\n')
    dropin = write(tmp_path, "b.conf", 'unqualified-search-registries = ["example.org"]\n'
                                       '[aliases]\n  "web" = "registry.example.com/team/web"\n')
    assert str(registries.resolve(parse("web:2"), paths=[main, dropin])) == "registry.example.com/team/web:2"
    assert str(registries.resolve(parse("other"), paths=[main, dropin])) == "example.org/other:latest"


def test_alias_to_a_short_name_is_refused(tmp_path):
    conf = write(tmp_path, "r.conf", '[aliases]\n"web" = "web2"\n')
    with pytest.raises(BadReference, match="not a qualified name"):
        registries.resolve(parse("web"), paths=[conf])


def test_qualified_names_are_not_resolved(tmp_path):
    ref = parse("quay.io/x/y:1")
    assert registries.resolve(ref, paths=[]) is ref


def test_fallback_reader_matches_tomllib():
    text = ('# comment\nunqualified-search-registries = ["a.io", # first\n "b.io"]\n'
            '[[registry]]\nlocation = "c.io"\n[aliases]\n"x" = "a.io/x"\nplain = "b.io/y"\n')
    import builtins
    real_import = builtins.__import__

    def no_tomllib(name, *args, **kwargs):
        if name == "tomllib":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    builtins.__import__ = no_tomllib
    try:
        fallback = registries.parse_toml_subset(text)
    finally:
        builtins.__import__ = real_import
    assert fallback["unqualified-search-registries"] == ["a.io", "b.io"]
    assert fallback["aliases"] == {"x": "a.io/x", "plain": "b.io/y"}
    try:
        import tomllib
    except ImportError:
        return
    full = tomllib.loads(text)
    assert full["unqualified-search-registries"] == fallback["unqualified-search-registries"]
    assert full["aliases"] == fallback["aliases"]
