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
import os
import sys

try:
    # The frozen importlib already loaded at start; importlib.machinery would
    # cost an import of importlib and warnings (~1 ms) for the same class.
    from _frozen_importlib import ModuleSpec
    from _frozen_importlib_external import MAGIC_NUMBER
except ImportError:  # not CPython: no cache
    ModuleSpec = MAGIC_NUMBER = None

# Bump when the layout below changes.
FORMAT = b"oci-runtime-modules-1\n"


def cache_path(package_dir):
    tag = sys.implementation.cache_tag or "python"
    return os.path.join(package_dir, "__pycache__", "modules.%s.bin" % tag)


class ModuleCache(object):
    """A meta path finder and loader serving the modules of one package from the cache file."""

    def __init__(self, package, package_dir, index=None, fd=None, code_start=0):
        self.package = package          # "runtime": the top-level name it serves
        self.package_dir = package_dir  # its directory
        self.index = index or {}        # module name -> (is package, relative path, offset, size, mtime_ns, bytes)
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
        is_package, relative, dummy, dummy, mtime_ns, size = entry
        origin = os.path.join(self.package_dir, relative)
        try:
            st = os.stat(origin)
        except OSError:
            return None  # gone: the normal import path reports it
        if st.st_mtime_ns != mtime_ns or st.st_size != size:
            self.stale = True
            return None
        spec = ModuleSpec(name, self, origin=origin, is_package=is_package)
        spec.has_location = True  # sets __file__, for tracebacks and the monitor's script path
        if is_package:
            spec.submodule_search_locations = [os.path.dirname(origin)]
        return spec

    def create_module(self, spec):
        return None  # the default module object

    def exec_module(self, module):
        dummy, dummy, offset, length, dummy, dummy = self.index[module.__name__]
        # The fd names the file as it was opened: a refresh renames a new one
        # into place and never writes into this one.
        # A process that closed its inherited fds (the exec child, the init)
        # imports nothing after that by design: its code is all loaded.
        try:
            code = os.pread(self.fd, length, self.code_start + offset)
        except OSError as exc:
            raise ImportError("%s: cannot read the module cache: %s" % (module.__name__, exc.strerror))
        if len(code) != length:
            raise ImportError("%s: the module cache was truncated while in use" % module.__name__)
        exec(marshal.loads(code), module.__dict__)

    # -- the file -------------------------------------------------------------
    def _is_module(self, name):
        parts = name.split(".")[1:]
        base = os.path.join(self.package_dir, *parts)
        return os.path.isfile(base + ".py") or os.path.isfile(os.path.join(base, "__init__.py"))

    def refresh(self):
        """Rewrite the cache file if a module was missing or stale; best effort."""
        if not self.stale or ModuleSpec is None:
            return
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
    index = {}
    chunks = []
    offset = 0
    for directory, subdirs, files in os.walk(package_dir):
        subdirs[:] = sorted(d for d in subdirs if d != "__pycache__")
        for filename in sorted(files):
            if not filename.endswith(".py"):
                continue
            path = os.path.join(directory, filename)
            relative = os.path.relpath(path, package_dir)
            parts = [package] + relative[:-3].split(os.sep)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts.pop()
            with open(path, "rb") as f:
                st = os.fstat(f.fileno())
                source = f.read()
            blob = marshal.dumps(compile(source, path, "exec", dont_inherit=True))
            index[".".join(parts)] = (is_package, relative, offset, len(blob), st.st_mtime_ns, st.st_size)
            chunks.append(blob)
            offset += len(blob)
    header = marshal.dumps(index)
    return b"".join([FORMAT, MAGIC_NUMBER, len(header).to_bytes(4, "little"), header] + chunks)


def install(package, package_dir):
    """Put a ModuleCache for ``package`` first on sys.meta_path; return it (or None off CPython)."""
    if ModuleSpec is None:
        return None
    cache = _read(package, package_dir) or ModuleCache(package, package_dir)
    sys.meta_path.insert(0, cache)
    return cache


def _read(package, package_dir):
    try:
        fd = os.open(cache_path(package_dir), os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        return None
    cache = None
    try:
        cache = _read_index(package, package_dir, fd)
    except OSError:
        pass  # unreadable: the normal import path, as without a cache
    finally:
        if cache is None:
            os.close(fd)
    return cache


def _read_index(package, package_dir, fd):
    st = os.fstat(fd)
    if st.st_uid not in (0, os.geteuid()) or st.st_mode & 0o022:
        return None  # someone else could have put code here
    start = len(FORMAT) + len(MAGIC_NUMBER) + 4
    head = os.pread(fd, start, 0)
    if head[:len(FORMAT)] != FORMAT or head[len(FORMAT):start - 4] != MAGIC_NUMBER:
        return None
    size = int.from_bytes(head[start - 4:start], "little")
    try:
        index = marshal.loads(os.pread(fd, size, start))
    except (EOFError, ValueError, TypeError):
        return None
    code_start = start + size
    if not isinstance(index, dict) or sum(entry[3] for entry in index.values()) != st.st_size - code_start:
        return None  # truncated or not ours
    # The fd stays open for pread(2). Its number does not matter: it is
    # close-on-exec, so no exec'd process (the container's included) gets it,
    # even when it sits in a hole of an exec's --preserve-fds range.
    return ModuleCache(package, package_dir, index, fd, code_start)
