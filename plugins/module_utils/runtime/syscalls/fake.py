# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A recording stand-in for LinuxSyscalls, for unit tests without root.

Every call is appended to ``calls`` as ``(name, args...)``. ``fail`` maps a
call name to an errno to raise for that call, to test error paths.
"""

from ..errors import SyscallError


class FakeSyscalls(object):
    def __init__(self, fail=None, caps=(0, 0, 0)):
        self.calls = []
        self.fail = dict(fail or {})
        self.caps = caps

    def _record(self, name, *args):
        self.calls.append((name,) + args)
        if name in self.fail:
            raise SyscallError(name, self.fail[name])
        return 0

    def names(self):
        return [c[0] for c in self.calls]

    def mount(self, source, target, fstype, flags=0, data=None):
        return self._record("mount", source, target, fstype, flags, data)

    def umount2(self, target, flags=0):
        return self._record("umount2", target, flags)

    def pivot_root(self, new_root, put_old):
        return self._record("pivot_root", new_root, put_old)

    def chroot(self, path):
        return self._record("chroot", path)

    def open_tree(self, dirfd, path, flags):
        # A real fd (on /dev/null) stands for the detached tree, so closing it is harmless.
        self._record("open_tree", dirfd, path, flags)
        import os
        return os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)

    def move_mount(self, from_dirfd, from_path, to_dirfd, to_path, flags):
        return self._record("move_mount", from_dirfd, from_path, to_dirfd, to_path, flags)

    def mount_setattr(self, dirfd, path, flags, attr_set, attr_clr, propagation=0, userns_fd=0):
        return self._record("mount_setattr", dirfd, path, flags, attr_set, attr_clr, propagation, userns_fd)

    def unshare(self, flags):
        return self._record("unshare", flags)

    def setns(self, fd, nstype=0):
        return self._record("setns", fd, nstype)

    def sethostname(self, name):
        return self._record("sethostname", name)

    def setdomainname(self, name):
        return self._record("setdomainname", name)

    def prctl(self, option, arg2=0, arg3=0, arg4=0, arg5=0):
        return self._record("prctl", option, arg2, arg3, arg4, arg5)

    def capget(self, pid=0):
        self._record("capget", pid)
        return self.caps

    def capset(self, effective, permitted, inheritable):
        self.caps = (effective, permitted, inheritable)
        return self._record("capset", effective, permitted, inheritable)

    # -- identity and resource limits (security room) ---------------------
    def setgroups(self, gids):
        return self._record("setgroups", list(gids))

    def setresgid(self, rgid, egid, sgid):
        return self._record("setresgid", rgid, egid, sgid)

    def setresuid(self, ruid, euid, suid):
        return self._record("setresuid", ruid, euid, suid)

    def getrlimit(self, resource_):
        """Limits set so far; ``rlimits`` (a dict) may be preset by a test."""
        self._record("getrlimit", resource_)
        return getattr(self, "rlimits", {}).get(resource_, (1024, 4096))

    def setrlimit(self, resource_, soft, hard):
        self._record("setrlimit", resource_, soft, hard)
        if not hasattr(self, "rlimits"):
            self.rlimits = {}
        self.rlimits[resource_] = (soft, hard)
        return 0

    def bpf(self, cmd, attr):
        # BPF_PROG_LOAD (5) returns a new fd that the caller closes: hand out
        # a real one (on /dev/null) so that closing it is harmless.
        self._record("bpf", cmd, bytes(attr))
        if cmd == 5:
            import os
            return os.open(os.devnull, os.O_RDONLY)
        return 0

    def openat2(self, dirfd, path, flags, mode=0, resolve=0):
        self._record("openat2", dirfd, path, flags, mode, resolve)
        raise SyscallError("openat2", 38)

    def close_range(self, first, last=0xFFFFFFFF, flags=0):
        return self._record("close_range", first, last, flags)

    def pidfd_open(self, pid):
        return self._record("pidfd_open", pid)

    def pidfd_send_signal(self, pidfd, sig):
        return self._record("pidfd_send_signal", pidfd, sig)
