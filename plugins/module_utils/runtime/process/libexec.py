# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A root-owned, content-addressed copy of the monitor's code.

Why a copy: the monitor outlives the process that created the container.
When that process is an Ansible module, its code lives in an AnsiballZ temp
directory that Ansible deletes when the module returns; and code that is
executed again later must not be writable by anything a container can reach
(cf. CVE-2019-5736, where a container overwrote the runtime's binary). So
create copies the few standalone files into
``<state root>/.libexec/monitor-<sha256 prefix>/`` (the state root is 0700
and owned by root; no container mounts it), read-only, written to a temp
directory first and renamed into place so a reader never sees half a copy.
Same code, same directory: every monitor shares the same files, and their
page cache.
"""

import errno
import os

_STANDALONE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "standalone")
FILES = ("monitor.py", "stateio.py", "hookexec.py", "jsonlite.py", "restart.py", "health.py")
_cache = {}


def _sha256():
    # The builtin module avoids loading OpenSSL (hashlib) on every create.
    try:
        from _sha256 import sha256
    except ImportError:
        from hashlib import sha256
    return sha256()


def _read(path):
    # Under Ansible, module_utils are imported from the AnsiballZ zip file, so
    # the sources are read through the loader (zipimporter.get_data), which
    # also reads plain files when the package is on disk.
    get_data = getattr(globals().get("__loader__"), "get_data", None)
    if get_data is not None:
        try:
            return get_data(path)
        except (IOError, OSError):
            pass
    with open(path, "rb") as f:
        return f.read()


def _sources():
    if "sources" not in _cache:
        _cache["sources"] = dict((name, _read(os.path.join(_STANDALONE_DIR, name))) for name in FILES)
    return _cache["sources"]


def _ansiballz_dependencies():
    """Never called. AnsiballZ packs only the module_utils a module imports
    (found by reading import statements); this names the files above so that
    they travel with every module that creates containers."""
    from ..standalone import health, hookexec, jsonlite, monitor, restart, stateio  # noqa: F401  pylint: disable=unused-import
    # The runtime copy's entry points (runtime_copy): the restart helper, and the command line for
    # the health checks' exec. A module's zip holds only what is named somewhere.
    from ..services import entry, recreate  # noqa: F401  pylint: disable=unused-import
    from ..cli import exec_cmd, main  # noqa: F401  pylint: disable=unused-import


def monitor_script(state_root):
    """Return the path of monitor.py inside the installed copy, installing it if needed."""
    sources = _sources()
    # Compiled: the modules it imports (health.py while the container runs) are then not compiled in
    # the monitor itself, whose heap would keep the compiler's memory (about 1.3 MiB for health.py).
    return os.path.join(_install(state_root, "monitor", sources, compile_python=True), "monitor.py")


def _install(state_root, kind, sources, compile_python=False):
    """Install ``sources`` (relative path -> bytes) as <state root>/.libexec/<kind>-<hash>; return its path."""
    digest = _sha256()
    if compile_python:  # a copy with __pycache__ is another copy
        digest.update(b"compiled\0")
    for name in sorted(sources):
        digest.update(name.encode() + b"\0" + sources[name] + b"\0")
    libexec = os.path.join(state_root, ".libexec")
    target = os.path.join(libexec, kind + "-" + digest.hexdigest()[:16])
    if os.path.isdir(target):
        return target
    try:
        os.mkdir(libexec, 0o700)
    except OSError as e:
        if e.errno != errno.EEXIST:
            raise
    import shutil
    import tempfile
    tmp = tempfile.mkdtemp(prefix=".tmp-", dir=libexec)
    try:
        for name in sorted(sources):
            path = os.path.join(tmp, name)
            if not os.path.isdir(os.path.dirname(path)):
                os.makedirs(os.path.dirname(path), 0o700)
            with open(path, "wb") as f:
                f.write(sources[name])
            if compile_python and name.endswith(".py"):
                _compile(path, name)
        _seal(tmp)
        try:
            os.rename(tmp, target)
        except OSError as e:
            if e.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
            # another create installed the same copy first
    finally:
        if os.path.isdir(tmp):
            os.chmod(tmp, 0o700)
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _seal(top):
    """Files 0400, directories 0500: read-only for root's own code, nothing for anyone else."""
    for directory, subdirs, files in os.walk(top, topdown=False):
        for name in files:
            os.chmod(os.path.join(directory, name), 0o400)
        os.chmod(directory, 0o500)


def _compile(path, name):
    """Byte-compile into __pycache__ beside it, so the helpers run from it (python -B) import fast."""
    import importlib.util
    import marshal
    with open(path, "rb") as f:
        source = f.read()
    code = compile(source, path, "exec", dont_inherit=True)
    cached = importlib.util.cache_from_source(path)
    if not os.path.isdir(os.path.dirname(cached)):
        os.mkdir(os.path.dirname(cached), 0o700)
    # PEP 552 unchecked hash-based pyc: the copy never changes (its name is its content's hash).
    data = bytearray(importlib.util.MAGIC_NUMBER)
    data.extend((1).to_bytes(4, "little"))
    data.extend(importlib.util.source_hash(source))
    data.extend(marshal.dumps(code))
    with open(cached, "wb") as f:
        f.write(bytes(data))


def runtime_copy(state_root):
    """Install a copy of the whole runtime package for the restart and health-check helpers; return its top.

    The monitor stays small (os and sys) and runs no runtime code itself;
    to bring a container back, or to exec a health check in it, it runs
    ``python3 -I -S -B <copy>/runtime/services/entry.py ...`` as a separate
    process. That code must outlive the Ansible module that created the
    container and must not be writable from inside a container: the same
    reasons, and the same kind of copy, as the monitor's. Only containers
    with a restart policy or a health check pay for it (once per version).
    """
    return _install(state_root, "runtime", _runtime_sources(), compile_python=True)


def _runtime_sources():
    """Relative path (runtime/...) -> bytes of every .py file of the runtime package."""
    if "runtime" in _cache:
        return _cache["runtime"]
    package_dir = os.path.dirname(_STANDALONE_DIR)
    loader = globals().get("__loader__")
    archive = getattr(loader, "archive", None)
    sources = {}
    if archive and not os.path.isdir(package_dir):
        # AnsiballZ: the package is inside the module's zip file.
        import zipfile
        inner = package_dir[len(archive):].lstrip("/") + "/"
        with zipfile.ZipFile(archive) as zf:
            for name in zf.namelist():
                if name.startswith(inner) and name.endswith(".py"):
                    sources["runtime/" + name[len(inner):]] = zf.read(name)
    else:
        for directory, subdirs, files in os.walk(package_dir):
            subdirs[:] = [d for d in subdirs if d != "__pycache__"]
            for name in files:
                if name.endswith(".py"):
                    path = os.path.join(directory, name)
                    with open(path, "rb") as f:
                        sources["runtime/" + os.path.relpath(path, package_dir)] = f.read()
    _cache["runtime"] = sources
    return sources
