# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The target-side bytecode cache (container/bytecode_cache.py).

Each import scenario runs in a fresh interpreter (a subprocess), as a module
run by AnsiballZ does: a zip with a small package on sys.path, the finder
installed for a temp cache directory, builtins.compile counted.
"""
from __future__ import absolute_import, division, print_function

import glob
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile

import pytest

from ansible_collections.opencontainer.runtime.plugins.module_utils.container import bytecode_cache

CACHE_PY = bytecode_cache.__file__

PACKAGE = {
    "bcpkg/__init__.py": "VALUE = 'init'\n",
    "bcpkg/sub.py": ("from . import VALUE\n"
                     "SUB = VALUE + '-sub'\n"
                     "def boom():\n"
                     "    raise ValueError('boom')\n"),
    "bcpkg/data.txt": "some data\n",
    "bcmod.py": "# -*- coding: utf-8 -*-\nTEXT = 'd\u00e9j\u00e0'\n",
}
MODULES = ("bcpkg", "bcpkg.sub", "bcmod")

CHILD = r'''
import builtins, importlib.util, json, os, sys, traceback
cache_py, zip_path, cache_dir, extra_dir = sys.argv[1:5]
spec = importlib.util.spec_from_file_location("bytecode_cache", cache_py)
bc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bc)
compiled = []
real_compile = builtins.compile
def counting_compile(source, filename, *args, **kwargs):
    compiled.append(str(filename))
    return real_compile(source, filename, *args, **kwargs)
builtins.compile = counting_compile
sys.path.insert(0, zip_path)
if extra_dir.startswith("first:"):
    sys.path.insert(0, extra_dir[6:])
elif extra_dir:
    sys.path.append(extra_dir)
finder = bc.install_finder(cache_dir)
out = {"meta_path_ok": sys.meta_path.index(finder) + 1 == sys.meta_path.index(bc.PathFinder)}
try:
    import bcpkg, bcpkg.sub, bcmod
except SyntaxError as e:
    out["error"] = "SyntaxError"
else:
    out["values"] = [bcpkg.VALUE, bcpkg.sub.SUB, bcmod.TEXT]
    out["loaders"] = [type(m.__loader__).__name__ for m in (bcpkg, bcpkg.sub, bcmod)]
    out["files"] = [bcpkg.__file__, bcpkg.sub.__file__, bcmod.__file__]
    out["path"] = list(bcpkg.__path__)
    out["is_package"] = [bcpkg.__loader__.is_package("bcpkg"), bcpkg.sub.__loader__.is_package("bcpkg.sub")]
    out["data"] = bcpkg.__loader__.get_data(os.path.join(os.path.dirname(bcpkg.__file__), "data.txt")).decode()
    out["source"] = bcmod.__loader__.get_source("bcmod")
    if sys.version_info >= (3, 9):
        import importlib.resources
        out["resource"] = importlib.resources.files("bcpkg").joinpath("data.txt").read_text()
    try:
        bcpkg.sub.boom()
    except ValueError:
        out["traceback_file"] = traceback.extract_tb(sys.exc_info()[2])[-1].filename
    out["co_filename"] = bcpkg.sub.boom.__code__.co_filename
if extra_dir:
    import plainmod
    out["plain_loader"] = type(plainmod.__loader__).__name__
    out["plain_file"] = plainmod.__file__
out["compiled"] = [f for f in compiled if zip_path in f]
out["loaded"] = finder.cache.loaded
out["stored"] = finder.cache.stored
print(json.dumps(out))
'''


def make_zip(path, files=None):
    with zipfile.ZipFile(str(path), "w") as archive:
        for name, text in (files or PACKAGE).items():
            archive.writestr(name, text.encode("utf-8"))
    return str(path)


def run_child(zip_path, cache_dir, python=sys.executable, extra_dir="", env=None):
    proc = subprocess.run([python, "-c", CHILD, CACHE_PY, zip_path, str(cache_dir), extra_dir],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=60, check=False, env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def entries(cache_dir):
    return sorted(glob.glob(os.path.join(str(cache_dir), "*" + bytecode_cache.ENTRY_SUFFIX)))


def zip_origins(zip_path):
    return [os.path.join(zip_path, "bcpkg", "__init__.py"), os.path.join(zip_path, "bcpkg", "sub.py"),
            os.path.join(zip_path, "bcmod.py")]


def assert_imports_work(out, zip_path):
    assert out["meta_path_ok"]
    assert out["values"] == ["init", "init-sub", "d\u00e9j\u00e0"]
    assert out["files"] == zip_origins(zip_path)
    assert out["path"] == [os.path.join(zip_path, "bcpkg")]
    assert out["is_package"] == [True, False]
    assert out["data"] == "some data\n"
    assert out["source"] == PACKAGE["bcmod.py"]
    if "resource" in out:
        assert out["resource"] == "some data\n"
    assert out["traceback_file"] == os.path.join(zip_path, "bcpkg", "sub.py")
    assert out["co_filename"] == os.path.join(zip_path, "bcpkg", "sub.py")


def test_first_run_stores_second_run_loads_without_compiling(tmp_path):
    zip_path = make_zip(tmp_path / "payload.zip")
    cache_dir = tmp_path / "home" / ".cache" / "opencontainer" / "bytecode"

    first = run_child(zip_path, cache_dir)
    assert_imports_work(first, zip_path)
    assert first["loaders"] == ["CachedZipLoader"] * 3
    # Once each (zipimport alone compiles each module twice: for get_filename, then for exec_module).
    assert sorted(first["compiled"]) == sorted(zip_origins(zip_path))
    assert (first["loaded"], first["stored"]) == (0, 3)
    for directory in (cache_dir, cache_dir.parent, cache_dir.parent.parent):
        assert os.stat(str(directory)).st_mode & 0o777 == 0o700, directory
    stored = entries(cache_dir)
    assert len(stored) == 3
    assert all(os.stat(entry).st_mode & 0o777 == 0o600 for entry in stored)
    mtimes = [os.stat(entry).st_mtime_ns for entry in stored]

    second = run_child(zip_path, cache_dir)
    assert_imports_work(second, zip_path)
    assert second["compiled"] == []
    assert (second["loaded"], second["stored"]) == (3, 0)
    assert [os.stat(entry).st_mtime_ns for entry in entries(cache_dir)] == mtimes


def test_another_zip_path_loads_and_names_its_own_files(tmp_path):
    """AnsiballZ's zip has a new temp path on every task: the same entries, tracebacks with the new path."""
    first_zip = make_zip(tmp_path / "one.zip")
    cache_dir = tmp_path / "cache"
    run_child(first_zip, cache_dir)
    moved = str(tmp_path / "elsewhere" / "two.zip")
    os.makedirs(os.path.dirname(moved))
    shutil.copy(first_zip, moved)
    out = run_child(moved, cache_dir)
    assert_imports_work(out, moved)
    assert (out["compiled"], out["loaded"]) == ([], 3)


def test_changed_source_is_a_miss(tmp_path):
    cache_dir = tmp_path / "cache"
    run_child(make_zip(tmp_path / "a.zip"), cache_dir)
    changed = dict(PACKAGE, **{"bcmod.py": "TEXT = 'd\u00e9j\u00e0'  # changed\n"})
    zip_path = make_zip(tmp_path / "b.zip", changed)
    out = run_child(zip_path, cache_dir)
    assert out["compiled"] == [os.path.join(zip_path, "bcmod.py")]
    assert (out["loaded"], out["stored"]) == (2, 1)
    assert len(entries(cache_dir)) == 4


@pytest.mark.parametrize("make_unsafe", ["group_writable", "other_writable", "symlink", "not_a_directory", "wrong_owner"])
def test_unsafe_cache_dir_is_not_used(tmp_path, make_unsafe):
    zip_path = make_zip(tmp_path / "payload.zip")
    cache_dir = tmp_path / "cache"
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    if make_unsafe == "group_writable":
        cache_dir.mkdir()
        os.chmod(str(cache_dir), 0o770)
    elif make_unsafe == "other_writable":
        cache_dir.mkdir()
        os.chmod(str(cache_dir), 0o1777)
    elif make_unsafe == "symlink":
        os.symlink(str(real), str(cache_dir))
    elif make_unsafe == "not_a_directory":
        cache_dir.write_text("")
    else:
        if os.geteuid() != 0:
            pytest.skip("chown to another user needs root")
        cache_dir.mkdir(mode=0o700)
        os.chown(str(cache_dir), 65534, 65534)
    out = run_child(zip_path, cache_dir)
    assert_imports_work(out, zip_path)
    assert (out["loaded"], out["stored"]) == (0, 0)
    assert entries(real) == []
    if cache_dir.is_dir() and not cache_dir.is_symlink():
        assert entries(cache_dir) == []


def test_corrupt_or_foreign_entries_are_compiled_again(tmp_path):
    zip_path = make_zip(tmp_path / "payload.zip")
    cache_dir = tmp_path / "cache"
    run_child(zip_path, cache_dir)
    stored = entries(cache_dir)
    with open(stored[0], "r+b") as handle:     # one flipped byte in the marshal data
        handle.seek(-3, os.SEEK_END)
        byte = handle.read(1)
        handle.seek(-3, os.SEEK_END)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with open(stored[1], "wb") as handle:      # a truncated file
        handle.write(bytecode_cache.ENTRY_HEADER)
    os.unlink(stored[2])                       # a directory where an entry should be
    os.mkdir(stored[2])
    out = run_child(zip_path, cache_dir)
    assert_imports_work(out, zip_path)
    assert (out["loaded"], out["stored"]) == (0, 2)
    assert len(out["compiled"]) == 3
    assert run_child(zip_path, cache_dir)["loaded"] == 2


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
def test_entry_of_another_user_is_not_loaded(tmp_path):
    zip_path = make_zip(tmp_path / "payload.zip")
    cache_dir = tmp_path / "cache"
    run_child(zip_path, cache_dir)
    for entry in entries(cache_dir):
        os.chown(entry, 65534, 65534)
    out = run_child(zip_path, cache_dir)
    assert (out["loaded"], out["stored"]) == (0, 3)
    assert all(os.stat(entry).st_uid == 0 for entry in entries(cache_dir))


def test_syntax_error_is_raised_and_not_cached(tmp_path):
    zip_path = make_zip(tmp_path / "payload.zip", dict(PACKAGE, **{"bcmod.py": "def broken(:\n"}))
    cache_dir = tmp_path / "cache"
    out = run_child(zip_path, cache_dir)
    assert out["error"] == "SyntaxError"
    assert len(entries(cache_dir)) == 2


def test_modules_from_a_directory_are_left_alone(tmp_path):
    zip_path = make_zip(tmp_path / "payload.zip")
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "plainmod.py").write_text("X = 1\n")
    cache_dir = tmp_path / "cache"
    out = run_child(zip_path, cache_dir, extra_dir=str(plain))
    assert out["plain_loader"] == "SourceFileLoader"
    assert len(entries(cache_dir)) == 3


def test_a_directory_before_the_zip_keeps_precedence(tmp_path):
    """sys.path order decides as without the cache: a directory first is left to PathFinder."""
    zip_path = make_zip(tmp_path / "payload.zip", dict(PACKAGE, **{"plainmod.py": "X = 'zip'\n"}))
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "plainmod.py").write_text("X = 'dir'\n")
    out = run_child(zip_path, tmp_path / "cache", extra_dir="first:" + str(plain))
    assert out["plain_file"] == str(plain / "plainmod.py")
    assert out["values"] == ["init", "init-sub", "d\u00e9j\u00e0"]
    # bcpkg.sub is looked up in bcpkg.__path__ (the zip only): cached; the top-level ones are PathFinder's.
    assert out["loaders"] == ["zipimporter", "CachedZipLoader", "zipimporter"]


@pytest.mark.parametrize("version", ["3.8", "3.9", "3.10", "3.12", "3.13"])
def test_other_pythons(tmp_path, version):
    """The targets' Pythons (zipimport has find_spec only from 3.10; 3.8/3.9 go through find_loader)."""
    found = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/%s.*/bin/python%s" % (version, version))))
    python = found[-1] if found else shutil.which("python%s" % version)
    if not python:
        pytest.skip("no python%s on this machine" % version)
    zip_path = make_zip(tmp_path / "payload.zip")
    cache_dir = tmp_path / "cache"
    first = run_child(zip_path, cache_dir, python=python)
    assert_imports_work(first, zip_path)
    second = run_child(zip_path, cache_dir, python=python)
    assert_imports_work(second, zip_path)
    assert (second["compiled"], second["loaded"]) == ([], 3)


def test_install_from_a_directory_changes_nothing(monkeypatch):
    monkeypatch.delenv(bytecode_cache.ENV_VAR, raising=False)
    before = list(sys.meta_path)
    assert bytecode_cache.install() is None
    assert sys.meta_path == before


def test_cache_dir_from_env():
    home_dir = bytecode_cache.cache_dir_from_env({})
    assert home_dir.endswith(os.path.join(".cache", "opencontainer", "bytecode")) and os.path.isabs(home_dir)
    for off in ("0", "off", "FALSE", "no"):
        assert bytecode_cache.cache_dir_from_env({bytecode_cache.ENV_VAR: off}) is None
    assert bytecode_cache.cache_dir_from_env({bytecode_cache.ENV_VAR: "/srv/cache"}) == "/srv/cache"
    assert bytecode_cache.cache_dir_from_env({bytecode_cache.ENV_VAR: "1"}) == home_dir


def test_prune_removes_unused_stale_and_excess_entries(tmp_path, monkeypatch):
    monkeypatch.setattr(bytecode_cache, "MAX_ENTRIES", 3)
    cache = bytecode_cache.BytecodeCache(str(tmp_path / "cache"))
    dir_fd = cache.open_dir()
    try:
        now = time.time()
        ages = {"old": bytecode_cache.MAX_AGE + 10, "a": 400, "b": 300, "c": 200, "d": 100}
        for name, age in ages.items():
            path = tmp_path / "cache" / (name + bytecode_cache.ENTRY_SUFFIX)
            path.write_bytes(b"x")
            os.utime(str(path), (now - age, now - age))
        for name, age in ((".tmp-1-stale", 7200), (".tmp-2-fresh", 10)):
            path = tmp_path / "cache" / name
            path.write_bytes(b"x")
            os.utime(str(path), (now - age, now - age))
        cache.prune(dir_fd, now=now)
        assert sorted(os.listdir(str(tmp_path / "cache"))) == [".pruned", ".tmp-2-fresh"] + [
            n + bytecode_cache.ENTRY_SUFFIX for n in ("b", "c", "d")]
        # Rarely: the next prune within a day does nothing.
        (tmp_path / "cache" / ("e" + bytecode_cache.ENTRY_SUFFIX)).write_bytes(b"x")
        cache.prune(dir_fd, now=now + 10)
        assert len(entries(tmp_path / "cache")) == 4
    finally:
        os.close(dir_fd)


def test_a_hit_marks_an_old_entry_as_used(tmp_path):
    cache = bytecode_cache.BytecodeCache(str(tmp_path / "cache"))
    source = b"X = 41 + 1\n"
    code = cache.code("mod", "/zip/mod.py", source)
    (entry,) = entries(tmp_path / "cache")
    old = time.time() - bytecode_cache.TOUCH_AFTER - 60
    os.utime(entry, (old, old))
    again = cache.code("mod", "/other.zip/mod.py", source)
    namespace = {}
    exec(again, namespace)
    assert namespace["X"] == 42 and again.co_filename == "/other.zip/mod.py" and code.co_filename == "/zip/mod.py"
    assert (cache.stored, cache.loaded) == (1, 1)
    assert os.stat(entry).st_mtime > old + 60
