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
"""

import posix  # os without os.py: runtime/pathlite.py says why
# _socket, not socket: socket.py imports enum and selectors, ~5 ms of start.
import _socket

from .. import hooks, pathlite
from ..errors import RuntimeFailure
from ..process.sync import read_until_eof
from ..standalone import jsonlite
from ..state import StateRoot, spec_state, timestamp
from ..status import RUNNING, live_status, require


class StartError(RuntimeFailure):
    pass


class InitUnreachable(StartError):
    """The init is not listening (any more): it was killed, e.g. by `kill` from another process."""


def start(state_root, container_id, warn=None):
    root = StateRoot(state_root)
    lock = root.lock(container_id)
    try:
        state = root.load(container_id)
        require("start", container_id, live_status(state))
        if "process" not in (state.get("config") or {}):
            raise StartError("cannot start container %s: its config has no process "
                             "(config.md: process is required to start a container)" % container_id)
        reply = _tell_init(lock.fd, jsonlite.dumps(spec_state(state, "created")).encode("utf-8"))
        _unlink_quietly(pathlite.join(root.container_dir(container_id), "init.sock"))
        if reply:
            text = reply.decode("utf-8", "replace")
            raise StartError("cannot start container %s: %s"
                             % (container_id, text[len("error "):] if text.startswith("error ") else text))
        state["status"] = RUNNING
        state["started"] = timestamp()
        root.save(state)
    finally:
        lock.release()
    hooks.run_phase(state["config"], "poststart", spec_state(state, RUNNING), warn=warn or _ignore)
    return state


def _tell_init(dir_fd, state_json):
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.connect("/proc/self/fd/%d/init.sock" % dir_fd)
        sock.sendall(b"start\n" + state_json)
        sock.shutdown(_socket.SHUT_WR)
        return read_until_eof(sock)
    except OSError as e:
        raise InitUnreachable("cannot reach the container's init: %s" % (e.strerror or e))
    finally:
        sock.close()


def _unlink_quietly(path):
    try:
        posix.unlink(path)
    except OSError:
        pass


def _ignore(_msg):
    pass
