# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The container's init: the process that becomes the user's program.

It is forked (by the monitor) from the runtime process that runs `create`,
so it needs no code on disk. Create phase, in order:

1. join the container's cgroups, those it was not born in (spawn.py,
   cgroups/membership.py), then enter the namespaces (new cgroup namespaces
   must see that cgroup as their root), the user namespace first
   (userns.py);
2. build the root file system (rootfs room; without a mount namespace of
   its own, none is built: rootfs/chroot.py), then tell the runtime, which
   runs the prestart and createRuntime hooks in the runtime namespace;
3. run the createContainer hooks (container namespaces, before pivot_root,
   config.md "createContainer Hooks");
4. pivot_root (chroot(2) without a mount namespace of its own); with
   process.terminal a new pty from the container's
   /dev/ptmx, its master sent to the console socket, the slave bind-mounted
   on /dev/console and made stdio and controlling terminal (terminal.py;
   before the rootfs turns read-only, as runc does); masked/read-only
   paths, hostname, sysctl, resolve the program with the container's PATH,
   chdir to process.cwd; report "created".

Everything the init uses is imported at the top of this file: after
pivot_root the runtime's own files are out of reach.

Then it waits on a listening unix socket in the container's state directory
for `start`. Start phase: run the startContainer hooks, apply rlimits, oom
score, no_new_privs, close every inherited fd, personality and LSM exec
labels, switch user and capabilities, and execve(2). The seccomp filter, compiled before pivot_root, is loaded
right before execve(2), or before the identity switch when loading it needs
CAP_SYS_ADMIN (no no_new_privs; security/seccomp.py). The start connection
is close-on-exec: `start` reads EOF when the exec succeeded, or an error
message when anything failed.

startContainer hooks run under that same filter: each hook's process loads
it between fork and exec (``_hook_confinement``). runc gets there by loading
the filter in its init before it runs these hooks
(libcontainer/standard_init_linux.go); here the init's own later steps
(rlimits, /proc writes, personality, setgroups/setuid/capset...) stay
outside the filter as before, so a strict profile only has to allow what
the program itself and execve(2) need.

While created, the init is the pid namespace's init, which ignores signals it
has no handler for (pid_namespaces(7)); it installs handlers so `kill` of a
created container works. It is not dumpable until exec, so processes in the
container cannot open its /proc/PID/exe (the host interpreter).
"""

import os
# _signal and _socket, the C modules behind signal.py and socket.py: the same
# functions and constants without their enum tables (enum, functools,
# collections, selectors: ~5 ms of every create).
import _signal as signal
import _socket as socket

from .. import hooks, namespaces
from ..cgroups import membership
from ..security.fds import close_inherited_fds
from ..security.identity import apply_identity
from ..security.lsm import apply_exec_labels
from ..security.personality import apply_personality
from ..security.process_attrs import apply_umask, set_no_new_privileges, set_oom_score_adj
from ..security.rlimits import apply_rlimits
from ..security import seccomp_filter
from ..security.sysctl import apply_sysctls
from ..security.uts import set_domainname, set_hostname
from ..errors import RuntimeFailure
from ..rootfs import setup as rootfs
from ..syscalls import consts as C
from ..syscalls.host import real
from . import sync, terminal
from .program import PYTHON_IGNORED_SIGNALS, TERMINATING_SIGNALS, environ_dict, find_program


def _exit_on_signal(signum, _frame):
    os._exit(128 + signum)


def init_main(ctx, sock, listener):
    """Entry point in the forked init; never returns."""
    code = 1
    try:
        for sig in TERMINATING_SIGNALS:
            signal.signal(sig, _exit_on_signal)
        real().prctl(C.PR_SET_DUMPABLE, 0)
        program = _create_phase(ctx, sock)
        sync.send(sock, "created")
        sock.close()
        code = _wait_for_start(ctx, listener, program)
    except BaseException as e:  # report anything, then die: never return into the caller's code
        sync.report_error(sock, e)
    finally:
        os._exit(code)


def _create_phase(ctx, sock):
    config = ctx.config
    membership.join(ctx.cgroups_to_join, 0)
    source_fds = None
    if ctx.userns is not None:
        # As the host's root, before the mapped root may no longer reach them.
        source_fds = rootfs.open_bind_sources(config, ctx.rootfs)
        # Returns in the container's init only (a child of this process): userns.py.
        ctx.userns.init_side(config, sock)
        ctx.userns = None
        _check_reachable(ctx.rootfs)
    new = namespaces.enter(config)
    if new & C.CLONE_NEWNET:
        namespaces.loopback_up()
    built = rootfs.build_root(config, ctx.rootfs, ctx.cgroup.container_mounts() if ctx.cgroup else (),
                              source_fds=source_fds)
    if ctx.pid_sent_fd is not None:
        os.read(ctx.pid_sent_fd, 1)  # EOF: the monitor's "pid" is on the socket before ours (spawn.py)
        os.close(ctx.pid_sent_fd)
        ctx.pid_sent_fd = None
    sync.send(sock, "prestart")
    msg = sync.recv(sock, expect="continue", what="runtime")
    # runc runs them with the rootfs as working directory (the spec leaves
    # it open): a hook's relative paths, e.g. of a bind mount, then land in
    # the container.
    hooks.run_phase(config, "createContainer", msg["state"].encode("utf-8"), cwd=ctx.rootfs)
    # Needs the host's libseccomp: before pivot_root.
    ctx.seccomp = seccomp_filter.compile_optional((config.get("linux") or {}).get("seccomp"))
    rootfs.switch_root(config, ctx.rootfs, no_pivot=ctx.no_pivot)
    process = config.get("process")
    if process and process.get("terminal"):
        host_dev = built.host_dev if built is not None else None
        terminal.attach_terminal(process, ctx.console, mount_console=lambda slave: _mount_console(slave, host_dev))
        ctx.console = None
    # sysctl before finalize: /proc/sys is usually in readonlyPaths
    _apply_uts_and_sysctl(config)
    rootfs.finish_root(config)
    if process is None:
        return None  # config.md: no process, nothing to start (start refuses: lifecycle/start.py)
    program = find_program(process["args"][0], process.get("env") or [])
    cwd = process.get("cwd") or "/"
    try:
        os.chdir(cwd)
    except OSError as e:
        raise RuntimeFailure("process.cwd: cannot change to %s in the container: %s" % (cwd, e.strerror))
    return program


def _check_reachable(rootfs):
    """In a user namespace the path lookups are made as the mapped root: say so when that fails."""
    try:
        os.stat(os.path.join(rootfs, "."))
    except OSError as e:
        raise RuntimeFailure("root.path: %s is not reachable by the container's root user (%s): with "
                             "linux.uidMappings every parent directory must be searchable by the mapped "
                             "ids" % (rootfs, e.strerror))


def _mount_console(slave_path, host_dev=None):
    """Bind the pty slave on /dev/console (config-linux.md "Default Devices").

    In the host's own /dev (rootfs/hostdev.py) only over the host's node,
    which the bind covers in this mount namespace and leaves as it is.
    """
    if host_dev is not None and _is_host_dev(host_dev):
        if not os.path.exists("/dev/console") or os.path.islink("/dev/console"):
            raise RuntimeFailure("process.terminal: %s" % host_dev.refusal("/dev/console"))
    else:
        _make_console_node()
    try:
        real().mount(slave_path, "/dev/console", "", C.MS_BIND, None)
    except RuntimeFailure as e:
        raise RuntimeFailure("process.terminal: bind mount of %s on /dev/console failed: %s" % (slave_path, e))


def _is_host_dev(host_dev):
    fd = os.open("/dev", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        return host_dev.is_host_dev(fd)
    finally:
        os.close(fd)


def _make_console_node():
    try:
        if os.path.islink("/dev/console"):
            os.unlink("/dev/console")
        fd = os.open("/dev/console", os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
        os.close(fd)
    except OSError as e:
        raise RuntimeFailure("process.terminal: cannot create /dev/console in the container: %s" % e.strerror)


def _apply_uts_and_sysctl(config):
    if config.get("hostname"):
        set_hostname(config["hostname"])
    if config.get("domainname"):
        set_domainname(config["domainname"])
    sysctl = (config.get("linux") or {}).get("sysctl")
    if sysctl:
        apply_sysctls(sysctl)


def _wait_for_start(ctx, listener, program):
    while True:
        # _socket's accept: accept4(2) with SOCK_CLOEXEC, returning the fd
        # (socket.py's accept() only wraps it in its own class).
        fd, dummy = listener._accept()  # pylint: disable=protected-access
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, 0, fd)
        request = sync.read_until_eof(conn)  # `start` shuts down its writing side
        if request.startswith(b"start\n"):
            break
        conn.close()
    listener.close()
    try:
        _start_phase(ctx, conn, program, request[len(b"start\n"):])
    except BaseException as e:
        try:
            conn.sendall(("error " + sync.error_message(e)["msg"]).encode("utf-8", "replace"))
        except Exception:
            pass
        return 127 if isinstance(e, OSError) else 1
    return 1  # not reached: exec replaced us


def _start_phase(ctx, conn, program, state_json):
    config = ctx.config
    process = config.get("process")
    if process is None:
        raise RuntimeFailure("the container's config has no process to start")
    hooks.run_phase(config, "startContainer", state_json, preexec=_hook_confinement(ctx.seccomp, process))
    apply_rlimits(process.get("rlimits") or [])
    if process.get("oomScoreAdj") is not None:
        set_oom_score_adj(process["oomScoreAdj"])
    if process.get("noNewPrivileges"):
        set_no_new_privileges()
    close_inherited_fds(keep=(conn.fileno(),) + tuple(range(3, 3 + ctx.preserve_fds)))
    # Before seccomp, whose filter may forbid personality(2) or writes to /proc.
    apply_personality((config.get("linux") or {}).get("personality"))
    apply_exec_labels(process)
    seccomp_filter.load_before_identity(ctx.seccomp, process, conn)
    apply_identity(process)
    apply_umask(process)
    for sig in TERMINATING_SIGNALS + PYTHON_IGNORED_SIGNALS:
        signal.signal(sig, signal.SIG_DFL)
    seccomp_filter.load_before_exec(ctx.seccomp, process, conn)
    os.execve(program, process["args"], environ_dict(process.get("env") or []))


def _hook_confinement(compiled, process):
    """What a startContainer hook's process does before its exec: enter the container's filter.

    As in runc, the hook runs under the container's seccomp filter and, with
    process.noNewPrivileges, no_new_privs. Unlike in runc, which runs these
    hooks after it switched to the container's user and capabilities, the
    hook keeps the init's identity and capabilities, as it did before
    (loading the filter without no_new_privs needs that CAP_SYS_ADMIN,
    seccomp(2) EACCES). After this the child only closes its inherited fds
    (close_range(2), or close(2) one by one when the filter refuses that)
    and calls execve(2).
    """
    if compiled is None:
        return None

    def confine():
        try:
            if process.get("noNewPrivileges"):
                set_no_new_privileges()
            compiled.load(with_listener=False)  # seccomp_filter.py: the agent's fd is the init's
        except BaseException as e:  # never return into subprocess's child code with an exception
            # subprocess would only report "Exception occurred in preexec_fn":
            # say it on the hook's output, which the failed hook's error shows.
            os.write(2, ("cannot enter the container's seccomp filter: %s\n"
                         % sync.error_message(e)["msg"]).encode("utf-8", "replace"))
            os._exit(126)
    return confine
