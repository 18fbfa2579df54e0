# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""exec: run one more process in a running container.

runtime.md lets a runtime start further processes in a container; the
process object has the schema of config.json's ``process`` (fields left out
default to the container's own process, as runc does). The new process joins
every namespace of the container's init that differs from ours
(/proc/PID/ns/*, namespaces(7)), its cgroup, and with the mount namespace its
root (setns(2): joining a mount namespace sets root and cwd to its root); a
container without a mount namespace of its own has the init's chroot as root
(rootfs/chroot.py), which the process enters too.

One fork, no double fork: setns(2) of CLONE_NEWPID changes only the pid
namespace of the caller's *next children* (pid_namespaces(7)), so the caller
enters it for one fork(2) and goes straight back, as spawn.py does for the
monitor. The process is then in the container's pid namespace and still the
caller's own child, so wait(2) gives its exit status: no subreaper, no
zombies, no process-wide setting changed in the caller (an Ansible module).

The child starts in the container's cgroup2 cgroup where the kernel can do
that and joins its v1 hierarchies itself, neither of which waits for the
kernel (cgroups/membership.py).

The child reports a failure before execve(2) over a close-on-exec pipe
(sync.one_way); EOF with no message means the exec succeeded (same contract
as start). The container lock is held only while the child sets itself up, so a
concurrent delete either finds the process in the cgroup or refuses nothing
half-joined; it is released before the process runs, so execs run in parallel.
"""

import errno
import posix  # os without os.py: runtime/pathlite.py says why
# _signal, the C module behind signal.py: the same functions and numbers
# without signal.py's IntEnum tables (enum, functools, collections: ~5 ms
# of imports on every exec).
import _signal as signal
import sys
import time

from .. import pathlite
from .. import namespaces
from ..cgroups import membership
from ..errors import RuntimeFailure, SpecError, StatusError
from ..process import execproc, sync
from ..spec.checks_process import validate_process
from ..standalone.jsonlite import copy_json
from ..standalone.stateio import child_exited, process_alive
from ..state import StateRoot
from ..status import CREATED, PAUSED, RUNNING, STOPPED, live_status
from ..syscalls import consts as C
from ..syscalls.host import real
from .support import check_supported

# Fields of the container's own process that an exec process without them
# inherits (runc: env, cwd, user, capabilities, rlimits, no_new_privs, LSM labels).
INHERITED = ("env", "cwd", "user", "capabilities", "rlimits", "noNewPrivileges",
             "oomScoreAdj", "apparmorProfile", "selinuxLabel")


class ExecTimeout(RuntimeFailure):
    """wait(timeout) ran out before the exec'd process exited."""


def merge_process(container_process, process):
    """The exec process: ``process`` validated, absent fields from the container's process."""
    if process is None:
        process = {}
    validate_process(process, "process", for_create=False)
    if not process.get("args"):
        raise SpecError("process.args", "must be a non-empty list: the command to run in the container")
    merged = copy_json(process)
    for key in INHERITED:
        if key not in merged and key in (container_process or {}):
            merged[key] = copy_json(container_process[key])
    merged.setdefault("cwd", "/")
    merged["terminal"] = bool(process.get("terminal"))
    check_supported({"process": merged})
    return merged


class ExecHandle(object):
    """A started exec process; it is the caller's child until wait() reaps it.

    Wait for it (or exit): until its parent reaps it, a dead process keeps
    its pid in the container's pid namespace, and the kernel finishes the
    container's init only when every such pid is freed (pid_namespaces(7)),
    so a delete of the container waits for the reap. A caller that exits
    hands the process to the host's init, which reaps it.
    """

    def __init__(self, pid):
        self.pid = pid
        self.returncode = None

    def poll(self):
        """The exit code if the process has exited (and reap it), else None."""
        if self.returncode is None:
            pid, status = posix.waitpid(self.pid, posix.WNOHANG)
            if pid:
                self.returncode = exit_code(status)
        return self.returncode

    def wait(self, timeout=None):
        """Exit code (128+N when killed by signal N); ExecTimeout after ``timeout`` seconds."""
        if self.returncode is not None:
            return self.returncode
        if timeout is not None and not _wait_exit(self.pid, timeout) and self.poll() is None:
            raise ExecTimeout("exec process %d still runs after %ss" % (self.pid, timeout))
        if self.returncode is None:
            dummy, status = posix.waitpid(self.pid, 0)
            self.returncode = exit_code(status)
        return self.returncode

    def kill(self, sig=signal.SIGKILL):
        # Not reaped yet, so the pid cannot have been reused: kill(2) hits our process.
        if self.returncode is None:
            try:
                posix.kill(self.pid, sig)
            except OSError:
                pass


def exit_code(status):
    if posix.WIFSIGNALED(status):
        return 128 + posix.WTERMSIG(status)
    return posix.WEXITSTATUS(status)


def _wait_exit(pid, timeout):
    """True once ``pid`` (our child) has exited, False after ``timeout``; does not reap."""
    deadline = time.monotonic() + timeout
    try:
        pidfd = real().pidfd_open(pid)
    except RuntimeFailure:
        pidfd = None  # kernel < 5.3: poll
    try:
        while True:
            left = deadline - time.monotonic()
            if pidfd is not None:
                # pidfd_open(2): the fd becomes readable when the process exits.
                # poll(2), not select(2): the fd may be above FD_SETSIZE.
                import select
                poller = select.poll()
                poller.register(pidfd, select.POLLIN)
                return bool(poller.poll(max(left, 0) * 1000.0))
            if child_exited(pid) or left <= 0:
                return child_exited(pid)
            time.sleep(min(0.01, left))
    finally:
        if pidfd is not None:
            posix.close(pidfd)


def start_exec(root, container_id, process, stdin=None, stdout=None, stderr=None, preserve_fds=0,
               pid_file=None, console_socket=None, ignore_paused=False, sub_cgroups=None):
    """Start ``process`` in running container ``container_id``; return an ExecHandle.

    With ``process.terminal`` the process gets a new pty from the container's
    /dev/ptmx, whose master is sent to ``console_socket`` (a path to connect
    to, or a connected socket: process/terminal.py); stdin/stdout/stderr are
    then the pty and the fds given here are not used.

    As runc: a created container takes an exec too (its init waits for start
    with the container's namespaces and root in place), a paused one only
    with ``ignore_paused`` (the process then starts frozen), a stopped one
    never. ``sub_cgroups`` ({hierarchy name or "": path}, cgroups/subcgroups.py)
    puts the process in existing cgroups below the container's.
    """
    if isinstance(preserve_fds, bool) or not isinstance(preserve_fds, int) or preserve_fds < 0:
        raise RuntimeFailure("preserve_fds must be a non-negative integer, not %r" % (preserve_fds,))
    store = StateRoot(root)
    lock = store.lock(container_id)
    opened = []
    console = None
    try:
        state = store.load(container_id)
        status = live_status(state)
        _require_execable(container_id, status, ignore_paused)
        merged = merge_process((state.get("config") or {}).get("process"), process)
        sock = console = None
        if merged["terminal"] or console_socket is not None:
            # Only then: terminal.py imports socket, termios and friends.
            from ..process import terminal
            terminal.check_console(merged, console_socket)
            sock, console = terminal.console_channel(console_socket)
        init_pid = state["pid"]
        targets = _namespaces_to_join(init_pid, opened)
        # The fds were opened after the state was read: if the pid is still the
        # container's init now, they are its namespaces and not a reused pid's.
        if not process_alive(init_pid, state.get("pid_start_time")):
            _require_execable(container_id, STOPPED, ignore_paused)
        pid_ns_fd = targets.pop("pid", None)
        ctx = execproc.ExecContext(merged, targets, _saved_cgroups(state, sub_cgroups), lock.fd,
                                   (stdin, stdout, stderr), preserve_fds,
                                   seccomp_config=((state.get("config") or {}).get("linux") or {}).get("seccomp"),
                                   console=sock)
        ctx.personality = ((state.get("config") or {}).get("linux") or {}).get("personality")
        if namespaces.mount_namespace_kind(state.get("config") or {}) != "new":
            ctx.root_fd = _open_root(init_pid, opened)
        # In a paused container the child is frozen until resume, which
        # needs this lock: the wait for its exec must not hold it.
        pid = _fork_child(ctx, pid_ns_fd, unlock=lock.unlock if status == PAUSED else None)
        if pid_file:
            from .create import write_pid_file
            try:
                write_pid_file(pid_file, pid)
            except OSError as e:
                _reap(pid)  # nobody could find the process: do not leave it running
                raise RuntimeFailure("--pid-file: cannot write %s: %s" % (pid_file, e.strerror))
        return ExecHandle(pid)
    finally:
        if console is not None:
            console.close()  # the exec'd process sent the master on its copy
        for fd in opened:
            posix.close(fd)
        lock.release()


def exec_process(root, container_id, process, **kw):
    """start_exec, then wait: the process's exit code (128+N when killed by signal N)."""
    timeout = kw.pop("timeout", None)
    handle = start_exec(root, container_id, process, **kw)
    try:
        return handle.wait(timeout)
    except BaseException:
        handle.kill()
        handle.wait()
        raise


def _require_execable(container_id, status, ignore_paused):
    # runc's exec (utils_linux.go): stopped never; paused only when asked,
    # since a frozen cgroup freezes the new process too; created and running.
    if status == PAUSED and not ignore_paused:
        raise StatusError("cannot exec in a paused container %s (use --ignore-paused to override)"
                          % container_id)
    if status not in (CREATED, RUNNING, PAUSED):
        raise StatusError("cannot exec in a %s container %s: container not running" % (status, container_id))


def _namespaces_to_join(init_pid, opened):
    """{proc ns name: fd} of the init's namespaces that are not ours (pid included)."""
    targets = {}
    for name in ("pid",) + execproc.JOIN_ORDER:
        theirs = "/proc/%d/ns/%s" % (init_pid, name)
        try:
            if posix.stat(theirs).st_ino == posix.stat("/proc/self/ns/%s" % name).st_ino:
                continue
        except OSError as e:
            if name in ("cgroup", "time") and not pathlite.exists("/proc/self/ns/" + name):
                continue  # kernel < 4.6 (cgroup), < 5.6 (time): no such namespaces at all
            raise StatusError("cannot inspect %s namespace of the container's init: %s" % (name, e.strerror))
        fd = namespaces.open_namespace(theirs, name)
        opened.append(fd)
        targets[name] = fd
    return targets


def _open_root(init_pid, opened):
    """The init's root (its chroot: rootfs/chroot.py), for a container without a mount namespace of its own.

    Joining the init's mount namespace, if any, gives that namespace's root
    (setns(2)), not the directory the init chroot(2)ed into; the exec child
    enters this one instead (process/execproc.py).
    """
    try:
        fd = posix.open("/proc/%d/root" % init_pid, posix.O_PATH | posix.O_DIRECTORY | posix.O_CLOEXEC)
    except OSError as e:
        raise StatusError("cannot open the root of the container's init: %s" % e.strerror)
    opened.append(fd)
    return fd


def _saved_cgroups(state, sub_cgroups=None):
    if not state.get("cgroup"):
        if sub_cgroups:
            raise StatusError("--cgroup: container %s has no cgroup recorded in its state" % state.get("id"))
        return None
    if sub_cgroups:
        from ..cgroups.subcgroups import below
        return below(state["cgroup"], sub_cgroups)
    return membership.saved_cgroups(state["cgroup"])


def _fork_child(ctx, pid_ns_fd, unlock=None):
    """Fork the exec child (into the container's pid namespace); return its pid once it exec'd.

    ``unlock`` is called once the child is forked, before the wait.
    """
    sc = real()
    parent_end, child_end = sync.one_way()
    own_pidns = None
    dumpable = None
    try:
        if pid_ns_fd is not None:
            own_pidns = posix.open("/proc/self/ns/pid", posix.O_RDONLY | posix.O_CLOEXEC)
            sc.setns(pid_ns_fd, C.CLONE_NEWPID)
        # Born non-dumpable: the child is visible in the container's pid namespace
        # before it execs, and a dumpable child would let container processes open
        # its /proc/PID/exe, the host's interpreter (CVE-2019-5736). execve(2)
        # makes the user's program dumpable again.
        dumpable = sc.prctl(C.PR_GET_DUMPABLE)
        sc.prctl(C.PR_SET_DUMPABLE, 0)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = _fork(sc, ctx)
        if pid == 0:
            parent_end.close()
            execproc.exec_main(ctx, child_end)  # never returns
    finally:
        if dumpable:
            sc.prctl(C.PR_SET_DUMPABLE, dumpable)
        if own_pidns is not None:
            namespaces.leave_pid_namespace(own_pidns, sc)
        child_end.close()
    try:
        if unlock is not None:
            unlock()
        _wait_exec(parent_end)
    except BaseException:
        _reap(pid)
        raise
    finally:
        parent_end.close()
    return pid


def _fork(sc, ctx):
    """fork(2) the exec child, into the container's cgroup2 cgroup where it can (cgroups/membership.py)."""
    try:
        pid, to_join = membership.fork_into(ctx.cgroups or (), sc)
    except OSError as e:
        # ENOMEM: the container's pid namespace has no init any more (pid_namespaces(7)).
        hint = " (the container's pids limit?)" if e.errno == errno.EAGAIN else ""
        raise RuntimeFailure("cannot fork the exec process into the container: %s%s" % (e.strerror, hint))
    if pid == 0 and ctx.cgroups is not None:
        ctx.cgroups = to_join
    return pid


def _wait_exec(channel):
    """EOF: the child exec'd (its end is close-on-exec); a message: its error, re-raised."""
    msg = sync.recv_unless_eof(channel)
    if msg is not None:
        raise sync.SyncError("protocol error: unexpected %r from the exec process" % (msg.get("type"),))


def _reap(pid):
    try:
        posix.kill(pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        posix.waitpid(pid, 0)
    except OSError:
        pass
