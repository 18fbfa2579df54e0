# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ctypes wrappers for the Linux system calls the os module does not offer.

Each method raises SyscallError (with errno) on failure. Syscall numbers are
per architecture; only the calls that glibc lacks a wrapper for are made by
number (pivot_root, openat2, close_range).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ctypes
import os
import struct

from ..errors import SyscallError
from . import consts as C

# syscall numbers for calls without a glibc wrapper everywhere
_SYSCALL_NUMBERS = {
    "x86_64": {"pivot_root": 155, "openat2": 437, "close_range": 436,
               "pidfd_open": 434, "pidfd_send_signal": 424},
    "aarch64": {"pivot_root": 41, "openat2": 437, "close_range": 436,
                "pidfd_open": 434, "pidfd_send_signal": 424},
}


_MACHINE = os.uname().machine


def _load_libc():
    """libc by its soname; ctypes.util.find_library may run ldconfig -p, costing milliseconds."""
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        from ctypes.util import find_library
        return ctypes.CDLL(find_library("c"), use_errno=True)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


class LinuxSyscalls(object):
    """The real kernel. Use syscalls.real() rather than instantiating."""

    def __init__(self):
        self._libc = _load_libc()
        self._nr = _SYSCALL_NUMBERS.get(_MACHINE, {})
        libc = self._libc
        libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                               ctypes.c_ulong, ctypes.c_char_p]
        libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
        libc.unshare.argtypes = [ctypes.c_int]
        libc.setns.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.sethostname.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
        libc.setdomainname.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
        libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong,
                               ctypes.c_ulong, ctypes.c_ulong]
        libc.syscall.restype = ctypes.c_long

    # -- helpers ---------------------------------------------------------
    @staticmethod
    def _b(value):
        if value is None:
            return None
        if isinstance(value, bytes):
            return value
        return os.fsencode(value)

    def _check(self, ret, call, detail=""):
        if ret < 0 or (ret == -1):
            err = ctypes.get_errno()
            raise SyscallError(call, err, detail)
        return ret

    def _syscall(self, name, *args):
        nr = self._nr.get(name)
        if nr is None:
            raise SyscallError(name, 38, "no syscall number for %s on %s"
                               % (name, _MACHINE))
        return self._check(self._libc.syscall(nr, *args), name)

    # -- mounts ----------------------------------------------------------
    def mount(self, source, target, fstype, flags=0, data=None):
        ret = self._libc.mount(self._b(source), self._b(target), self._b(fstype),
                               flags, self._b(data))
        return self._check(ret, "mount", "%s on %s type %s" % (source, target, fstype))

    def umount2(self, target, flags=0):
        return self._check(self._libc.umount2(self._b(target), flags), "umount2", str(target))

    def pivot_root(self, new_root, put_old):
        return self._syscall("pivot_root", ctypes.c_char_p(self._b(new_root)),
                             ctypes.c_char_p(self._b(put_old)))

    # -- namespaces ------------------------------------------------------
    def unshare(self, flags):
        return self._check(self._libc.unshare(flags), "unshare", hex(flags))

    def setns(self, fd, nstype=0):
        return self._check(self._libc.setns(fd, nstype), "setns", hex(nstype))

    def sethostname(self, name):
        raw = self._b(name)
        return self._check(self._libc.sethostname(raw, len(raw)), "sethostname", name)

    def setdomainname(self, name):
        raw = self._b(name)
        return self._check(self._libc.setdomainname(raw, len(raw)), "setdomainname", name)

    # -- process attributes ---------------------------------------------
    def prctl(self, option, arg2=0, arg3=0, arg4=0, arg5=0):
        return self._check(self._libc.prctl(option, arg2, arg3, arg4, arg5),
                           "prctl", "option %d" % option)

    def capget(self, pid=0):
        """Return (effective, permitted, inheritable) as 64-bit masks."""
        hdr = _CapHeader(C.LINUX_CAPABILITY_VERSION_3, pid)
        data = (_CapData * 2)()
        self._check(self._libc.capget(ctypes.byref(hdr), data), "capget")
        return tuple(getattr(data[0], f) | (getattr(data[1], f) << 32)
                     for f in ("effective", "permitted", "inheritable"))

    def capset(self, effective, permitted, inheritable):
        hdr = _CapHeader(C.LINUX_CAPABILITY_VERSION_3, 0)
        data = (_CapData * 2)()
        for i in (0, 1):
            data[i].effective = (effective >> (32 * i)) & 0xFFFFFFFF
            data[i].permitted = (permitted >> (32 * i)) & 0xFFFFFFFF
            data[i].inheritable = (inheritable >> (32 * i)) & 0xFFFFFFFF
        return self._check(self._libc.capset(ctypes.byref(hdr), data), "capset")

    # -- identity and resource limits (security room) ---------------------
    # os and resource have these; they sit here so FakeSyscalls can record the
    # order of identity changes relative to prctl/capset.
    def setgroups(self, gids):
        try:
            os.setgroups(list(gids))
        except OSError as exc:
            raise SyscallError("setgroups", exc.errno, repr(list(gids)))
        return 0

    def setresgid(self, rgid, egid, sgid):
        try:
            os.setresgid(rgid, egid, sgid)
        except OSError as exc:
            raise SyscallError("setresgid", exc.errno, "%d %d %d" % (rgid, egid, sgid))
        return 0

    def setresuid(self, ruid, euid, suid):
        try:
            os.setresuid(ruid, euid, suid)
        except OSError as exc:
            raise SyscallError("setresuid", exc.errno, "%d %d %d" % (ruid, euid, suid))
        return 0

    def getrlimit(self, resource_):
        """(soft, hard) with RLIM_INFINITY as resource.RLIM_INFINITY."""
        import resource
        try:
            return resource.getrlimit(resource_)
        except (OSError, ValueError) as exc:
            raise SyscallError("getrlimit", getattr(exc, "errno", None) or 22, str(resource_))

    def setrlimit(self, resource_, soft, hard):
        """prlimit(2) on the calling process. resource.setrlimit would turn EPERM
        into a ValueError; resource.prlimit keeps it an OSError with errno."""
        import resource
        try:
            resource.prlimit(0, resource_, (soft, hard))
        except OSError as exc:
            raise SyscallError("setrlimit", exc.errno, "resource %d" % resource_)
        except ValueError as exc:
            # ValueError only for EINVAL (soft > hard, unknown resource)
            raise SyscallError("setrlimit", 22, "resource %d: %s" % (resource_, exc))
        return 0

    # -- bpf(2), for cgroup v2 device rules (cgroups/devices_bpf.py) ------
    _BPF_NR = {"x86_64": 321, "aarch64": 280}

    def bpf(self, cmd, attr):
        """bpf(2) with ``attr`` the bytes of a union bpf_attr; returns the
        result (a new fd for BPF_PROG_LOAD). Pointers inside ``attr`` must
        stay valid for the call (the caller owns those buffers)."""
        nr = self._BPF_NR.get(_MACHINE)
        if nr is None:
            raise SyscallError("bpf", 38, "no syscall number for bpf on %s" % _MACHINE)
        raw = bytes(attr)
        buf = ctypes.create_string_buffer(raw, len(raw))
        return self._check(self._libc.syscall(nr, ctypes.c_int(cmd), buf, ctypes.c_uint(len(raw))),
                           "bpf", "cmd %d" % cmd)

    # -- files -------------------------------------------------------------
    def openat2(self, dirfd, path, flags, mode=0, resolve=0):
        """openat2(2); returns an fd. Raises SyscallError(ENOSYS) on old kernels."""
        how = struct.pack("QQQ", flags, mode, resolve)
        buf = ctypes.create_string_buffer(how, len(how))
        return self._syscall("openat2", ctypes.c_int(dirfd), ctypes.c_char_p(self._b(path)),
                             buf, ctypes.c_size_t(len(how)))

    def close_range(self, first, last=0xFFFFFFFF, flags=0):
        return self._syscall("close_range", ctypes.c_uint(first), ctypes.c_uint(last),
                             ctypes.c_uint(flags))

    def pidfd_open(self, pid):
        return self._syscall("pidfd_open", ctypes.c_int(pid), ctypes.c_uint(0))

    def pidfd_send_signal(self, pidfd, sig):
        return self._syscall("pidfd_send_signal", ctypes.c_int(pidfd), ctypes.c_int(sig),
                             ctypes.c_void_p(None), ctypes.c_uint(0))

    # -- personality(2), for linux.personality (security/personality.py) ----
    def personality(self, persona):
        """Set the execution domain; returns the previous one. 0xffffffff only queries."""
        self._libc.personality.argtypes = [ctypes.c_ulong]
        self._libc.personality.restype = ctypes.c_int
        return self._check(self._libc.personality(persona), "personality", hex(persona))
