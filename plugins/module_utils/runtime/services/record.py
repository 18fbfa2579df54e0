# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Service records: what a container with a restart policy needs to come back after a reboot.

The state root is a tmpfs (the runtime-spec's advice: state does not
survive a reboot), so everything ``boot`` needs to create such a container
again lives elsewhere, on disk: one JSON file per container in
``/var/lib/opencontainer/services/<hash of the state root>/<id>.json``
(``OCI_RUNTIME_SERVICES_DIR`` chooses another directory; it is recorded in
state.json as ``service_record``, so the monitor, start and delete find it
whatever their environment). The record holds the state root, the id, the
bundle path, the exact config the container was created from, its log
settings, the definitions of the networks it joins (they live in the state
root too), and ``run``: whether it should be running. ``start`` sets it;
a stop by the user (lifecycle/intent.py), or the monitor when the policy
gives up, clears it; ``delete`` removes the record.

Standard library only; root-owned, 0700 directories, files 0600 (they name
programs that root will run).
"""

import errno
import posix  # os without os.py: runtime/pathlite.py says why

from .. import pathlite
from ..standalone import jsonlite
from ..standalone.stateio import write_json

DEFAULT_SERVICES_DIR = "/var/lib/opencontainer/services"
ENVIRONMENT_VARIABLE = "OCI_RUNTIME_SERVICES_DIR"


def services_dir():
    value = posix.environ.get(ENVIRONMENT_VARIABLE.encode())
    return value.decode() if value else DEFAULT_SERVICES_DIR


def root_key(state_root):
    try:
        from _sha256 import sha256
    except ImportError:
        from hashlib import sha256
    return sha256(pathlite.abspath(state_root).encode("utf-8", "surrogateescape")).hexdigest()[:16]


def records_dir(state_root, base=None):
    return pathlite.join(base or services_dir(), root_key(state_root))


def record_path(state_root, container_id, base=None):
    return pathlite.join(records_dir(state_root, base), container_id + ".json")


def read(path):
    with open(path, "rb") as handle:
        return jsonlite.loads(handle.read().decode("utf-8"))


def write(path, record):
    directory = path[:path.rfind("/")]
    _makedirs(directory)
    write_json(directory, record, name=path[path.rfind("/") + 1:])


def set_run(path, run):
    """Whether the container should run after a reboot; a missing record stays missing."""
    try:
        record = read(path)
    except (IOError, OSError, ValueError):
        return
    if record.get("run") != run:
        record["run"] = run
        write(path, record)


def remove(path):
    try:
        posix.unlink(path)
    except OSError as e:
        if e.errno != errno.ENOENT:
            raise


def records(state_root, base=None):
    """(path, record) of every service record of ``state_root``; unreadable ones as (path, None)."""
    directory = records_dir(state_root, base)
    try:
        names = sorted(posix.listdir(directory))
    except OSError as e:
        if e.errno == errno.ENOENT:
            return []
        raise
    out = []
    for name in names:
        if not name.endswith(".json") or name.startswith("."):
            continue
        path = pathlite.join(directory, name)
        try:
            out.append((path, read(path)))
        except (IOError, OSError, ValueError):
            out.append((path, None))
    return out


def _makedirs(directory):
    parent = directory[:directory.rfind("/")]
    if parent and not pathlite.isdir(parent):
        _makedirs(parent)
    try:
        posix.mkdir(directory, 0o700)
    except OSError as e:
        if e.errno != errno.EEXIST:
            raise
