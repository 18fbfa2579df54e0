# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The child side of exec: become a process of a running container.

Forked by lifecycle/exec.py, already in the container's pid namespace and
not dumpable. In order:

1. join the container's cgroup in every hierarchy it was not born into
   (cgroups/membership.py, fork_into) while the host's cgroupfs is still
   visible;
2. setns(2) into the init's other namespaces, the mount namespace last:
   joining it sets our root and cwd to the namespace's root, the container's
   root after its pivot_root (setns(2), "CLONE_NEWNS"); a container without
   a mount namespace of its own has the init's chroot as root, entered then;
3. chdir to process.cwd, find args[0] with the process's PATH, inside the
   container (execvp(3) semantics, shared with the init);
4. rlimits, oom score, no_new_privs (before the uid change, while we still
   hold CAP_SYS_RESOURCE), stdio (or, with process.terminal, a new pty from
   the container's /dev/ptmx: terminal.py), close every other fd, user, groups,
   capabilities and umask, default signal dispositions, execve(2); the
   container's seccomp filter (compiled by the parent) is loaded as in the
   init (security/seccomp.py).

Everything used after step 2 is imported before the fork: the runtime's own
files are not reachable from inside the container. Any failure is sent to
the parent over the sync pipe, whose close-on-exec end makes EOF mean
"exec succeeded".
"""

import fcntl
import posix  # os without os.py: runtime/pathlite.py says why
# _signal, the C module behind signal.py: the same functions and numbers
# without signal.py's IntEnum tables (enum, functools, collections: ~5 ms
# of imports on every exec).
import _signal as signal

from ..cgroups import membership
from ..security.capabilities import CapabilitySets, read_last_cap
from ..security.fds import close_inherited_fds
from ..security.identity import apply_identity
from ..security.lsm import apply_exec_labels
from ..security.personality import apply_personality
from ..security.process_attrs import apply_umask, set_no_new_privileges, set_oom_score_adj
from ..security.rlimits import apply_rlimits
from ..security import seccomp_filter
from ..errors import RuntimeFailure
from ..syscalls import consts as C
from ..syscalls.host import real
from . import sync
from .program import PYTHON_IGNORED_SIGNALS, TERMINATING_SIGNALS, environ_dict, find_program

# /proc/PID/ns entries the child joins, in this order: the user namespace
# first, since it owns the others and setns(2) into them needs CAP_SYS_ADMIN
# there (user_namespaces(7)); the mount namespace last, since it takes the
# host's /proc and cgroupfs out of reach (the fds were opened before). The
# pid namespace is the parent's job (see exec.py).
JOIN_ORDER = ("user", "ipc", "uts", "net", "cgroup", "time", "mnt")
# proc ns name -> clone flag for setns(2)
_FLAGS = dict((proc_name, flag) for flag, proc_name in C.NAMESPACES.values())


class ExecContext(object):
    """What the exec child needs; built by the parent, inherited through fork()."""

    def __init__(self, process, ns_fds, cgroups, lock_fd, stdio, preserve_fds, seccomp_config=None,
                 console=None):
        self.process = process
        # process.terminal: the connected console socket the pty master goes to
        self.console = console
        self.ns_fds = ns_fds                # {proc ns name: fd}, pid excluded
        self.cgroups = cgroups              # the container's (directory, is_v2) pairs, or None
        self.lock_fd = lock_fd              # the container lock: never inherited
        self.stdio = stdio                  # (stdin, stdout, stderr): fds or None = inherit
        self.preserve_fds = preserve_fds
        # Read cap_last_cap here: the container's /proc may hide or mask it.
        self.caps = CapabilitySets.from_config(process.get("capabilities"), last_cap=read_last_cap())
        # The container's linux.seccomp, compiled here: libseccomp is out of reach inside.
        self.seccomp = seccomp_filter.compile_optional(seccomp_config)
        self.personality = None  # the container's linux.personality
        # An O_PATH fd of the init's root, when the container has no mount
        # namespace of its own (its root is the init's chroot: rootfs/chroot.py)
        self.root_fd = None
        # terminal.py (socket, termios...) only for a terminal, loaded here
        # in the parent: after setns(mnt) the runtime's files are out of reach.
        self.attach_terminal = None
        if console is not None:
            from .terminal import attach_terminal
            self.attach_terminal = attach_terminal


def exec_main(ctx, channel):
    """Entry point in the forked child; never returns."""
    code = 1
    try:
        channel = _above_preserved(channel, ctx.preserve_fds)
        if ctx.lock_fd is not None:
            posix.close(ctx.lock_fd)
        _enter_container(ctx)
        program = _prepare(ctx.process)
        _become(ctx, channel, program)
    except BaseException as e:  # report anything, then die: never return into the caller's code
        code = 127 if isinstance(e, OSError) else 1
        sync.report_error(channel, e)
    finally:
        posix._exit(code)


def _above_preserved(channel, preserve_fds):
    """Move the sync pipe's end out of 3..3+preserve_fds-1, which belong to the process."""
    first_free = 3 + preserve_fds
    if channel.fileno() >= first_free:
        return channel
    fd = fcntl.fcntl(channel.fileno(), fcntl.F_DUPFD_CLOEXEC, first_free)
    channel.close()
    return sync.PipeEnd(fd)


def _enter_container(ctx):
    if ctx.cgroups:
        membership.join(ctx.cgroups, 0)
    sc = real()
    for name in JOIN_ORDER:
        fd = ctx.ns_fds.get(name)
        if fd is None:
            continue
        try:
            sc.setns(fd, _FLAGS[name])
        except RuntimeFailure as e:
            raise RuntimeFailure("cannot join the container's %s namespace: %s" % (name, e))
        posix.close(fd)
    if ctx.root_fd is not None:
        # chroot(2) into the init's root, after setns(mnt), which set ours to the namespace's root.
        posix.fchdir(ctx.root_fd)
        sc.chroot(".")
        posix.close(ctx.root_fd)


def _prepare(process):
    cwd = process.get("cwd") or "/"
    try:
        posix.chdir(cwd)
    except OSError as e:
        raise RuntimeFailure("process.cwd: cannot change to %s in the container: %s" % (cwd, e.strerror))
    return find_program(process["args"][0], process.get("env") or [])


def _become(ctx, channel, program):
    process = ctx.process
    apply_rlimits(process.get("rlimits") or [])
    if process.get("oomScoreAdj") is not None:
        set_oom_score_adj(process["oomScoreAdj"])
    if process.get("noNewPrivileges"):
        set_no_new_privileges()
    if ctx.console is not None:
        # After setns(mnt): /dev/ptmx is the container's (terminal.py).
        ctx.attach_terminal(process, ctx.console)
    else:
        _set_stdio(ctx.stdio, 3 + ctx.preserve_fds)
    close_inherited_fds(keep=(channel.fileno(),) + tuple(range(3, 3 + ctx.preserve_fds)))
    apply_personality(ctx.personality)
    apply_exec_labels(process)
    seccomp_filter.load_before_identity(ctx.seccomp, process)
    apply_identity(process, caps=ctx.caps)
    apply_umask(process)
    for sig in TERMINATING_SIGNALS + PYTHON_IGNORED_SIGNALS:
        signal.signal(sig, signal.SIG_DFL)
    seccomp_filter.load_before_exec(ctx.seccomp, process)
    posix.execve(program, process["args"], environ_dict(process.get("env") or []))


def _set_stdio(stdio, first_free):
    """dup2 the given fds onto 0, 1, 2; copies first, so swapped fds (1<->2) work."""
    copies = []
    for target, fd in enumerate(stdio):
        if fd is not None:
            copies.append((target, fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, first_free)))
    for target, copy in copies:
        posix.dup2(copy, target)  # dup2(2) clears close-on-exec on the target
        posix.close(copy)
