# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""start: run the user's program in a created container.

runtime.md "Start": starting a container that is not "created" is an error
and changes nothing. The init waits on <container dir>/init.sock; start
connects, sends the state for the startContainer hooks and reads until EOF:
the init's end is close-on-exec, so EOF with no message means execve(2)
succeeded. Then the status becomes "running" and the poststart hooks run
(a failing poststart hook is only a warning, config.md).

A container created from a config without ``process`` cannot be started:
runtime.md "start" requires the error here, and the container stays created
(its init is never asked to exec anything).

With SCMP_ACT_NOTIFY rules the init sends the seccomp notify fd over the
same connection before its execve(2); start hands it to the agent at
``linux.seccomp.listenerPath`` (lifecycle/seccomp_listener.py). When that
fails, start fails with that error and the init exits without running the
program: the container ends stopped, as with runc.
"""

import posix  # os without os.py: runtime/pathlite.py says why
# _socket, not socket: socket.py imports enum and selectors, ~5 ms of start.
import _socket

from .. import hooks, pathlite
from ..errors import RuntimeFailure, StatusError
from ..process.sync import read_until_eof
from ..standalone import jsonlite
from ..state import StateRoot, spec_state, timestamp
from ..status import RUNNING, live_status, require


class StartError(RuntimeFailure):
    pass


class InitUnreachable(StartError):
    """The init is not listening (any more): it was killed, e.g. by `kill` from another process."""


def start(state_root, container_id, warn=None, unless_stopped_by_user=False):
    """``unless_stopped_by_user``: the restart helper's start, which a stop the user asked for since
    its create cancels (lifecycle/intent.py; a created init may ignore the stop signal)."""
    root = StateRoot(state_root)
    lock = root.lock(container_id)
    try:
        state = root.load(container_id)
        if unless_stopped_by_user and state.get("stop_requested"):
            raise StatusError("container %s was stopped by the user; not starting it" % container_id)
        require("start", container_id, live_status(state))
        if "process" not in (state.get("config") or {}):
            raise StartError("cannot start container %s: its config has no process "
                             "(config.md: process is required to start a container)" % container_id)
        seccomp = (state["config"].get("linux") or {}).get("seccomp") or {}
        listener = _listener_hand_over(seccomp, spec_state(state, "created")) if seccomp.get("listenerPath") else None
        try:
            reply = _tell_init(lock.fd, jsonlite.dumps(spec_state(state, "created")).encode("utf-8"), listener)
        except InitUnreachable:
            raise
        except RuntimeFailure as e:  # the listener's: the init has exited without running the program
            _unlink_quietly(pathlite.join(root.container_dir(container_id), "init.sock"))
            raise StartError("cannot start container %s: %s" % (container_id, e))
        _unlink_quietly(pathlite.join(root.container_dir(container_id), "init.sock"))
        if reply:
            text = reply.decode("utf-8", "replace")
            raise StartError("cannot start container %s: %s"
                             % (container_id, text[len("error "):] if text.startswith("error ") else text))
        state["status"] = RUNNING
        state["started"] = timestamp()
        root.save(state)
        if state.get("service_record"):
            from ..services.record import set_run
            set_run(state["service_record"], True)  # comes back after a reboot (services/record.py)
    finally:
        lock.release()
    hooks.run_phase(state["config"], "poststart", spec_state(state, RUNNING), warn=warn or _ignore)
    return state


def _tell_init(dir_fd, state_json, listener=None):
    """The init's reply: b"" when it exec'd the program. ``listener`` takes the fds it sends, if any."""
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.connect("/proc/self/fd/%d/init.sock" % dir_fd)
        sock.sendall(b"start\n" + state_json)
        sock.shutdown(_socket.SHUT_WR)
        if listener is None:
            return read_until_eof(sock)
        return _read_with_fds(sock, listener)
    except OSError as e:
        raise InitUnreachable("cannot reach the container's init: %s" % (e.strerror or e))
    finally:
        sock.close()


def _listener_hand_over(seccomp, spec_state_):
    """What start does with the fds the init sends: seccomp_listener.hand_over (loaded only then)."""
    from .seccomp_listener import hand_over

    def hand_over_fds(fds):
        hand_over(seccomp, spec_state_, fds)
    return hand_over_fds


def _read_with_fds(sock, listener):
    """read_until_eof, passing the fds of the init's LISTENER_MESSAGE to ``listener``.

    A failure of ``listener`` is raised after the init's EOF: the init, left
    without its "ok", fails and exits, so the container is stopped by then.
    """
    from .seccomp_listener import fds_from_ancdata
    from ..security.seccomp_filter import LISTENER_MESSAGE
    chunks = []
    failure = None
    while True:
        data, ancdata, dummy_flags, dummy_addr = sock.recvmsg(65536, _socket.CMSG_SPACE(2 * 4))
        fds = fds_from_ancdata(ancdata)
        if fds:
            if data.startswith(LISTENER_MESSAGE):
                data = data[len(LISTENER_MESSAGE):]
            try:
                listener(fds)
            except RuntimeFailure as e:
                failure = failure or e
        elif not data:
            break
        chunks.append(data)
    if failure is not None:
        raise failure
    return b"".join(chunks)


def _unlink_quietly(path):
    try:
        posix.unlink(path)
    except OSError:
        pass


def _ignore(_msg):
    pass
