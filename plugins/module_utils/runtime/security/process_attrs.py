# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small per-process attributes the container init sets on itself before exec.

* umask(2): the file mode creation mask; inherited across execve(2).
* no_new_privs (prctl(2) PR_SET_NO_NEW_PRIVS): once set it can never be unset
  and execve(2) no longer grants privileges (set-user-ID bits, file
  capabilities). config.md ``process.noNewPrivileges``.
* oom_score_adj (proc(5) /proc/PID/oom_score_adj): -1000..1000 bias for the
  OOM killer, inherited by children. config.md ``process.oomScoreAdj``.
"""

import errno
import posix  # os without os.py: runtime/pathlite.py says why

from ..errors import SecurityError, SyscallError
from ..syscalls import consts as C

# runc's default when process.user.umask is absent.
DEFAULT_UMASK = 0o022


def apply_umask(process_cfg):
    """Set ``process.user.umask`` (default 0o022); returns the previous mask."""
    user = process_cfg.get("user") or {}
    mask = user.get("umask") if isinstance(user, dict) else None
    if mask is None:
        mask = DEFAULT_UMASK
    if isinstance(mask, bool) or not isinstance(mask, int) or not 0 <= mask <= 0o777:
        raise SecurityError("process.user.umask: must be an integer from 0 to 0o777, got %r"
                            % (mask,))
    return posix.umask(mask)


def set_no_new_privileges(syscalls=None):
    """prctl(PR_SET_NO_NEW_PRIVS, 1): irreversible for this process and its children."""
    if syscalls is None:
        from ..syscalls.host import real
        syscalls = real()
    try:
        syscalls.prctl(C.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    except SyscallError as exc:
        raise SecurityError("process.noNewPrivileges: prctl(PR_SET_NO_NEW_PRIVS) failed: %s "
                            "(needs Linux 3.5+)" % exc)


def set_oom_score_adj(value, proc_root="/proc"):
    """Write ``process.oomScoreAdj`` to /proc/self/oom_score_adj; None does nothing."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not -1000 <= value <= 1000:
        raise SecurityError("process.oomScoreAdj: must be an integer from -1000 to 1000, got %r"
                            % (value,))
    path = proc_root.rstrip("/") + "/self/oom_score_adj"
    try:
        fd = posix.open(path, posix.O_WRONLY | posix.O_CLOEXEC)
        try:
            posix.write(fd, str(value).encode("ascii"))
        finally:
            posix.close(fd)
    except OSError as exc:
        hint = ""
        if exc.errno in (errno.EACCES, errno.EPERM):
            # proc(5): lowering the value below its lowest past value needs CAP_SYS_RESOURCE.
            hint = " (lowering oom_score_adj needs CAP_SYS_RESOURCE)"
        raise SecurityError("process.oomScoreAdj: writing %d to %s failed: %s%s"
                            % (value, path, posix.strerror(exc.errno), hint))
