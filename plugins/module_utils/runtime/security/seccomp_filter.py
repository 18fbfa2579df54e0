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

Seccomp user notification (SCMP_ACT_NOTIFY, seccomp_unotify(2)): the filter
is loaded with SECCOMP_FILTER_FLAG_NEW_LISTENER and seccomp(2) returns the
notify fd. runc sends it from its runtime process to the agent listening at
``linux.seccomp.listenerPath``; our init loads the filter after pivot_root,
where that host path is out of reach. So the init hands the fd back over
its start connection (``hand_over_listener``) with SCM_RIGHTS, together
with the write end of a pipe; `start` connects to the listener, sends the
fd and the container process state (lifecycle/seccomp_listener.py) and
writes "ok" on the pipe. The init waits for that "ok" before going on to
execve(2): without it (the listener cannot be reached) it fails, `start`
reports the error and the container ends stopped, its program never run.
Between the load and execve(2) the init makes a few syscalls of its own
(sendmsg, read, close, and without no_new_privs the identity switch): a
profile that sends one of those to the agent makes them wait for its answer
(runc refuses SCMP_ACT_NOTIFY for write(2), which its init needs there; we
refuse it for sendmsg(2), spec/checks_seccomp.py).
"""

import errno
import posix  # os without os.py: runtime/pathlite.py says why
import sys
from _socket import SCM_RIGHTS as _SCM_RIGHTS, SOL_SOCKET as _SOL_SOCKET

from ..errors import SecurityError, SyscallError, UnsupportedError
from ..syscalls import consts as C
from ..syscalls import libc as L
from ..syscalls.host import real

PATH = "linux.seccomp"
_FLAG_WAIT_KILLABLE_RECV = 1 << 5  # <linux/seccomp.h>


class CompiledFilter(object):
    """An exported BPF program, ready for seccomp(2) without libseccomp."""

    def __init__(self, program, flags, syscall_nr, skipped=(), listener=0):
        self.program = program          # bytes: struct sock_filter[]
        self.flags = flags              # SECCOMP_FILTER_FLAG_* bits
        self.listener = listener        # SECCOMP_FILTER_FLAG_NEW_LISTENER in flags, or 0
        self.syscall_nr = syscall_nr    # native number of seccomp(2), or None
        self.skipped = tuple(skipped)   # syscall names libseccomp does not know
        # Bound now: after pivot_root no library can be opened by name.
        self._syscalls = real()

    def load(self, with_listener=True):
        """Install the filter on the calling thread (and, with TSYNC, its siblings).

        Returns the notify fd when the filter has SCMP_ACT_NOTIFY rules, else
        None. ``with_listener=False`` (a startContainer hook's process) loads
        it without a listener of its own: its notified syscalls then fail
        with ENOSYS (seccomp_unotify(2), no listener).
        """
        flags = self.flags
        if not with_listener and self.listener:
            # seccomp(2): WAIT_KILLABLE_RECV without NEW_LISTENER is EINVAL.
            flags &= ~(self.listener | _FLAG_WAIT_KILLABLE_RECV)
        program = L.char_buffer(self.program)
        # struct sock_fprog {unsigned short len; struct sock_filter *filter},
        # the pointer at the next multiple of its size (linux/filter.h).
        pointer_size = L.sizeof(L.c_void_p)
        fprog = L.char_buffer((len(self.program) // 8).to_bytes(2, sys.byteorder)
                              + b"\0" * (pointer_size - 2)
                              + L.addressof(program).to_bytes(pointer_size, sys.byteorder))
        if self.syscall_nr is None and flags:
            raise UnsupportedError("%s.flags: need seccomp(2), which libseccomp does not know here" % PATH)
        try:
            if self.syscall_nr is not None:
                result = self._syscalls.seccomp_set_mode_filter(self.syscall_nr, flags, fprog)
            else:
                result = self._syscalls.prctl(C.PR_SET_SECCOMP, C.SECCOMP_MODE_FILTER, L.addressof(fprog))
        except SyscallError as e:
            hint = ""
            if e.errno == errno.EACCES:
                hint = " (without process.noNewPrivileges, loading a filter needs CAP_SYS_ADMIN)"
            elif e.errno == errno.EINVAL and flags:
                hint = " (the kernel may not support the flags in %s.flags)" % PATH
            raise SecurityError("%s: loading the seccomp filter failed: %s%s"
                                % (PATH, posix.strerror(e.errno), hint))
        if flags & self.listener:
            return result  # the notify fd (TSYNC_ESRCH: never a thread id)
        if result:
            raise SecurityError("%s: loading the seccomp filter failed: TSYNC with thread %d" % (PATH, result))
        return None


def compile_optional(seccomp):
    """CompiledFilter for a ``linux.seccomp`` object, None for None.

    seccomp.py, with ctypes and libseccomp's bindings, is loaded only then.
    """
    if seccomp is None:
        return None
    from .seccomp import compile_seccomp
    return compile_seccomp(seccomp)


def load_before_identity(compiled, process, conn=None):
    """Without no_new_privs: load now, while the process still has CAP_SYS_ADMIN.

    ``conn``: the init's start connection, where a notify fd goes. Without
    it (a process of `exec`) the filter gets no listener: that process's
    notified syscalls fail with ENOSYS (runc would hand its fd to the agent too).
    """
    if compiled is not None and not process.get("noNewPrivileges"):
        hand_over_listener(conn, compiled.load(with_listener=conn is not None))


def load_before_exec(compiled, process, conn=None):
    """With no_new_privs: load as the last step before execve(2)."""
    if compiled is not None and process.get("noNewPrivileges"):
        hand_over_listener(conn, compiled.load(with_listener=conn is not None))


# What precedes the fds on the start connection (lifecycle/start.py looks for it).
LISTENER_MESSAGE = b"seccomp-listener\n"


def hand_over_listener(conn, notify_fd):
    """Send the notify fd to `start` over ``conn`` and wait until it reached the listener.

    One sendmsg(2) carries LISTENER_MESSAGE and, as SCM_RIGHTS
    (unix(7)), the notify fd and the write end of a pipe; `start` writes
    "ok" there once the agent has the fd, or closes it without a word.
    """
    if notify_fd is None:
        return
    ack_read, ack_write = posix.pipe2(posix.O_CLOEXEC)
    try:
        fds = notify_fd.to_bytes(4, sys.byteorder, signed=True) + ack_write.to_bytes(4, sys.byteorder, signed=True)
        conn.sendmsg([LISTENER_MESSAGE], [(_SOL_SOCKET, _SCM_RIGHTS, fds)])
        posix.close(ack_write)
        ack_write = -1
        answer = posix.read(ack_read, 16)
    finally:
        posix.close(notify_fd)
        posix.close(ack_read)
        if ack_write >= 0:
            posix.close(ack_write)
    if answer != b"ok":
        raise SecurityError("%s.listenerPath: the seccomp notify fd did not reach the listener" % PATH)
