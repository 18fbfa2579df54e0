# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Loading a compiled seccomp filter into the process (the second step of seccomp.py).

seccomp.py compiles ``linux.seccomp`` with libseccomp on the host side; this
file installs the result, a classic BPF program, with seccomp(2)
SECCOMP_SET_MODE_FILTER (or prctl(2) PR_SET_SECCOMP on a libseccomp that
does not know seccomp(2)), no library needed. It stays apart from the
compiler so that the init and exec children of containers without seccomp
do not load ctypes and libseccomp's bindings (libc.py says why that counts).

Without no_new_privs the load needs CAP_SYS_ADMIN (seccomp(2), EACCES), so,
as in runc: with noNewPrivileges the filter is loaded right before execve(2),
so that few of our own syscalls run under it; without, it is loaded before
apply_identity drops the capabilities (``load_before_identity``).
"""

import errno
import posix  # os without os.py: runtime/pathlite.py says why
import sys

from ..errors import SecurityError, SyscallError, UnsupportedError
from ..syscalls import consts as C
from ..syscalls import libc as L
from ..syscalls.host import real

PATH = "linux.seccomp"


class CompiledFilter(object):
    """An exported BPF program, ready for seccomp(2) without libseccomp."""

    def __init__(self, program, flags, syscall_nr, skipped=()):
        self.program = program          # bytes: struct sock_filter[]
        self.flags = flags              # SECCOMP_FILTER_FLAG_* bits
        self.syscall_nr = syscall_nr    # native number of seccomp(2), or None
        self.skipped = tuple(skipped)   # syscall names libseccomp does not know
        # Bound now: after pivot_root no library can be opened by name.
        self._syscalls = real()

    def load(self):
        """Install the filter on the calling thread (and, with TSYNC, its siblings)."""
        program = L.char_buffer(self.program)
        # struct sock_fprog {unsigned short len; struct sock_filter *filter},
        # the pointer at the next multiple of its size (linux/filter.h).
        pointer_size = L.sizeof(L.c_void_p)
        fprog = L.char_buffer((len(self.program) // 8).to_bytes(2, sys.byteorder)
                              + b"\0" * (pointer_size - 2)
                              + L.addressof(program).to_bytes(pointer_size, sys.byteorder))
        if self.syscall_nr is None and self.flags:
            raise UnsupportedError("%s.flags: need seccomp(2), which libseccomp does not know here" % PATH)
        try:
            if self.syscall_nr is not None:
                thread = self._syscalls.seccomp_set_mode_filter(self.syscall_nr, self.flags, fprog)
            else:
                thread = self._syscalls.prctl(C.PR_SET_SECCOMP, C.SECCOMP_MODE_FILTER, L.addressof(fprog))
        except SyscallError as e:
            hint = ""
            if e.errno == errno.EACCES:
                hint = " (without process.noNewPrivileges, loading a filter needs CAP_SYS_ADMIN)"
            elif e.errno == errno.EINVAL and self.flags:
                hint = " (the kernel may not support the flags in %s.flags)" % PATH
            raise SecurityError("%s: loading the seccomp filter failed: %s%s"
                                % (PATH, posix.strerror(e.errno), hint))
        if thread:
            raise SecurityError("%s: loading the seccomp filter failed: TSYNC with thread %d" % (PATH, thread))


def compile_optional(seccomp):
    """CompiledFilter for a ``linux.seccomp`` object, None for None.

    seccomp.py, with ctypes and libseccomp's bindings, is loaded only then.
    """
    if seccomp is None:
        return None
    from .seccomp import compile_seccomp
    return compile_seccomp(seccomp)


def load_before_identity(compiled, process):
    """Without no_new_privs: load now, while the process still has CAP_SYS_ADMIN."""
    if compiled is not None and not process.get("noNewPrivileges"):
        compiled.load()


def load_before_exec(compiled, process):
    """With no_new_privs: load as the last step before execve(2)."""
    if compiled is not None and process.get("noNewPrivileges"):
        compiled.load()
