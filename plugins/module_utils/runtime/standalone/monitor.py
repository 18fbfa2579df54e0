# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-container monitor: waits for the container's init, records its exit.

One monitor runs per container, from create until the container's process
has stopped and its on-stop handlers have run. It is the parent of the
container's init (process/spawn.py forks the monitor, the monitor forks the
init and only then execs this file), so it alone can wait(2) for the exit
status, which it writes to state.json: status "stopped", exit_code,
exit_signal, finished, oom_killed. Then it runs the on-stop handlers: the seed's "Stop
(process) ... This event needs to be captured by runc to run onstop event
handlers". They are hooks (path, args, env, timeout) listed as JSON in the
annotation ``org.opencontainer.runtime.on-stop``, fed the state JSON.

Usage: python3 -I -S monitor.py CONTAINER_DIR INIT_PID [LOG_FD LOG_PATH LOG_MAX_SIZE]

With the LOG arguments the container's stdout and stderr arrive on the pipe
LOG_FD, and the monitor appends them to LOG_PATH, rotating it to LOG_PATH.1
when it would grow past LOG_MAX_SIZE bytes (so at most twice that is kept).
It then waits with poll(2) on the pipe and a pidfd of the init instead of a
blocking wait(2).

Memory: while waiting it has imported only os and sys (about 2.6 MiB of
RssAnon); json and subprocess are imported after the container has exited.
It runs from a root-owned copy in the state root, never from the Ansible
module's temporary directory and never from anything a container can write.
"""
import os
import sys

ON_STOP_ANNOTATION = "org.opencontainer.runtime.on-stop"


def _decode_status(status):
    """Return (exit_code, signal number or None) from a wait(2) status."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        return 128 + sig, sig
    return os.WEXITSTATUS(status), None


# signal(7): the numbering shared by x86_64 and aarch64. A table, because
# the signal module imports enum, which costs more than the rest of the exit
# path together.
_SIGNAL_NAMES = ("HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1",
                 "SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP",
                 "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH",
                 "IO", "PWR", "SYS")


def _signal_name(sig):
    if 1 <= sig <= len(_SIGNAL_NAMES):
        return "SIG" + _SIGNAL_NAMES[sig - 1]
    return "SIG%d" % sig


def record_exit(container_dir, dir_fd, init_pid, code, sig):
    """Write the exit into state.json under the container lock; return the state or None."""
    import fcntl
    import stateio

    fcntl.flock(dir_fd, fcntl.LOCK_EX)
    try:
        try:
            state = stateio.read_json(dir_fd)
        except (IOError, OSError, ValueError):
            return None  # deleted meanwhile (e.g. create failed and cleaned up)
        if not isinstance(state, dict) or state.get("monitor_pid") != os.getpid() or state.get("pid") not in (None, init_pid):
            return None  # the id was deleted and reused by another container
        state["status"] = "stopped"
        state["exit_code"] = code
        state["exit_signal"] = _signal_name(sig) if sig else None
        state["finished"] = stateio.timestamp()
        state["oom_killed"] = stateio.oom_killed(state)  # standalone/stateio.py
        stateio.write_json(container_dir, state)
        return state
    finally:
        fcntl.flock(dir_fd, fcntl.LOCK_UN)


def run_on_stop_handlers(container_dir, dir_fd, state):
    import fcntl
    import hookexec
    import stateio

    raw = (state.get("annotations") or {}).get(ON_STOP_ANNOTATION)
    if not raw:
        return
    errors = []
    import jsonlite
    payload = jsonlite.dumps(stateio.spec_state(state)).encode("utf-8")
    for index, hook in enumerate(jsonlite.loads(raw)):
        try:
            hookexec.run_hook(hook, payload)
        except hookexec.HookFailed as e:
            errors.append("on-stop handler %d: %s" % (index, e))
    if errors:
        fcntl.flock(dir_fd, fcntl.LOCK_EX)
        try:
            current = stateio.read_json(dir_fd)
            current["on_stop_errors"] = errors
            stateio.write_json(container_dir, current)
        except (IOError, OSError, ValueError):
            pass
        finally:
            fcntl.flock(dir_fd, fcntl.LOCK_UN)


class OutputLog(object):
    """Append-only log file with one rotation (LOG_PATH.1) at max_size bytes."""

    def __init__(self, path, max_size):
        self.path = path
        self.max_size = max(int(max_size), 4096)
        self.fd = None
        self.size = 0
        self._open()

    def _open(self):
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o640)
        self.size = os.fstat(self.fd).st_size

    def write(self, data):
        try:
            self._write(data)
        except OSError:
            pass  # a full file system loses output, never the exit status

    def _write(self, data):
        if self.size + len(data) > self.max_size and self.size > 0:
            os.close(self.fd)
            os.rename(self.path, self.path + ".1")
            self._open()
        # A single chunk larger than the cap keeps only its tail.
        data = data[-self.max_size:]
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]
        self.size += len(data)


class _Discard(object):
    def write(self, data):
        pass


def _pump(log_fd, log, init_pid):
    """Copy the container's output into the log until the init exits; return its status."""
    import select
    try:
        pidfd = os.pidfd_open(init_pid)
    except (AttributeError, OSError):
        pidfd = None  # Python 3.8 or an old kernel: poll with a timeout instead
    poller = select.poll()
    poller.register(log_fd, select.POLLIN)
    if pidfd is not None:
        poller.register(pidfd, select.POLLIN)
    pipe_open = True
    while True:
        try:
            pid, status = os.waitpid(init_pid, os.WNOHANG)
        except ChildProcessError:
            return None
        if pid:
            break
        for fd, _event in poller.poll(None if pidfd is not None else 200):
            if fd == log_fd:
                data = os.read(log_fd, 65536)
                if data:
                    log.write(data)
                elif pipe_open:
                    pipe_open = False  # every writer closed it; keep waiting for the exit
                    poller.unregister(log_fd)
    # Drain what the container wrote just before it exited. Other holders of
    # the pipe (processes outside a pid namespace) must not keep us here.
    if pipe_open:
        os.set_blocking(log_fd, False)
        try:
            while True:
                data = os.read(log_fd, 65536)
                if not data:
                    break
                log.write(data)
        except BlockingIOError:
            pass
    return status


def _wait(init_pid):
    while True:
        try:
            return os.waitpid(init_pid, 0)[1]
        except InterruptedError:
            continue
        except ChildProcessError:
            return None


def main(argv):
    container_dir, init_pid = argv[1], int(argv[2])
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    # Hold the directory open: if the container is deleted and its id reused,
    # this fd still names the old (now unlinked) directory.
    dir_fd = os.open(container_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    checker = _health_checker(container_dir, dir_fd, init_pid)
    if len(argv) > 5:
        log_fd = int(argv[3])
        try:
            log = OutputLog(argv[4], argv[5])
        except OSError:
            log = _Discard()  # still read the pipe, or the container blocks on a full one
        status = checker.watch(log_fd, log) if checker is not None else _pump(log_fd, log, init_pid)
        os.close(log_fd)
    elif checker is not None:
        status = checker.watch(None, None)
    else:
        status = _wait(init_pid)
    if status is None:
        return 255
    code, sig = _decode_status(status)
    state = record_exit(container_dir, dir_fd, init_pid, code, sig)
    if state is not None:
        run_on_stop_handlers(container_dir, dir_fd, state)
        apply_restart_policy(container_dir, dir_fd, state, force=checker is not None and checker.force_restart)
    return code


def _health_checker(container_dir, dir_fd, init_pid):
    """standalone/health.py's Checker when the container has a health check (create wrote its file)."""
    try:
        os.stat("healthcheck.json", dir_fd=dir_fd)
    except OSError:
        return None
    import health
    return health.checker_for(container_dir, dir_fd, init_pid)


def apply_restart_policy(container_dir, dir_fd, state, force=False):
    """A restart policy other than no, or a health check's restart: standalone/restart.py.

    Returns only when there is no restart."""
    if "org.opencontainer.runtime.restart" not in (state.get("annotations") or {}) and not force:
        return
    import restart
    restart.apply_restart_policy(container_dir, dir_fd, os.getpid(), sys.executable, force=force)


if __name__ == "__main__":
    os._exit(main(sys.argv))
