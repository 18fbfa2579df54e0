# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Linux system calls the os module does not offer, through libc.

Each method raises SyscallError (with errno) on failure. Syscall numbers are
per architecture; only the calls that glibc lacks a wrapper for are made by
number (pivot_root, openat2, close_range, pidfd_*, bpf, mount_setattr,
open_tree, move_mount). The calls go through
libc.py (_ctypes without ctypes' Python layer): every command loads this file.
"""

import posix  # os without os.py: runtime/pathlite.py says why
import sys
# _signal, the C module behind signal.py (cli/exec_cmd.py says why)
import _signal

from ..errors import SyscallError
from . import consts as C
from . import libc as L

# syscall numbers for calls without a glibc wrapper everywhere
_SYSCALL_NUMBERS = {
    "x86_64": {"pivot_root": 155, "openat2": 437, "close_range": 436, "clone3": 435,
               "pidfd_open": 434, "pidfd_send_signal": 424, "bpf": 321, "mount_setattr": 442,
               "open_tree": 428, "move_mount": 429},
    "aarch64": {"pivot_root": 41, "openat2": 437, "close_range": 436, "clone3": 435,
                "pidfd_open": 434, "pidfd_send_signal": 424, "bpf": 280, "mount_setattr": 442,
                "open_tree": 428, "move_mount": 429},
}


_MACHINE = posix.uname().machine

# struct __user_cap_header_struct {u32 version; int pid} and, for the 64-bit
# capability sets of _LINUX_CAPABILITY_VERSION_3, two
# struct __user_cap_data_struct {u32 effective, permitted, inheritable}
# (capget(2)): as arrays of unsigned int.
_CapHeader = L.array_type(L.c_uint, 2)
_CapData = L.array_type(L.c_uint, 6)
_CAP_FIELDS = ("effective", "permitted", "inheritable")
# struct clone_args, up to its cgroup field (CLONE_ARGS_SIZE_VER2, clone3(2)):
# flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
# set_tid, set_tid_size, cgroup
_CloneArgs = L.array_type(L.c_uint64, 11)
_CLONE_FLAGS, _CLONE_EXIT_SIGNAL, _CLONE_CGROUP = 0, 4, 10
# struct rlimit64 {u64 rlim_cur, rlim_max} (prlimit(2), glibc's prlimit64)
_Rlimit64 = L.array_type(L.c_uint64, 2)
_RLIM64_INFINITY = 2 ** 64 - 1


def _load_libc():
    """libc by its soname; ctypes.util.find_library may run ldconfig -p, costing milliseconds."""
    try:
        return L.Library("libc.so.6")
    except OSError:
        from ctypes.util import find_library
        return L.Library(find_library("c"))


class LinuxSyscalls(object):
    """The real kernel. Use syscalls.real() rather than instantiating."""

    def __init__(self):
        libc = _load_libc()
        self._nr = _SYSCALL_NUMBERS.get(_MACHINE, {})
        char_p, c_int, c_ulong = L.c_char_p, L.c_int, L.c_ulong
        self._mount = libc.function("mount", [char_p, char_p, char_p, c_ulong, char_p])
        self._umount2 = libc.function("umount2", [char_p, c_int])
        self._chroot = libc.function("chroot", [char_p])
        self._unshare = libc.function("unshare", [c_int])
        self._setns = libc.function("setns", [c_int, c_int])
        self._sethostname = libc.function("sethostname", [char_p, c_ulong])
        self._setdomainname = libc.function("setdomainname", [char_p, c_ulong])
        self._prctl = libc.function("prctl", [c_int, c_ulong, c_ulong, c_ulong, c_ulong])
        self._capget = libc.function("capget")
        self._capset = libc.function("capset")
        self._personality = libc.function("personality", [c_ulong])
        self._prlimit64 = libc.function("prlimit64")
        self._syscall_fn = libc.function("syscall", returns_long=True)
        self._libc = libc
        self._fork_calls = None  # fork_into_cgroup's, made on first use

    # -- helpers ---------------------------------------------------------
    @staticmethod
    def _b(value):
        if value is None:
            return None
        if isinstance(value, bytes):
            return value
        # os.fsencode, without os (runtime/pathlite.py says why)
        return value.encode(sys.getfilesystemencoding(), sys.getfilesystemencodeerrors())

    def _check(self, ret, call, detail=""):
        if ret < 0:
            err = L.get_errno()
            raise SyscallError(call, err, detail)
        return ret

    def _syscall(self, name, *args):
        nr = self._nr.get(name)
        if nr is None:
            raise SyscallError(name, 38, "no syscall number for %s on %s"
                               % (name, _MACHINE))
        return self._check(self._syscall_fn(L.c_long(nr), *args), name)

    # -- mounts ----------------------------------------------------------
    def mount(self, source, target, fstype, flags=0, data=None):
        ret = self._mount(self._b(source), self._b(target), self._b(fstype), flags, self._b(data))
        return self._check(ret, "mount", "%s on %s type %s" % (source, target, fstype))

    def umount2(self, target, flags=0):
        return self._check(self._umount2(self._b(target), flags), "umount2", str(target))

    def pivot_root(self, new_root, put_old):
        return self._syscall("pivot_root", L.c_char_p(self._b(new_root)),
                             L.c_char_p(self._b(put_old)))

    def chroot(self, path):
        return self._check(self._chroot(self._b(path)), "chroot", str(path))

    def open_tree(self, dirfd, path, flags):
        """open_tree(2) (Linux 5.2); with OPEN_TREE_CLONE an fd of a detached copy of the mount tree."""
        return self._syscall("open_tree", L.c_int(dirfd), L.c_char_p(self._b(path)), L.c_uint(flags))

    def move_mount(self, from_dirfd, from_path, to_dirfd, to_path, flags):
        """move_mount(2) (Linux 5.2): attach a (detached) mount at ``to_path``."""
        return self._syscall("move_mount", L.c_int(from_dirfd), L.c_char_p(self._b(from_path)),
                             L.c_int(to_dirfd), L.c_char_p(self._b(to_path)), L.c_uint(flags))

    def mount_setattr(self, dirfd, path, flags, attr_set, attr_clr, propagation=0, userns_fd=0):
        """mount_setattr(2) (Linux 5.12); SyscallError(ENOSYS) on older kernels."""
        # struct mount_attr {u64 attr_set, attr_clr, propagation, userns_fd} (MOUNT_ATTR_SIZE_VER0)
        attr = b"".join(value.to_bytes(8, sys.byteorder) for value in (attr_set, attr_clr, propagation, userns_fd))
        return self._syscall("mount_setattr", L.c_int(dirfd), L.c_char_p(self._b(path)), L.c_uint(flags),
                             L.char_buffer(attr), L.c_ulong(len(attr)))

    # -- namespaces ------------------------------------------------------
    def unshare(self, flags):
        return self._check(self._unshare(flags), "unshare", hex(flags))

    def setns(self, fd, nstype=0):
        return self._check(self._setns(fd, nstype), "setns", hex(nstype))

    def sethostname(self, name):
        raw = self._b(name)
        return self._check(self._sethostname(raw, len(raw)), "sethostname", name)

    def setdomainname(self, name):
        raw = self._b(name)
        return self._check(self._setdomainname(raw, len(raw)), "setdomainname", name)

    # -- processes ---------------------------------------------------------
    def fork_into_cgroup(self, cgroup_fd):
        """fork(), the child starting in the cgroup2 directory open as ``cgroup_fd``.

        clone3(2) with CLONE_INTO_CGROUP (Linux 5.7): no wait for the kernel,
        where a write to cgroup.procs can wait for a grace period
        (cgroups/membership.py says why).

        Python's side of a fork is done as os.fork() does it: PyOS_BeforeFork,
        then PyOS_AfterFork_Child or _Parent, with the GIL held throughout
        (the child's only thread holds it). glibc's side is not: fork(3) also
        runs pthread_atfork handlers and resets locks (malloc, stdio) that
        another thread may hold at that instant. So only a single-threaded
        caller may use this (the monitor forking the init, exec's parent),
        and a library's atfork handlers (OpenSSL's, loaded in an Ansible
        module) do not run: the child uses none of them. The thread id glibc
        keeps for the child's thread is then still the parent's: only the
        owner checks of its recursive and error-checking mutexes read it,
        and with one thread they stay consistent.

        Returns 0 in the child and its pid in the parent. SyscallError:
        ENOSYS (no clone3, or a seccomp filter refusing it), E2BIG or EINVAL
        (a kernel without CLONE_INTO_CGROUP), or what fork(2) and moving into
        that cgroup can fail with.
        """
        if self._fork_calls is None:
            python = L.Library(None)
            self._fork_calls = (python.gil_function("PyOS_BeforeFork"),
                                self._libc.gil_function("syscall", returns_long=True),
                                python.gil_function("PyOS_AfterFork_Child"),
                                python.gil_function("PyOS_AfterFork_Parent"))
        before, clone, after_in_child, after_in_parent = self._fork_calls
        nr = self._nr.get("clone3")
        if nr is None:
            raise SyscallError("clone3", 38, "no syscall number for clone3 on %s" % _MACHINE)
        args = _CloneArgs()
        args[_CLONE_FLAGS] = C.CLONE_INTO_CGROUP
        args[_CLONE_EXIT_SIGNAL] = _signal.SIGCHLD
        args[_CLONE_CGROUP] = cgroup_fd
        before()
        pid = clone(L.c_long(nr), args, L.c_ulong(L.sizeof(args)))
        if pid == 0:
            after_in_child()
            return 0
        err = L.get_errno()  # before any other call
        after_in_parent()
        if pid < 0:
            raise SyscallError("clone3", err, "CLONE_INTO_CGROUP")
        return pid

    # -- process attributes ---------------------------------------------
    def prctl(self, option, arg2=0, arg3=0, arg4=0, arg5=0):
        return self._check(self._prctl(option, arg2, arg3, arg4, arg5),
                           "prctl", "option %d" % option)

    def capget(self, pid=0):
        """Return (effective, permitted, inheritable) as 64-bit masks."""
        hdr = _CapHeader(C.LINUX_CAPABILITY_VERSION_3, pid)
        data = _CapData()
        self._check(self._capget(hdr, data), "capget")
        return tuple(data[i] | (data[3 + i] << 32) for i in range(3))

    def capset(self, effective, permitted, inheritable):
        hdr = _CapHeader(C.LINUX_CAPABILITY_VERSION_3, 0)
        data = _CapData()
        for i, mask in enumerate((effective, permitted, inheritable)):
            data[i] = mask & 0xFFFFFFFF
            data[3 + i] = (mask >> 32) & 0xFFFFFFFF
        return self._check(self._capset(hdr, data), "capset")

    # -- identity and resource limits (security room) ---------------------
    # os has the identity calls; they sit here so FakeSyscalls can record the
    # order of identity changes relative to prctl/capset. The limits go through
    # glibc's prlimit64, not the resource extension module (one more library
    # to load on every exec).
    def setgroups(self, gids):
        try:
            posix.setgroups(list(gids))
        except OSError as exc:
            raise SyscallError("setgroups", exc.errno, repr(list(gids)))
        return 0

    def setresgid(self, rgid, egid, sgid):
        try:
            posix.setresgid(rgid, egid, sgid)
        except OSError as exc:
            raise SyscallError("setresgid", exc.errno, "%d %d %d" % (rgid, egid, sgid))
        return 0

    def setresuid(self, ruid, euid, suid):
        try:
            posix.setresuid(ruid, euid, suid)
        except OSError as exc:
            raise SyscallError("setresuid", exc.errno, "%d %d %d" % (ruid, euid, suid))
        return 0

    def getrlimit(self, resource_):
        """(soft, hard) of the calling process, RLIM_INFINITY as C.RLIM_INFINITY (-1)."""
        old = _Rlimit64()
        self._check(self._prlimit64(0, resource_, None, old), "getrlimit", "resource %d" % resource_)
        return tuple(C.RLIM_INFINITY if value == _RLIM64_INFINITY else value for value in old)

    def setrlimit(self, resource_, soft, hard):
        """prlimit(2) on the calling process; C.RLIM_INFINITY (-1) for no limit."""
        new = _Rlimit64(soft & _RLIM64_INFINITY, hard & _RLIM64_INFINITY)
        return self._check(self._prlimit64(0, resource_, new, None), "setrlimit", "resource %d" % resource_)

    # -- bpf(2), for cgroup v2 device rules (cgroups/devices_bpf.py) ------
    def bpf(self, cmd, attr):
        """bpf(2) with ``attr`` the bytes of a union bpf_attr; returns the
        result (a new fd for BPF_PROG_LOAD). Pointers inside ``attr`` must
        stay valid for the call (the caller owns those buffers)."""
        raw = bytes(attr)
        return self._syscall("bpf", L.c_int(cmd), L.char_buffer(raw), L.c_uint(len(raw)))

    # -- files -------------------------------------------------------------
    def openat2(self, dirfd, path, flags, mode=0, resolve=0):
        """openat2(2); returns an fd. Raises SyscallError(ENOSYS) on old kernels."""
        # struct open_how {u64 flags, mode, resolve} (openat2(2))
        how = b"".join(value.to_bytes(8, sys.byteorder) for value in (flags, mode, resolve))
        return self._syscall("openat2", L.c_int(dirfd), L.c_char_p(self._b(path)),
                             L.char_buffer(how), L.c_ulong(len(how)))

    def close_range(self, first, last=0xFFFFFFFF, flags=0):
        return self._syscall("close_range", L.c_uint(first), L.c_uint(last), L.c_uint(flags))

    def pidfd_open(self, pid):
        return self._syscall("pidfd_open", L.c_int(pid), L.c_uint(0))

    def pidfd_send_signal(self, pidfd, sig):
        # siginfo NULL: as kill(2) (pidfd_send_signal(2))
        return self._syscall("pidfd_send_signal", L.c_int(pidfd), L.c_int(sig), None, L.c_uint(0))

    # -- seccomp(2), for security/seccomp_filter.py ------------------------
    def seccomp_set_mode_filter(self, syscall_nr, flags, fprog):
        """seccomp(SECCOMP_SET_MODE_FILTER, flags, fprog), made by ``syscall_nr``:
        libseccomp's number for the native architecture. Returns 0, or with
        SECCOMP_FILTER_FLAG_TSYNC the id of a thread that could not be synced."""
        return self._check(self._syscall_fn(L.c_long(syscall_nr), L.c_uint(C.SECCOMP_SET_MODE_FILTER),
                                            L.c_uint(flags), fprog), "seccomp", "SECCOMP_SET_MODE_FILTER")

    # -- personality(2), for linux.personality (security/personality.py) ----
    def personality(self, persona):
        """Set the execution domain; returns the previous one. 0xffffffff only queries."""
        return self._check(self._personality(persona), "personality", hex(persona))
