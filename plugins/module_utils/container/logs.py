# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The last lines of a container's output log (and its one rotated file).

Private to this collection. The monitor writes LOG and rotates it to LOG.1
(runtime/standalone/monitor.py), so the tail may span both files.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

_CHUNK = 65536


def tail(path, lines):
    """The last ``lines`` lines of the log at ``path`` as a list of str."""
    if not path or lines <= 0:
        return []
    out = []
    for name in (path, path + ".1"):
        out = _tail_file(name, lines - len(out)) + out
        if len(out) >= lines:
            break
    return out[-lines:]


def _tail_file(path, lines):
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return []
    try:
        size = os.fstat(fd).st_size
        data = b""
        position = size
        while position > 0 and data.count(b"\n") <= lines:
            step = min(_CHUNK, position)
            position -= step
            data = os.pread(fd, step, position) + data
    finally:
        os.close(fd)
    text = data.decode("utf-8", "replace")
    result = text.splitlines()
    return result[-lines:] if lines else []
