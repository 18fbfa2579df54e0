# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resource limits (``process.rlimits``) for the container process.

getrlimit(2): each limit has a soft value (what the kernel enforces) and a
hard value (the ceiling for the soft one). Any process may lower either; only
CAP_SYS_RESOURCE allows raising the hard limit. Limits survive execve(2), so
the init sets them on itself before it executes the container's program - and
before apply_identity, while it still has CAP_SYS_RESOURCE.

config.md: ``type`` is the RLIMIT_* name, ``soft``/``hard`` are uint64, and a
duplicated type is an error the runtime must report.
"""

import errno

from ..errors import SecurityError, SyscallError
from ..spec import names
from ..syscalls.consts import RLIM_INFINITY

# RLIMIT_* name -> number (<asm-generic/resource.h>, used by x86_64 and arm64),
# from the spec room's table. The numbers are passed to setrlimit directly
# because Python's resource module has no RLIMIT_LOCKS constant.
RLIMITS = names.RLIMITS

# The kernel's RLIM_INFINITY is (rlim_t)-1 = 2**64-1 in config.json; the
# syscall layer, like Python's resource module, spells it RLIM_INFINITY (-1).
_UINT64_INFINITY = 2 ** 64 - 1


def _limit_value(value, field):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _UINT64_INFINITY:
        raise SecurityError("%s: must be an unsigned 64-bit integer, got %r" % (field, value))
    if value == _UINT64_INFINITY:
        return RLIM_INFINITY
    return value


def _as_uint64(value):
    return _UINT64_INFINITY if value == RLIM_INFINITY else value


def _raises_hard(new_hard, current_hard):
    """True if new_hard is above current_hard (RLIM_INFINITY is above everything)."""
    return _as_uint64(new_hard) > _as_uint64(current_hard)


def parse_rlimits(rlimits):
    """[(index, name, number, soft, hard)] from ``process.rlimits``, validated."""
    if rlimits is None:
        return []
    if not isinstance(rlimits, list):
        raise SecurityError("process.rlimits: must be an array, got %s" % type(rlimits).__name__)
    parsed = []
    seen = {}
    for index, entry in enumerate(rlimits):
        field = "process.rlimits[%d]" % index
        if not isinstance(entry, dict):
            raise SecurityError("%s: must be an object" % field)
        name = entry.get("type")
        number = RLIMITS.get(name) if isinstance(name, str) else None
        if number is None:
            raise SecurityError("%s.type: unknown resource limit %r" % (field, name))
        if name in seen:
            raise SecurityError("%s.type: %s is already set by process.rlimits[%d]"
                                % (field, name, seen[name]))
        seen[name] = index
        for key in ("soft", "hard"):
            if key not in entry:
                raise SecurityError("%s.%s: missing for %s" % (field, key, name))
        soft = _limit_value(entry["soft"], field + ".soft")
        hard = _limit_value(entry["hard"], field + ".hard")
        if _as_uint64(soft) > _as_uint64(hard):
            raise SecurityError("%s: %s soft limit %d is above its hard limit %d"
                                % (field, name, entry["soft"], entry["hard"]))
        parsed.append((index, name, number, soft, hard))
    return parsed


def apply_rlimits(rlimits, syscalls=None):
    """Set every limit in ``process.rlimits`` on the calling process."""
    if syscalls is None:
        from ..syscalls.host import real
        syscalls = real()
    for index, name, number, soft, hard in parse_rlimits(rlimits):
        field = "process.rlimits[%d].type" % index
        try:
            syscalls.setrlimit(number, soft, hard)
        except SyscallError as exc:
            message = "%s: setting %s to soft %s, hard %s failed: %s" % (
                field, name, _as_uint64(soft), _as_uint64(hard), exc)
            if exc.errno == errno.EPERM:
                current_hard = syscalls.getrlimit(number)[1]
                if _raises_hard(hard, current_hard):
                    message += ("; raising the hard limit above the current %s needs "
                                "CAP_SYS_RESOURCE" % _as_uint64(current_hard))
                elif number == RLIMITS["RLIMIT_NOFILE"]:
                    message += "; RLIMIT_NOFILE cannot exceed /proc/sys/fs/nr_open"
            raise SecurityError(message)
