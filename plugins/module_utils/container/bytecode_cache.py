# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A bytecode cache on the target for what the modules import from the AnsiballZ zip.

Private to this collection. Ansible runs a module with its module_utils in a
zip on sys.path. zipimport neither reads nor writes __pycache__, and it compiles
each module twice (zipimporter.get_filename, called to make the spec, compiles
it too), so every task compiles its imports again. ``install()`` puts a finder
on sys.meta_path, just before PathFinder, that makes the spec of a ``.py`` file
in a zip itself, with a loader that takes the code object from a per-user cache
directory (compiling once and storing it on a miss). Everything else of the
loader (get_data, is_package, get_source, get_resource_reader, ...) is the
zipimporter's. Modules not in a zip are left to PathFinder.

An entry's name is a hash of the source bytes, the interpreter's bytecode magic
number, the optimization level and the module name, so a changed source, another
Python or another module is a miss, never stale code. The cache loads code, so it
is used only when the directory is a real directory (not a symlink) owned by the
effective user with no group/other write bits, and only regular files owned by
that user with an intact checksum are loaded; anything unexpected means a normal
compile, never a failed task. ``OPENCONTAINER_BYTECODE_CACHE=0`` turns it off;
an absolute path there names another directory (the same checks apply).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import marshal
import os
import stat
import sys
import time
import zipimport
from importlib.machinery import PathFinder
from importlib.util import MAGIC_NUMBER, spec_from_file_location   # importlib.util: already imported by runpy

try:
    from _imp import _fix_co_filename
except ImportError:  # not CPython: tracebacks name the first run's zip path
    def _fix_co_filename(code, path):
        return None

try:
    # The builtin module: hashlib would load OpenSSL, a few milliseconds per task.
    from _blake2 import blake2b as _blake2b

    def _hasher():
        return _blake2b(digest_size=20)
except ImportError:
    from hashlib import sha256 as _hasher

ENV_VAR = "OPENCONTAINER_BYTECODE_CACHE"
DEFAULT_DIR = os.path.join(".cache", "opencontainer", "bytecode")   # under the effective user's home
ENTRY_SUFFIX = ".code"
ENTRY_HEADER = b"OCBC1\n"       # then the 20-byte hash of the marshal data, then the data
STAMP = ".pruned"               # its mtime: the last prune
PRUNE_EVERY = 86400             # seconds between prunes (run only after a store)
MAX_AGE = 30 * 86400            # an entry not loaded for this long is removed
MAX_ENTRIES = 2000              # beyond this, the least recently used are removed
TOUCH_AFTER = 86400             # a hit refreshes an entry's mtime at most this often
_DISABLED = ("0", "off", "false", "no")
_OPEN_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_OPEN_FILE = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_CODE_TYPE = type(compile("", "", "exec"))


def _digest(*parts):
    h = _hasher()
    for part in parts:
        h.update(part)
    return h.digest()[:20]


def cache_dir_from_env(environ=None):
    """The cache directory: None when disabled, the env var's absolute path, else <home>/.cache/opencontainer/bytecode."""
    value = (os.environ if environ is None else environ).get(ENV_VAR, "").strip()
    if value.lower() in _DISABLED:
        return None
    if os.path.isabs(value):
        return value
    import pwd
    try:
        # The effective user's home, not $HOME: under become, $HOME may still be the caller's.
        home = pwd.getpwuid(os.geteuid()).pw_dir
    except KeyError:
        return None
    # Never create a home (a system user's /nonexistent): only what is missing below an existing one.
    return os.path.join(home, DEFAULT_DIR) if os.path.isabs(home) and os.path.isdir(home) else None


def _make_dirs(path):
    """Create the missing directories of ``path`` 0700 (umask applies to makedirs' parents)."""
    missing = []
    while not os.path.lexists(path):
        missing.append(path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, 0o700)
        except FileExistsError:
            pass


class BytecodeCache:
    """The entries of one cache directory. code() never fails because of the cache: it compiles instead."""

    def __init__(self, path):
        self.path = path
        self.euid = os.geteuid()
        # Not sys.dont_write_bytecode: PYTHONDONTWRITEBYTECODE (set in many images and CI environments) keeps
        # __pycache__ out of source trees; this directory is the cache's own, switched off with ENV_VAR=0.
        self.usable = True
        self.identity = None    # (st_dev, st_ino) of the directory when first opened
        self.loaded = 0
        self.stored = 0

    def open_dir(self):
        """A descriptor of the directory, or None unless it is safe: a real directory of ours, no group/other write."""
        try:
            try:
                fd = os.open(self.path, _OPEN_DIR)
            except FileNotFoundError:
                _make_dirs(self.path)
                fd = os.open(self.path, _OPEN_DIR)
        except OSError:
            self.usable = False     # a symlink (ELOOP), not a directory, not allowed: no second try in this process
            return None
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode) and st.st_uid == self.euid and not st.st_mode & 0o022 \
                and self.identity in (None, (st.st_dev, st.st_ino)):
            # Pinned: a process of the runtime that imports after joining a container's mount namespace
            # finds another directory at this path, never to be trusted.
            self.identity = (st.st_dev, st.st_ino)
            return fd
        os.close(fd)
        self.usable = False
        return None

    @staticmethod
    def key(name, source):
        flags = ("%s\0%d\0" % (name, sys.flags.optimize)).encode("utf-8")
        return _digest(MAGIC_NUMBER, b"\0", flags, source).hex() + ENTRY_SUFFIX

    def load(self, dir_fd, entry):
        """The code object stored as ``entry``, or None (missing, not ours, not a regular file, corrupt)."""
        try:
            fd = os.open(entry, _OPEN_FILE, dir_fd=dir_fd)
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_uid != self.euid or st.st_size > 64 << 20:
                return None
            with os.fdopen(os.dup(fd), "rb") as handle:
                blob = handle.read()
            head = len(ENTRY_HEADER)
            data = blob[head + 20:]
            # marshal trusts its input: corrupt bytes could make a code object that crashes the interpreter.
            if blob[:head] != ENTRY_HEADER or blob[head:head + 20] != _digest(data):
                return None
            code = marshal.loads(data)
            if not isinstance(code, _CODE_TYPE):
                return None
            if time.time() - st.st_mtime > TOUCH_AFTER:
                os.utime(fd)    # the mtime says "last used": what prune() goes by
            return code
        finally:
            os.close(fd)

    def store(self, dir_fd, entry, code):
        """Write the entry atomically (temp file 0600 + rename), so a reader sees all of it or nothing."""
        data = marshal.dumps(code)
        tmp = ".tmp-%d-%s" % (os.getpid(), entry)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o600,
                     dir_fd=dir_fd)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(ENTRY_HEADER + _digest(data) + data)
            os.replace(tmp, entry, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException:
            os.unlink(tmp, dir_fd=dir_fd)
            raise
        self.stored += 1

    def code(self, name, origin, source):
        """The code of module ``name`` from ``source`` (bytes, read from ``origin``): cached, else compiled (and stored)."""
        dir_fd = self.open_dir() if self.usable else None
        if dir_fd is None:
            return compile(source, origin, "exec", dont_inherit=True)
        try:
            entry = None
            try:
                entry = self.key(name, source)
                code = self.load(dir_fd, entry)
            except Exception:
                code = None
            if code is not None:
                # The entry was compiled from another run's zip path; tracebacks must name this one.
                _fix_co_filename(code, origin)
                self.loaded += 1
                return code
            code = compile(source, origin, "exec", dont_inherit=True)
            if entry is not None:
                try:
                    self.store(dir_fd, entry, code)
                    self.prune(dir_fd)
                except Exception:
                    pass
            return code
        finally:
            os.close(dir_fd)

    def prune(self, dir_fd, now=None):
        """At most once a day: drop entries unused for MAX_AGE, then the oldest beyond MAX_ENTRIES, and stale temp files."""
        now = time.time() if now is None else now
        try:
            if now - os.stat(STAMP, dir_fd=dir_fd, follow_symlinks=False).st_mtime < PRUNE_EVERY:
                return
        except FileNotFoundError:
            pass
        os.close(os.open(STAMP, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o600,
                         dir_fd=dir_fd))
        os.utime(STAMP, dir_fd=dir_fd, follow_symlinks=False)
        entries = []
        for name in os.listdir(dir_fd):
            try:
                mtime = os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mtime
                if name.startswith(".tmp-"):
                    if now - mtime > 3600:
                        os.unlink(name, dir_fd=dir_fd)
                elif name.endswith(ENTRY_SUFFIX):
                    if now - mtime > MAX_AGE:
                        os.unlink(name, dir_fd=dir_fd)
                    else:
                        entries.append((mtime, name))
            except OSError:
                continue
        entries.sort()
        for _mtime, name in entries[:max(0, len(entries) - MAX_ENTRIES)]:
            try:
                os.unlink(name, dir_fd=dir_fd)
            except OSError:
                pass


class CachedZipLoader:
    """The loader of one module found in a zip: its code from the cache, everything else from the zipimporter."""

    def __init__(self, zip_loader, name, origin, cache):
        self._zip_loader = zip_loader
        self._name = name
        self._origin = origin
        self._cache = cache

    def __getattr__(self, attr):
        # get_data (the runtime reads its own files with __loader__.get_data), is_package, get_source,
        # get_resource_reader, archive, prefix...
        if attr == "_zip_loader":
            raise AttributeError(attr)  # not set yet (copy, pickle): no endless recursion
        return getattr(self._zip_loader, attr)

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        exec(self.get_code(module.__name__), module.__dict__)

    def get_code(self, fullname):
        if fullname == self._name:
            try:
                return self._cache.code(fullname, self._origin, self._zip_loader.get_data(self._origin))
            except Exception:
                pass    # the zipimporter compiles it again and raises the error a normal import would
        return self._zip_loader.get_code(fullname)

    def get_filename(self, fullname):
        # zipimporter.get_filename compiles the module to learn which file its code would come from.
        return self._origin if fullname == self._name else self._zip_loader.get_filename(fullname)

    def __repr__(self):
        return "<CachedZipLoader %r of %r>" % (self._name, self._zip_loader)


def _path_entry_finder(entry):
    """sys.path_importer_cache[entry], made through sys.path_hooks when missing (as PathFinder does)."""
    try:
        return sys.path_importer_cache[entry]
    except KeyError:
        pass
    for hook in sys.path_hooks:
        try:
            finder = hook(entry)
        except ImportError:
            continue
        sys.path_importer_cache[entry] = finder
        return finder
    return None


class ZipBytecodeFinder:
    """A sys.meta_path finder just before PathFinder, for modules that PathFinder would load from a zip.

    zipimporter.find_spec compiles the module once to name its file (get_filename) and exec_module
    compiles it again: the spec is made here instead, from is_package(), which only looks at the zip's
    file list. As PathFinder, the path entries are tried in order; once one is not a zip (a directory, a
    path not seen yet, a zip with .pyc files), PathFinder decides alone, as without this finder.
    """

    def __init__(self, cache):
        self.cache = cache

    def find_spec(self, fullname, path=None, target=None):
        try:
            spec = self._zip_spec(fullname, sys.path if path is None else path)
        except Exception:
            spec = None
        return spec if spec is not None else PathFinder.find_spec(fullname, path, target)

    def _zip_spec(self, fullname, entries):
        for entry in entries:
            finder = _path_entry_finder(entry) if isinstance(entry, str) and entry else None
            if not isinstance(finder, zipimport.zipimporter):
                return None
            try:
                is_package = finder.is_package(fullname)
            except zipimport.ZipImportError:
                continue
            origin = "%s%s%s%s%s" % (finder.archive, os.sep, finder.prefix, fullname.rpartition(".")[2],
                                     os.sep + "__init__.py" if is_package else ".py")
            try:
                finder.get_data(origin + "c")   # zipimport would prefer this .pyc: leave the module to it
                return None
            except OSError:
                pass
            loader = CachedZipLoader(finder, fullname, origin, self.cache)
            return spec_from_file_location(fullname, origin, loader=loader, submodule_search_locations=[] if is_package else None)
        return None

    def invalidate_caches(self):
        return None


def install_finder(cache_dir):
    """Put a ZipBytecodeFinder for ``cache_dir`` on sys.meta_path (once) and return it."""
    for finder in sys.meta_path:
        if isinstance(finder, ZipBytecodeFinder):
            return finder
    finder = ZipBytecodeFinder(BytecodeCache(cache_dir))
    index = sys.meta_path.index(PathFinder) if PathFinder in sys.meta_path else len(sys.meta_path)
    sys.meta_path.insert(index, finder)
    return finder


def install():
    """Under AnsiballZ (this file was imported from a zip), cache what is imported from now on; else do nothing."""
    try:
        if not isinstance(globals().get("__loader__"), (zipimport.zipimporter, CachedZipLoader)):
            return None
        cache_dir = cache_dir_from_env()
        return install_finder(cache_dir) if cache_dir else None
    except Exception:
        return None
