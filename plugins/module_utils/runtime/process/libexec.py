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
FILES = ("monitor.py", "stateio.py", "hookexec.py", "jsonlite.py")
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
    from ..standalone import hookexec, jsonlite, monitor, stateio  # noqa: F401  pylint: disable=unused-import


def monitor_script(state_root):
    """Return the path of monitor.py inside the installed copy, installing it if needed."""
    sources = _sources()
    digest = _sha256()
    for name in FILES:
        digest.update(name.encode() + b"\0" + sources[name] + b"\0")
    libexec = os.path.join(state_root, ".libexec")
    target = os.path.join(libexec, "monitor-" + digest.hexdigest()[:16])
    script = os.path.join(target, "monitor.py")
    if os.path.isfile(script):
        return script
    try:
        os.mkdir(libexec, 0o700)
    except OSError as e:
        if e.errno != errno.EEXIST:
            raise
    import shutil
    import tempfile
    tmp = tempfile.mkdtemp(prefix=".tmp-", dir=libexec)
    try:
        for name in FILES:
            path = os.path.join(tmp, name)
            with open(path, "wb") as f:
                f.write(sources[name])
            os.chmod(path, 0o400)
        os.chmod(tmp, 0o500)
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
    return script
