# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""run = create + start; in the foreground also wait, then delete.

The foreground caller is the monitor's parent (create forked it), and the
monitor exits with the container's exit status (128+N for signal N), so
waiting for the monitor gives the status without polling. Signals the
caller gets (Ctrl-C, SIGTERM from a supervisor) are forwarded to the
container's process, as runc does.

With process.terminal and no --console-socket, a foreground run receives the
pty master itself and proxies the caller's terminal until the container
exits (process/terminal.py); detached, the master must go to a console socket.
"""

import os
import signal

from ..lifecycle.create import create
from ..lifecycle.delete import delete
from ..lifecycle.start import start
from ..process import terminal
from ..standalone.stateio import process_alive

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT,
             signal.SIGUSR1, signal.SIGUSR2, signal.SIGWINCH)


def run(root, container_id, bundle, flags, log, preserve_fds=0):
    detach = bool(flags.get("detach"))
    if detach:
        from ..process import spawn
        spawn.HAND_OFF_TO_SUBREAPER = True  # a reaping caller gets the init (process/spawn.py)
    if not detach:
        _refuse_restart_policy(bundle)
    console = flags.get("console-socket") or None
    receiver = None
    if console is None and not detach and _wants_terminal(bundle):
        # Foreground with a terminal: the pty master comes back to us over a
        # socketpair and we proxy the caller's terminal (process/terminal.py).
        receiver, console = terminal.console_pair()
    master = None
    try:
        try:
            state = create(root, container_id, bundle, pid_file=flags.get("pid-file"),
                           preserve_fds=preserve_fds, warn=log.warn, console_socket=console,
                           no_pivot=bool(flags.get("no-pivot")))
        finally:
            if receiver is not None:
                console.close()
        if receiver is not None:
            try:
                master, dummy = terminal.recv_master(receiver)
            except BaseException:
                _delete_quietly(root, container_id, log)
                raise
    finally:
        if receiver is not None:
            receiver.close()
    proxy = None if master is None else terminal.Proxy(master)
    try:
        if proxy is not None:
            # Raw mode and the caller's window size before the program starts.
            proxy.__enter__()
        try:
            start(root, container_id, warn=log.warn)
        except BaseException:
            _delete_quietly(root, container_id, log)
            raise
        if detach:
            return 0
        code = _wait(state, proxy)
    finally:
        if proxy is not None:
            proxy.__exit__(None, None, None)
            os.close(master)
    if not flags.get("keep"):
        delete(root, container_id, warn=log.warn)
    return code


def _wait(state, proxy):
    """Forward signals (and proxy the terminal) until the monitor exits; its exit status."""
    pid, start_time = state["pid"], state.get("pid_start_time")

    def forward(signum, _frame):
        if process_alive(pid, start_time):
            try:
                os.kill(pid, signum)
            except OSError:
                pass

    # With a terminal, a window size change resizes the pty (the kernel then
    # signals the container's foreground process group) instead.
    forwarded = FORWARDED if proxy is None else tuple(s for s in FORWARDED if s != signal.SIGWINCH)
    previous = dict((sig, signal.signal(sig, forward)) for sig in forwarded)
    try:
        if proxy is not None:
            terminal.proxy_until_exit(proxy, state["monitor_pid"])
        return _wait_monitor(state["monitor_pid"])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _refuse_restart_policy(bundle):
    """A foreground run waits for the exit and deletes the container: a restart could only be undone."""
    import json
    from ..errors import SpecError
    try:
        with open(os.path.join(bundle, "config.json")) as handle:
            policy = ((json.load(handle) or {}).get("annotations") or {}).get("org.opencontainer.runtime.restart")
    except (IOError, OSError, ValueError, AttributeError):
        return  # create reports it
    if policy not in (None, "", "no"):
        raise SpecError("annotations.org.opencontainer.runtime.restart",
                        "restart policy %r needs a detached container (run --detach, or create and start); "
                        "a foreground run deletes the container when its process exits" % policy)


def _wants_terminal(bundle):
    """process.terminal of the bundle's config (create validates it properly)."""
    import json
    try:
        with open(os.path.join(bundle, "config.json")) as handle:
            return bool(((json.load(handle) or {}).get("process") or {}).get("terminal"))
    except (IOError, OSError, ValueError, AttributeError):
        return False


def _wait_monitor(monitor_pid):
    while True:
        try:
            dummy, status = os.waitpid(monitor_pid, 0)
        except InterruptedError:
            continue
        if os.WIFEXITED(status):
            return os.WEXITSTATUS(status)
        return 128 + os.WTERMSIG(status)


def _delete_quietly(root, container_id, log):
    try:
        delete(root, container_id, force=True, warn=log.warn)
    except Exception as e:
        log.warn("cleanup after failed start: %s" % e)
