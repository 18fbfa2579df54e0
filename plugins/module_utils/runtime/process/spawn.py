# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start the monitor and the container's init.

    runtime (create) --fork--> monitor --fork--> init (pid 1 of a new pid ns)
                                  |
                                  +--execve--> python3 -I -S -B <libexec>/monitor.py

The monitor is forked first and becomes a session leader, so it outlives the
runtime command (and an Ansible module) and has no controlling terminal. It
enters the container's pid namespace for its next child only (unshare(2) of
CLONE_NEWPID affects children), forks the init, goes back to its own pid
namespace (so its later children, the on-stop handlers, run on the host;
the same for a time namespace; with a user namespace the init creates the
pid namespace and forks once more: userns.py),
and then replaces itself with the small monitor program: the init stays its
child, so the monitor can wait(2) for it, and the monitor's memory is that of
a fresh interpreter, not a copy of the runtime's. The init keeps the caller's
stdin/stdout/stderr (runc's behaviour with terminal: false); the monitor
points its own at /dev/null so it holds no pipe of the caller open. With
process.terminal the init inherits the console socket (connected here, in
the runtime, before the fork) and allocates its pty after pivot_root; the
monitor is forked before that pty exists, so it never holds either end of
it (see terminal.py).

Handing the init to a reaping caller: conmon and containerd's shims run
`create` as child subreapers (prctl(2) PR_SET_CHILD_SUBREAPER) and expect
to reap the container's process themselves, which is how they learn its
exit status: runc's init is orphaned to them when `runc create` exits. When
HAND_OFF_TO_SUBREAPER is set (by the CLI's create and run --detach) and the
caller is such a subreaper, the monitor exits right after forking the init
instead of becoming monitor.py, so the init is orphaned to the caller. Then
nothing records the exit in state.json and no on-stop handlers run (the
status still reads "stopped" once the process is gone): the caller owns the
exit status, as with runc.
"""

import os
import select
# _socket, the C module behind socket.py: the same socket type and constants
# without socket.py's enum tables and selectors (~5 ms of every create).
import _socket as socket
import sys

from .. import namespaces
from ..cgroups import membership
from ..security.fds import close_inherited_fds
from ..errors import RuntimeFailure
from ..syscalls import consts as C
from ..syscalls.host import real
from . import libexec, sync, terminal, userns
from .init import init_main


class OutputLog(object):
    """Send the container's stdout and stderr to a size-capped file.

    The init's stdout/stderr become the write end of a pipe and its stdin
    /dev/null; the monitor keeps the read end and appends what arrives to
    ``path``, rotating it to ``path.1`` when it would exceed ``max_size``
    bytes, so a chatty container never fills the state root's tmpfs.
    """

    def __init__(self, path, max_size):
        self.path = path
        self.max_size = int(max_size)


class InitContext(object):
    """What the init needs; it is inherited through fork(), never serialised."""

    def __init__(self, config, rootfs, state_root, container_dir, cgroup=None, preserve_fds=0,
                 log=None, console=None, no_pivot=False):
        self.config = config
        # --no-pivot: MS_MOVE the rootfs onto "/" and chroot (rootfs/pivot.py)
        self.no_pivot = no_pivot
        # process.terminal: the --console-socket path or a connected socket
        self.console = console
        # OutputLog or None (inherit the caller's stdio)
        self.log = log
        self.rootfs = rootfs
        self.state_root = state_root
        self.container_dir = container_dir
        self.cgroup = cgroup
        self.preserve_fds = preserve_fds
        self.hand_off = False  # decided by spawn()
        self.userns = None  # a userns.UsernsChannel when the container has a user namespace
        # Read end of a pipe the monitor closes once it has sent the init's
        # "pid": the init waits for its EOF before its own first message.
        self.pid_sent_fd = None
        # The init's cgroups that it was not born in (set when it is forked)
        self.cgroups_to_join = ()


# Set by the command line for create and run --detach (see above); never for
# a foreground run, which waits for the monitor, nor for the Python API.
HAND_OFF_TO_SUBREAPER = False


def caller_is_subreaper():
    """True when our parent would inherit our orphans: it is a child subreaper.

    No interface tells whether another process is a subreaper, so ask the
    kernel: orphan a grandchild through a short-lived child and see whether
    it is re-parented to our parent (else it goes to a farther subreaper or
    to init).
    """
    parent = os.getppid()
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            os.close(read_end)
            me = os.getpid()
            if os.fork() == 0:
                while os.getppid() == me:  # re-parented when the child exits (not when it is reaped)
                    select.select([], [], [], 0.0005)
                os.write(write_end, str(os.getppid()).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        os.waitpid(child, 0)
        with os.fdopen(read_end, "rb") as reader:
            answer = reader.read()
    except (OSError, ValueError):
        return False
    return answer.strip() == str(parent).encode()


def python_interpreter():
    """The interpreter to run the monitor with: ours, never a pyenv-style shim."""
    exe = sys.executable
    if exe and os.path.isfile(exe):
        return os.path.realpath(exe)
    return "/usr/bin/python3"


def start_listener(container_dir_fd):
    """A listening socket at <container dir>/init.sock for `start`.

    bind(2) through /proc/self/fd keeps the path short: sun_path holds 108
    bytes and a state root plus a 1024-character id would not fit.
    """
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind("/proc/self/fd/%d/init.sock" % container_dir_fd)
    listener.listen(1)
    return listener


def preload_hook_runner():
    """Import what running a hook needs, before the fork.

    The init runs hooks after pivot_root, when the runtime's files (an
    Ansible module's zip is even deleted once the module returns) and the
    standard library are out of reach. hooks.py imports hookexec, and
    hookexec subprocess, only when a phase has hooks.
    """
    import subprocess  # noqa: F401  pylint: disable=unused-import
    from ..standalone import hookexec  # noqa: F401  pylint: disable=unused-import


def spawn(ctx, container_dir_fd):
    """Fork the monitor and the init; return (sync socket, monitor pid, init pid)."""
    if ctx.config.get("hooks"):
        preload_hook_runner()
    if (ctx.config.get("process") or {}).get("terminal") and ctx.log is not None:
        raise RuntimeFailure("process.terminal: the output of a terminal goes to the console socket; "
                             "it cannot also go to a log file")
    script = libexec.monitor_script(ctx.state_root)
    python = python_interpreter()
    ctx.console, opened = terminal.console_channel(ctx.console)
    try:
        return _spawn(ctx, container_dir_fd, script, python)
    finally:
        if opened is not None:
            opened.close()  # the init has its own copy now (or died)


def _spawn(ctx, container_dir_fd, script, python):
    listener = start_listener(container_dir_fd)
    ctx.hand_off = HAND_OFF_TO_SUBREAPER and ctx.log is None and caller_is_subreaper()
    parent_sock, child_sock = sync.channel()
    sys.stdout.flush()
    sys.stderr.flush()
    monitor_pid = os.fork()
    if monitor_pid == 0:
        _monitor_child(ctx, container_dir_fd, parent_sock, child_sock, listener, python, script)
    child_sock.close()
    listener.close()
    try:
        msg = sync.recv(parent_sock, expect="pid", what="container monitor")
    except BaseException:
        parent_sock.close()
        raise
    return parent_sock, monitor_pid, msg["pid"]


def _monitor_child(ctx, lock_fd, parent_sock, child_sock, listener, python, script):
    """In the forked monitor: fork the init, then become monitor.py. Never returns."""
    try:
        # The fd holds create's flock on the container directory; a flock
        # belongs to the open file description, so a copy kept by the
        # monitor or the init would keep the container locked forever.
        os.close(lock_fd)
        parent_sock.close()
        os.setsid()
        own_pidns = own_timens = None
        if namespaces.wants(ctx.config, "user")[0]:
            # The init creates the pid namespace inside its user namespace
            # and forks the container's init, which is orphaned to us.
            ctx.userns = userns.UsernsChannel()
            real().prctl(C.PR_SET_CHILD_SUBREAPER, 1)
        else:
            own_pidns = namespaces.enter_pid_namespace(ctx.config)
        own_timens = namespaces.enter_time_namespace(ctx.config)
        log_read = None
        if ctx.log is not None:
            log_read, log_write = os.pipe()
        # Both we and the init send on child_sock, and create reads "pid"
        # (ours) before "prestart" (the init's): a busy host could otherwise
        # run the init that far before we send. (With a user namespace the
        # init sends "pid" itself, so its messages are in order anyway.)
        pid_sent = None
        if ctx.userns is None:
            ctx.pid_sent_fd, pid_sent = os.pipe()
        # Into the container's cgroup2 cgroup from the start where the kernel
        # can; the init joins the rest first thing (cgroups/membership.py).
        init_pid, ctx.cgroups_to_join = membership.fork_into(
            ctx.cgroup.membership() if ctx.cgroup is not None else (), real())
        if init_pid == 0:
            if pid_sent is not None:
                os.close(pid_sent)
            if log_read is not None:
                _redirect_output(log_read, log_write)
            init_main(ctx, child_sock, listener)
        if pid_sent is not None:
            os.close(ctx.pid_sent_fd)
        namespaces.leave_time_namespace(own_timens)
        namespaces.leave_pid_namespace(own_pidns)
        if ctx.console is not None:
            ctx.console.close()  # only the init sends on it
        if ctx.userns is not None:
            init_pid = ctx.userns.monitor_side(init_pid, ctx.config)  # the init sent "pid" itself
            if init_pid is None:
                os._exit(1)
        else:
            sync.send(child_sock, "pid", pid=init_pid)
            os.close(pid_sent)
        if ctx.hand_off:
            # Orphan the init to the reaping caller; create leaves our zombie
            # to it too, so the recorded monitor start time stays checkable.
            os._exit(0)
        child_sock.close()
        listener.close()
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        # Fds the caller passed without close-on-exec would otherwise stay
        # open in the monitor for the container's lifetime (a caller's pipe
        # would never see EOF).
        argv = [python, "-I", "-S", "-B", script, ctx.container_dir, str(init_pid)]
        keep = ()
        if log_read is not None:
            os.close(log_write)
            os.set_inheritable(log_read, True)
            keep = (log_read,)
            argv += [str(log_read), ctx.log.path, str(ctx.log.max_size)]
        close_inherited_fds(keep=keep)
        os.execv(python, argv)
    except BaseException as e:
        sync.report_error(child_sock, e)
    os._exit(1)


def _redirect_output(log_read, log_write):
    """In the init: stdin from /dev/null, stdout and stderr into the log pipe."""
    os.close(log_read)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(log_write, 1)
    os.dup2(log_write, 2)
    os.close(devnull)
    os.close(log_write)
