# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every kernel call the runtime makes that Python's os module lacks.

Rooms take a ``syscalls`` argument (default: :func:`real`) so that mount,
namespace and capability logic can be unit-tested with
:class:`.fake.FakeSyscalls`, which records calls instead of making them.
"""

_REAL = None


def real():
    """The process-wide LinuxSyscalls instance (libc is loaded once)."""
    global _REAL
    if _REAL is None:
        from .linux import LinuxSyscalls
        _REAL = LinuxSyscalls()
    return _REAL
