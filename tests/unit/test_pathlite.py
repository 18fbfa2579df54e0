"""runtime/pathlite.py: os.path's answers without importing os."""
import os
import posixpath
import subprocess
import sys

import pytest

from runtime import pathlite

HERE = os.path.dirname(os.path.abspath(__file__))
MODULE_UTILS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "plugins", "module_utils")

PATHS = ["", "/", "//", "///", "////x", "a", "a/", "/a", "/a/", "a//b", "/a/b/c", "/a/b/c/", "a/./b",
         "./a", ".", "..", "../..", "/..", "/../a", "a/..", "a/../..", "a/b/../../..", "//a/../b",
         "///a/./../b/", "a/b/./../c/.", "/a//b///c", "../a/../b", "a/../../b/.."]


@pytest.mark.parametrize("path", PATHS)
def test_dirname_and_normpath_agree_with_posixpath(path):
    assert pathlite.dirname(path) == posixpath.dirname(path)
    assert pathlite.normpath(path) == posixpath.normpath(path)


@pytest.mark.parametrize("parts", [("a",), ("a", "b"), ("a/", "b"), ("a", "/b"), ("/a", "b", "/c", "d"),
                                   ("", "b"), ("a", ""), ("/", "x", "y/"), ("a//", "b")])
def test_join_agrees_with_posixpath(parts):
    assert pathlite.join(*parts) == posixpath.join(*parts)


@pytest.mark.parametrize("path", ["a", "a/../b", ".", "/x/y/..", "../q"])
def test_abspath_agrees_with_posixpath(path):
    assert pathlite.abspath(path) == posixpath.abspath(path)


def test_file_type_checks_agree_with_os_path(tmp_path):
    root = str(tmp_path)
    os.mkdir(os.path.join(root, "dir"))
    with open(os.path.join(root, "file"), "w"):
        pass
    os.symlink("file", os.path.join(root, "link"))
    os.symlink("nowhere", os.path.join(root, "dangling"))
    os.symlink("dir", os.path.join(root, "dirlink"))
    for name in ("dir", "file", "link", "dangling", "dirlink", "missing", "file/below", "bad\0name"):
        path = os.path.join(root, name)
        for check in ("exists", "lexists", "isdir", "isfile", "islink"):
            assert getattr(pathlite, check)(path) == getattr(os.path, check)(path), (check, name)


def test_the_cli_commands_that_use_it_do_not_load_os(tmp_path):
    """The point of it: a fresh interpreter loading what `state`, `exec`, `start`, `kill` and
    `delete` load has no os, nor the enum, re, json and socket that signal, json and socket bring."""
    code = (
        "import sys; sys.path.insert(0, %r)\n"
        "import runtime.cli.main, runtime.cli.exec_cmd, runtime.lifecycle.exec, runtime.lifecycle.query\n"
        "import runtime.state, runtime.process.execproc, runtime.cgroups.membership, runtime.syscalls.linux\n"
        "import runtime.lifecycle.start, runtime.lifecycle.kill, runtime.lifecycle.delete, runtime.cgroups.manager\n"
        "print(sorted(m for m in ('os', 'posixpath', 'stat', '_collections_abc', 'enum', 're', 'json',\n"
        "                         'socket', 'signal') if m in sys.modules))\n"
        % MODULE_UTILS)
    out = subprocess.check_output([sys.executable, "-I", "-S", "-c", code]).decode().strip()
    assert out == "[]"


def test_path_like_objects_are_accepted_as_by_os_path(tmp_path):
    assert pathlite.join(tmp_path, "x") == os.path.join(tmp_path, "x")
    assert pathlite.dirname(tmp_path) == os.path.dirname(tmp_path)
    assert pathlite.abspath(tmp_path) == os.path.abspath(tmp_path)
    assert pathlite.isdir(tmp_path) is True
