# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Container id validation.

An id names a directory under the state root and a cgroup, so it must never be
able to climb out of either: no ``/``, no ``..``, no NUL, no leading dot (which
also keeps ids apart from the runtime's own dot-directories in the state root).
The allowed alphabet is the one runc and crun accept.
"""

from .errors import InvalidIDError

MAX_ID_LENGTH = 1024
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
