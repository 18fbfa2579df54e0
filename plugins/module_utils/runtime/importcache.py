# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The compiled code of every runtime module in one file, for bin/oci-runtime.

Why: each command of the CLI is a new interpreter that imports 20 to 60 of
the runtime's small modules. Through the normal import path each of them
costs a few stat(2) calls (directory, source, pyc), opening and reading its
pyc and a good deal of importlib's Python code: about 0.1 ms per module on a
small VM, beyond the module's own code. For exec that was a fifth of what
the command adds to the interpreter's start. Here every module's code
object sits in one file whose index is read once; an import is a dict
lookup, one stat(2) of the source, one pread(2) of the module's code and
unmarshalling it. Only the modules a command imports are read: exec needs
about 45 of some 100, and a smaller process also forks faster.

Most of those imports skip importlib altogether. The index also records
which of the package's modules each module imports at its top level; when
importlib hands a module to this loader, the loader first loads those (and
theirs) itself, in the order the import statements would have, so the
module's own import statements find them in sys.modules. For exec, 8 of the
45 go through importlib, and the imports take ~1.5 ms less.

Freshness, as with pyc files: each entry records its source's mtime (ns)
and size. A module whose source differs, or that has no entry, is imported
the normal way, and the command rewrites the whole file as it exits
(``refresh``), so an upgrade costs one slower command. The file lives with
the pyc files (``runtime/__pycache__``, which galaxy.yml keeps out of the
collection) and is replaced atomically (temp file, rename), so concurrent
commands read either the old or the new one. It holds code that runs as
root: a file not owned by root or the caller, or writable by others, is
ignored, as is one written by another Python version (the magic number).

Bundles go one step further for the commands engines call most (exec,
state, start...): all the modules a command loads, as one marshalled tuple in
a file of its own (``bundle-<command>``), which install() runs before the
command's first import statement, with no importlib, no per-module read and
no index at all; the import statements then find everything in sys.modules.
Loading exec's 45 modules that way took ~1.5 ms less on a small VM than one
by one from this cache.

Only the CLI installs it. Ansible modules import the runtime from their
AnsiballZ payload, and tests import it the normal way. The writing side
(building the files) is in importcache_build.py, loaded only by a refresh.
"""

import gc
import marshal
import posix  # os without os.py, whose imports cost every command ~2 ms (pathlite.py)
import sys

try:
    # The frozen importlib already loaded at start; importlib.machinery would
    # cost an import of importlib and warnings (~1 ms) for the same class.
    from _frozen_importlib import ModuleSpec
    from _frozen_importlib_external import MAGIC_NUMBER
except ImportError:  # not CPython: no cache
    ModuleSpec = MAGIC_NUMBER = None
try:
    # importlib's per-module lock, which _load_one takes as importlib does.
    from _frozen_importlib import _ModuleLockManager
except ImportError:  # a Python without it: no early loading, every import through importlib
    _ModuleLockManager = None

# Bump when the layout below changes.
FORMAT = b"oci-runtime-modules-2\n"
# A bundle: this line, MAGIC_NUMBER, then one marshalled tuple of
# (name, is package, relative path, mtime_ns, size, code object), a module
# after the modules it imports at its top level.
BUNDLE_FORMAT = b"oci-runtime-bundle-1\n"
# install() looks for the command among this many first words of a command
# line: runc's global options (--root, --log, --log-format, --debug...) come first.
BUNDLE_WORDS = 8


def cache_path(package_dir):
    tag = sys.implementation.cache_tag or "python"
    return "%s/__pycache__/modules.%s.bin" % (package_dir, tag)


def bundle_path(package_dir, name):
    """The file of bundle ``name`` (a command's name: letters and dashes only, never a path)."""
    tag = sys.implementation.cache_tag or "python"
    return "%s/__pycache__/bundle-%s.%s.bin" % (package_dir, name, tag)


def valid_bundle_name(name):
    return bool(name) and all("a" <= c <= "z" or c == "-" for c in name)


class ModuleCache(object):
    """A meta path finder and loader serving the modules of one package from the cache file."""

    def __init__(self, package, package_dir):
        self.package = package          # "runtime": the top-level name it serves
        self.package_dir = package_dir  # its directory
        # module name -> (is package, relative path, offset, size, mtime_ns, bytes,
        #                 the modules it imports at its top level, space-separated: top_level_imports),
        # read on first use: a command whose bundle holds all it imports never needs it.
        self._index = None
        self.fd = None                  # the open cache file (close-on-exec), read with pread(2)
        self.code_start = 0             # where its marshalled code objects begin
        self.stale = False              # refresh() rewrites the files when set
        # bundle name -> the modules it starts from, for refresh() (runtime/cli/launch.py sets it)
        self.bundles = {}

    @property
    def index(self):
        if self._index is None:
            self._index = {}
            self._read_index()
        return self._index

    def _read_index(self):
        fd = _open_trusted(cache_path(self.package_dir))
        parsed = None
        if fd is not None:
            try:
                parsed = _parse_index(fd)
            except OSError:
                pass  # unreadable: the normal import path, as without a cache
            if parsed is None:
                posix.close(fd)
        if parsed is None:
            self.stale = True  # missing, not ours or damaged: refresh() writes it
            return
        self._index, self.code_start = parsed
        self.fd = fd

    # -- importlib protocol (PEP 451) ---------------------------------------
    def find_spec(self, name, path=None, target=None):
        if name != self.package and not name.startswith(self.package + "."):
            return None
        entry = self.index.get(name)
        if entry is None:
            self.stale = self.stale or self._is_module(name)
            return None
        return self._fresh_spec(name, entry)

    def _fresh_spec(self, name, entry):
        """The spec of module ``name`` if its source is still what the cache holds, else None."""
        is_package, relative, dummy, dummy, mtime_ns, size, dummy = entry
        unchanged = self._unchanged(relative, mtime_ns, size)
        if not unchanged:
            self.stale = self.stale or unchanged is False
            return None  # gone (None): the normal import path reports it
        return self._spec(name, relative, is_package)

    def _unchanged(self, relative, mtime_ns, size):
        """True if the source at ``relative`` has that mtime and size; False if not; None if it is gone."""
        try:
            st = posix.stat("%s/%s" % (self.package_dir, relative))
        except OSError:
            return None
        return st.st_mtime_ns == mtime_ns and st.st_size == size

    def _spec(self, name, relative, is_package):
        spec = ModuleSpec(name, self, origin="%s/%s" % (self.package_dir, relative), is_package=is_package)
        spec.has_location = True  # sets __file__, for tracebacks and the monitor's script path
        if is_package:
            spec.submodule_search_locations = [spec.origin[:spec.origin.rfind("/")]]
        return spec

    def create_module(self, spec):
        return None  # the default module object

    def exec_module(self, module):
        entry = self.index[module.__name__]
        self._load_early(entry[6].split(), set([module.__name__]))
        self._run(module, entry)

    # -- loading dependencies without importlib -------------------------------
    # importlib's own Python code (the global and module locks, the walk of
    # sys.meta_path, module_from_spec and its attribute checks, the parent
    # package checks) costs ~40 us per module here, more than unmarshalling
    # a small module. The runtime modules a module imports at its top level
    # are known when the cache is built, so they are loaded here first, the
    # way importlib's _load_unlocked() does it (module lock, sys.modules,
    # the attribute on the parent), a module after the modules it imports,
    # which is the order its import statements would have loaded them in.
    # Its import statements then find them in sys.modules. Anything not
    # loaded here (a stale source, an import inside a function or an if) is
    # imported normally.
    def _load_early(self, names, active):
        if _ModuleLockManager is None:
            return
        for name in names:
            if name in sys.modules or name in active:
                continue  # loaded, or a cycle: its import statement deals with it
            entry = self.index[name]
            spec = self._fresh_spec(name, entry)
            if spec is None:
                continue
            active.add(name)
            self._load_early(entry[6].split(), active)
            self._load_one(spec, entry)

    def _load_one(self, spec, entry):
        name = spec.name
        parent, dummy, child = name.rpartition(".")
        with _ModuleLockManager(name):
            if name in sys.modules or (parent and parent not in sys.modules):
                return
            module = self._new_module(spec)
            # As in importlib: another thread's import of a module being
            # initialized waits for its lock (held here) instead of using it.
            spec._initializing = True
            sys.modules[name] = module
            try:
                self._run(module, entry)
            except BaseException:
                sys.modules.pop(name, None)
                raise
            finally:
                spec._initializing = False
            if parent:
                setattr(sys.modules[parent], child, module)

    def _new_module(self, spec):
        """A module object with what importlib's module_from_spec() would set."""
        module = type(sys)(spec.name)
        module.__spec__ = spec
        module.__loader__ = self
        module.__package__ = spec.parent
        module.__file__ = spec.origin
        if spec.submodule_search_locations is not None:
            module.__path__ = spec.submodule_search_locations
        return module

    def _run(self, module, entry):
        dummy, dummy, offset, length, dummy, dummy, dummy = entry
        # The fd names the file as it was opened: a refresh renames a new one
        # into place and never writes into this one.
        # A process that closed its inherited fds (the exec child, the init)
        # imports nothing after that by design: its code is all loaded.
        try:
            code = posix.pread(self.fd, length, self.code_start + offset)
        except OSError as exc:
            raise ImportError("%s: cannot read the module cache: %s" % (module.__name__, exc.strerror))
        if len(code) != length:
            raise ImportError("%s: the module cache was truncated while in use" % module.__name__)
        exec(marshal.loads(code), module.__dict__)

    # -- bundles ----------------------------------------------------------------
    def preload(self, name):
        """Run every module of bundle ``name`` now; the number of modules it loaded.

        Nothing is loaded, and the command imports as without bundles, when
        the bundle is missing, not trusted or stale: a source that changed
        since it was written would otherwise run as its old code. The
        freshness of every module is checked before the first one runs.

        Call it before the process has a second thread: the modules are
        loaded without importlib's per-module locks.
        """
        if not valid_bundle_name(name) or ModuleSpec is None:
            return 0
        # Unmarshalling and running the modules creates some 100 000 objects
        # and no garbage: the collector's passes over them find nothing to
        # free, and took a third of the time here.
        collecting = gc.isenabled()
        gc.disable()
        try:
            entries = _read_bundle(bundle_path(self.package_dir, name))
            if entries is None or not self._bundle_is_fresh(entries):
                self.stale = True  # the next refresh() writes it anew
                return 0
            return self._run_bundle(entries)
        finally:
            if collecting:
                gc.enable()

    def _bundle_is_fresh(self, entries):
        return all(self._unchanged(relative, mtime_ns, size)
                   for dummy, dummy, relative, mtime_ns, size, dummy in entries)

    def _run_bundle(self, entries):
        loaded = 0
        for name, is_package, relative, dummy, dummy, code in entries:
            parent, dummy, child = name.rpartition(".")
            if name in sys.modules:
                continue  # imported before (the package, this module, the launcher's own)
            if parent and parent not in sys.modules:
                break  # cannot happen in a bundle built in order; the imports do the rest
            module = self._new_module(self._spec(name, relative, is_package))
            sys.modules[name] = module
            try:
                exec(code, module.__dict__)
            except Exception:  # pylint: disable=broad-except
                # Not left half-loaded: the import statement that needs it
                # runs it again and fails there, with the usual traceback.
                del sys.modules[name]
                break
            except BaseException:  # Ctrl-C: not swallowed, and not half-loaded either
                del sys.modules[name]
                raise
            if parent:
                setattr(sys.modules[parent], child, module)
            loaded += 1
        return loaded

    # -- the file -------------------------------------------------------------
    def _is_module(self, name):
        import os  # not on the way of an import the cache serves, like the rest of the writing side
        parts = name.split(".")[1:]
        base = os.path.join(self.package_dir, *parts)
        return os.path.isfile(base + ".py") or os.path.isfile(os.path.join(base, "__init__.py"))

    def refresh(self):
        """Rewrite the cache file and the bundles if a module was missing or stale; best effort."""
        if not self.stale or ModuleSpec is None:
            return
        from . import importcache_build
        importcache_build.write_files(self.package, self.package_dir, self.bundles)
        self.stale = False


def install(package, package_dir, argv=()):
    """Put a ModuleCache for ``package`` first on sys.meta_path and return it (None off CPython).

    With ``argv`` (a command line), first preload the bundle of its command:
    the first of its first words that names a bundle file. Usually that is
    the command itself; a global option's value that happens to name one
    (``--root exec state ID``) only preloads modules the command may not need.
    """
    if ModuleSpec is None:
        return None
    cache = ModuleCache(package, package_dir)
    sys.meta_path.insert(0, cache)
    for word in argv[:BUNDLE_WORDS]:
        if valid_bundle_name(word) and posix.access(bundle_path(package_dir, word), posix.F_OK):
            cache.preload(word)
            break
    return cache


def _open_trusted(path):
    """An fd of ``path`` if it is a file that only root or we can have written, else None."""
    try:
        fd = posix.open(path, posix.O_RDONLY | posix.O_CLOEXEC | posix.O_NOFOLLOW)
    except OSError:
        return None
    try:
        st = posix.fstat(fd)
    except OSError:
        st = None
    if st is None or st.st_uid not in (0, posix.geteuid()) or st.st_mode & 0o022:
        posix.close(fd)  # someone else could have put code here
        return None
    return fd


def _parse_index(fd):
    """(index, where the code starts) of the cache file open on ``fd``, or None if it is not one of ours."""
    st = posix.fstat(fd)
    start = len(FORMAT) + len(MAGIC_NUMBER) + 4
    head = posix.pread(fd, start, 0)
    if head[:len(FORMAT)] != FORMAT or head[len(FORMAT):start - 4] != MAGIC_NUMBER:
        return None
    size = int.from_bytes(head[start - 4:start], "little")
    try:
        index = marshal.loads(posix.pread(fd, size, start))
    except (EOFError, ValueError, TypeError):
        return None
    code_start = start + size
    if not isinstance(index, dict) or sum(entry[3] for entry in index.values()) != st.st_size - code_start:
        return None  # truncated or not ours
    # The fd stays open for pread(2). Its number does not matter: it is
    # close-on-exec, so no exec'd process (the container's included) gets it,
    # even when it sits in a hole of an exec's --preserve-fds range.
    return index, code_start


def _read_bundle(path):
    """The entries of the bundle file at ``path``, or None (missing, not trusted, damaged)."""
    fd = _open_trusted(path)
    if fd is None:
        return None
    try:
        chunks = []
        while True:
            chunk = posix.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    except OSError:
        return None
    finally:
        posix.close(fd)
    data = b"".join(chunks)
    start = len(BUNDLE_FORMAT) + len(MAGIC_NUMBER)
    if data[:start] != BUNDLE_FORMAT + MAGIC_NUMBER:
        return None
    try:
        entries = marshal.loads(memoryview(data)[start:])
    except (EOFError, ValueError, TypeError):
        return None
    if not isinstance(entries, tuple) or not all(isinstance(e, tuple) and len(e) == 6 for e in entries):
        return None
    return entries
