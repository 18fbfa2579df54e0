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

Only the CLI installs it. Ansible modules import the runtime from their
AnsiballZ payload, and tests import it the normal way.
"""

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


def cache_path(package_dir):
    tag = sys.implementation.cache_tag or "python"
    return "%s/__pycache__/modules.%s.bin" % (package_dir, tag)


class ModuleCache(object):
    """A meta path finder and loader serving the modules of one package from the cache file."""

    def __init__(self, package, package_dir, index=None, fd=None, code_start=0):
        self.package = package          # "runtime": the top-level name it serves
        self.package_dir = package_dir  # its directory
        # module name -> (is package, relative path, offset, size, mtime_ns, bytes,
        #                 the modules it imports at its top level, space-separated: top_level_imports)
        self.index = index or {}
        self.fd = fd                    # the open cache file (close-on-exec), read with pread(2)
        self.code_start = code_start    # where its marshalled code objects begin
        self.stale = index is None      # refresh() rewrites the file when set

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
        origin = "%s/%s" % (self.package_dir, relative)
        try:
            st = posix.stat(origin)
        except OSError:
            return None  # gone: the normal import path reports it
        if st.st_mtime_ns != mtime_ns or st.st_size != size:
            self.stale = True
            return None
        spec = ModuleSpec(name, self, origin=origin, is_package=is_package)
        spec.has_location = True  # sets __file__, for tracebacks and the monitor's script path
        if is_package:
            spec.submodule_search_locations = [origin[:origin.rfind("/")]]
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
            module = type(sys)(name)
            module.__spec__ = spec
            module.__loader__ = self
            module.__package__ = spec.parent
            module.__file__ = spec.origin
            if spec.submodule_search_locations is not None:
                module.__path__ = spec.submodule_search_locations
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

    # -- the file -------------------------------------------------------------
    def _is_module(self, name):
        import os  # not on the way of an import the cache serves, like the rest of the writing side
        parts = name.split(".")[1:]
        base = os.path.join(self.package_dir, *parts)
        return os.path.isfile(base + ".py") or os.path.isfile(os.path.join(base, "__init__.py"))

    def refresh(self):
        """Rewrite the cache file if a module was missing or stale; best effort."""
        if not self.stale or ModuleSpec is None:
            return
        import os
        target = cache_path(self.package_dir)
        directory = os.path.dirname(target)
        temp = None
        try:
            if not os.path.isdir(directory):
                os.mkdir(directory, 0o755)
            if not os.access(directory, os.W_OK):
                return
            data = build(self.package, self.package_dir)
            temp = "%s.%d.tmp" % (target, os.getpid())
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fchmod(fd, 0o644)  # whatever the umask: other commands' users read it
            finally:
                os.close(fd)
            os.rename(temp, target)
        except (OSError, SyntaxError, ValueError):
            # A source that does not compile fails its own import, with the
            # interpreter's message; the cache just stays as it was.
            if temp is not None and os.path.lexists(temp):
                os.unlink(temp)
        self.stale = False


def build(package, package_dir):
    """The cache file's bytes for every .py file below ``package_dir``."""
    import ast  # only here, once per source change
    import os
    found = {}  # module name -> (is package, path)
    for directory, subdirs, files in os.walk(package_dir):
        subdirs[:] = sorted(d for d in subdirs if d != "__pycache__")
        for filename in sorted(files):
            if filename.endswith(".py"):
                path = os.path.join(directory, filename)
                parts = [package] + os.path.relpath(path, package_dir)[:-3].split(os.sep)
                is_package = parts[-1] == "__init__"
                if is_package:
                    parts.pop()
                found[".".join(parts)] = (is_package, path)
    index = {}
    chunks = []
    offset = 0
    for name, (is_package, path) in found.items():
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            source = f.read()
        tree = ast.parse(source, path)
        blob = marshal.dumps(compile(tree, path, "exec", dont_inherit=True))
        index[name] = (is_package, os.path.relpath(path, package_dir), offset, len(blob), st.st_mtime_ns,
                       st.st_size, top_level_imports(tree, name, is_package, found))
        chunks.append(blob)
        offset += len(blob)
    header = marshal.dumps(index)
    return b"".join([FORMAT, MAGIC_NUMBER, len(header).to_bytes(4, "little"), header] + chunks)


def top_level_imports(tree, name, is_package, modules):
    """The modules of ``modules`` that module ``name`` (parsed: ``tree``) imports whenever it is imported.

    Those of the import statements at its top level (not in a function, an if
    or a try), each after the packages above it, as the import system loads
    them; its own parent package first. Space-separated, in that order.
    """
    import ast
    found = []

    def add(target):
        parts = target.split(".")
        for end in range(1, len(parts) + 1):
            candidate = ".".join(parts[:end])
            if candidate in modules and candidate != name and candidate not in found:
                found.append(candidate)

    add(name.rpartition(".")[0])
    here = name if is_package else name.rpartition(".")[0]  # what a relative import starts from
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                base = here.rsplit(".", node.level - 1)[0] if node.level > 1 else here
                target = base + "." + target if target else base
            add(target)
            for alias in node.names:
                add(target + "." + alias.name)  # `from package import module`
    return " ".join(found)


def install(package, package_dir):
    """Put a ModuleCache for ``package`` first on sys.meta_path; return it (or None off CPython)."""
    if ModuleSpec is None:
        return None
    cache = _read(package, package_dir) or ModuleCache(package, package_dir)
    sys.meta_path.insert(0, cache)
    return cache


def _read(package, package_dir):
    try:
        fd = posix.open(cache_path(package_dir), posix.O_RDONLY | posix.O_CLOEXEC | posix.O_NOFOLLOW)
    except OSError:
        return None
    cache = None
    try:
        cache = _read_index(package, package_dir, fd)
    except OSError:
        pass  # unreadable: the normal import path, as without a cache
    finally:
        if cache is None:
            posix.close(fd)
    return cache


def _read_index(package, package_dir, fd):
    st = posix.fstat(fd)
    if st.st_uid not in (0, posix.geteuid()) or st.st_mode & 0o022:
        return None  # someone else could have put code here
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
    return ModuleCache(package, package_dir, index, fd, code_start)
