# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Container id validation.

An id names a directory under the state root and a cgroup, so it must never be
able to climb out of either: no ``/``, no ``..``, no NUL, no leading dot (which
also keeps ids apart from the runtime's own dot-directories in the state root).
The allowed alphabet is the one runc and crun accept.

The length limit is checked here, before anything exists, and it is the only
one: every file name made from an id must fit NAME_MAX (255 bytes, the ids are
ASCII). Names made from an id today: the state directory ``<root>/<id>``, the
default cgroup's last component (cgroups.manager.resolve_cgroups_path), the
modules' bundle directory ``<bundle parent>/<name>``; the files the runtime
puts in them (state.json, its ``.state.json.PID.tmp``, init.sock,
container.log) are separate components. 200 leaves 55 bytes of NAME_MAX for a
prefix or suffix added to an id in one component (e.g. a hash of the state
root, 16-32 hex digits). Unix sockets do not limit it: sun_path's 108 bytes
would not hold ``<root>/<id>/init.sock`` for long ids, so init.sock is bound
and connected as ``/proc/self/fd/N/init.sock`` (process/spawn.py,
lifecycle/start.py). runc and crun set no limit and fail at mkdir instead;
podman's ids are 64 characters.
"""

from .errors import InvalidIDError

MAX_ID_LENGTH = 200
_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_REST = _FIRST | frozenset("_.+-")


def validate_id(container_id):
    """Return ``container_id`` if it is a safe id, else raise InvalidIDError."""
    if not isinstance(container_id, str) or container_id == "":
        raise InvalidIDError("container id must be a non-empty string")
    if len(container_id) > MAX_ID_LENGTH:
        raise InvalidIDError("invalid container id %r...: longer than %d characters"
                             % (container_id[:32], MAX_ID_LENGTH))
    if (container_id[0] not in _FIRST or not _REST.issuperset(container_id)
            or ".." in container_id):
        raise InvalidIDError(
            "invalid container id %r: use letters, digits and _ . + -, starting "
            "with a letter or digit, without '..'" % (container_id,))
    return container_id
