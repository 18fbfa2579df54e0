# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-container monitor: waits for the container's init, records its exit.

One monitor runs per container, from create until the container's process
has stopped and its on-stop handlers have run. It is the parent of the
container's init (process/spawn.py forks the monitor, the monitor forks the
init and only then execs this file), so it alone can wait(2) for the exit
status, which it writes to state.json: status "stopped", exit_code,
exit_signal, finished. Then it runs the on-stop handlers: the seed's "Stop
(process) ... This event needs to be captured by runc to run onstop event
handlers". They are hooks (path, args, env, timeout) listed as JSON in the
annotation ``org.opencontainer.runtime.on-stop``, fed the state JSON.

Usage: python3 -I -S monitor.py CONTAINER_DIR INIT_PID

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
        if state.get("monitor_pid") != os.getpid() or state.get("pid") not in (None, init_pid):
            return None  # the id was deleted and reused by another container
        state["status"] = "stopped"
        state["exit_code"] = code
        state["exit_signal"] = _signal_name(sig) if sig else None
        state["finished"] = stateio.timestamp()
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


def main(argv):
    container_dir, init_pid = argv[1], int(argv[2])
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    # Hold the directory open: if the container is deleted and its id reused,
    # this fd still names the old (now unlinked) directory.
    dir_fd = os.open(container_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    while True:
        try:
            _, status = os.waitpid(init_pid, 0)
            break
        except InterruptedError:
            continue
        except ChildProcessError:
            return 255
    code, sig = _decode_status(status)
    state = record_exit(container_dir, dir_fd, init_pid, code, sig)
    if state is not None:
        run_on_stop_handlers(container_dir, dir_fd, state)
    return code


if __name__ == "__main__":
    os._exit(main(sys.argv))
