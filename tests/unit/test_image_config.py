# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An image config as config.json defaults (image/imageconfig.py), entry names of layers (unpack.entry_path)."""
from __future__ import absolute_import, division, print_function

import os

import pytest

from ansible_collections.opencontainer.runtime.plugins.module_utils.image import imageconfig
from ansible_collections.opencontainer.runtime.plugins.module_utils.image.errors import ImageError, LayerError
from ansible_collections.opencontainer.runtime.plugins.module_utils.image.unpack import entry_path

IMAGE = {"os": "linux", "architecture": "amd64", "created": "2026-01-01T00:00:00Z", "author": "me",
         "config": {"Entrypoint": ["/entry"], "Cmd": ["--serve"], "Env": ["PATH=/usr/bin", "A=1"],
                    "StopSignal": "SIGQUIT", "Labels": {"team": "x"},
                    "ExposedPorts": {"8080/tcp": {}, "53/udp": {}}}}


@pytest.mark.parametrize("entrypoint, command, args", [
    (None, None, ["/entry", "--serve"]),
    (None, ["--debug"], ["/entry", "--debug"]),          # command replaces Cmd
    (["/other"], None, ["/other"]),                      # entrypoint replaces Entrypoint, drops Cmd (docker)
    (["/other"], ["x"], ["/other", "x"]),
    ([], ["/bin/sh"], ["/bin/sh"]),
])
def test_entrypoint_and_cmd(entrypoint, command, args):
    assert imageconfig.process_args(IMAGE, entrypoint, command) == args


def test_no_entrypoint_no_cmd_is_an_error():
    with pytest.raises(ImageError, match="neither Entrypoint nor Cmd"):
        imageconfig.process_args({"config": {}})


def test_env_image_over_defaults():
    env = imageconfig.merged_env(["PATH=/bin", "TERM=xterm"], IMAGE)
    assert env == ["TERM=xterm", "PATH=/usr/bin", "A=1"]


def test_annotations_per_conversion_md():
    notes = imageconfig.annotations(IMAGE)
    assert notes == {"team": "x", "org.opencontainers.image.os": "linux",
                     "org.opencontainers.image.architecture": "amd64",
                     "org.opencontainers.image.created": "2026-01-01T00:00:00Z",
                     "org.opencontainers.image.author": "me",
                     "org.opencontainers.image.stopSignal": "SIGQUIT",
                     "org.opencontainers.image.exposedPorts": "53/udp,8080/tcp"}


def layers(tmp_path, *contents):
    """Layer directories (top first) with etc/passwd and etc/group as given (None: absent)."""
    dirs = []
    for index, (passwd, group) in enumerate(contents):
        etc = tmp_path / ("l%d" % index) / "etc"
        etc.mkdir(parents=True)
        if passwd is not None:
            (etc / "passwd").write_text(passwd)
        if group is not None:
            (etc / "group").write_text(group)
        dirs.append(str(etc.parent))
    return dirs


def test_user_names_from_the_image_files(tmp_path):
    dirs = layers(tmp_path, ("app:x:100:101::/:/bin/sh\n", None),
                  ("root:x:0:0::/:/bin/sh\n", "app:x:101:\nextra:x:7:app,other\nbig:x:9:other\n"))
    assert imageconfig.resolve_user("app", dirs) == {"uid": 100, "gid": 101, "additionalGids": [7]}
    assert imageconfig.resolve_user("app:big", dirs)["gid"] == 9
    assert imageconfig.resolve_user("1000", dirs) == {"uid": 1000, "gid": 0}
    assert imageconfig.resolve_user("1000:5", dirs) == {"uid": 1000, "gid": 5}
    with pytest.raises(ImageError, match="not in the image's /etc/passwd"):
        imageconfig.resolve_user("root2", dirs)


def test_a_symlinked_passwd_is_not_followed(tmp_path):
    dirs = layers(tmp_path, (None, None))
    os.symlink("/etc/passwd", os.path.join(dirs[0], "etc", "passwd"))
    with pytest.raises(ImageError, match="not in the image"):
        imageconfig.resolve_user("root", dirs)
    (tmp_path / "l1").mkdir()
    os.symlink("/etc", str(tmp_path / "l1" / "etc"))
    assert imageconfig.read_image_file([str(tmp_path / "l1")], "etc/passwd") is None


@pytest.mark.skipif(os.geteuid() != 0, reason="whiteouts are device nodes (root)")
def test_whiteout_and_opaque_hide_lower_files(tmp_path):
    dirs = layers(tmp_path, (None, None), ("root:x:0:0::/:/bin/sh\n", None))
    os.mknod(os.path.join(dirs[0], "etc", "passwd"), 0o020000, os.makedev(0, 0))
    assert imageconfig.read_image_file(dirs, "etc/passwd") is None
    os.unlink(os.path.join(dirs[0], "etc", "passwd"))
    assert imageconfig.read_image_file(dirs, "etc/passwd").startswith(b"root:")
    os.setxattr(os.path.join(dirs[0], "etc"), "trusted.overlay.opaque", b"y")
    assert imageconfig.read_image_file(dirs, "etc/passwd") is None


@pytest.mark.parametrize("name, path", [
    ("etc/passwd", "etc/passwd"), ("./etc/", "etc"), ("/abs/x", "abs/x"), ("a/./b//c", "a/b/c"),
    ("a/../b", "b"), ("./", ""), ("/", ""),
])
def test_entry_names(name, path):
    assert entry_path(name) == path


@pytest.mark.parametrize("name", ["..", "../x", "a/../../x", "/../x", "./../x"])
def test_entry_names_climbing_out(name):
    with pytest.raises(LayerError, match="outside the layer"):
        entry_path(name)
