# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The seccomp notify fd's way: init -> start (security/seccomp_filter.py) -> agent (lifecycle/seccomp_listener.py).

Real unix sockets and pipes, no container: an fd stands in for the notify fd.
"""
import array
import json
import os
import socket
import threading

import pytest

from runtime.errors import SecurityError
from runtime.lifecycle import seccomp_listener as SL
from runtime.lifecycle.start import _read_with_fds
from runtime.security import seccomp_filter as F

STATE = {"ociVersion": "1.2.0", "id": "c1", "status": "created", "pid": 4242, "bundle": "/b", "annotations": {}}


def test_process_state_is_runtime_md_container_process_state():
    message = SL.process_state(STATE, 4242, "meta")
    assert message == {"ociVersion": "1.2.0", "fds": ["seccompFd"], "pid": 4242, "metadata": "meta", "state": STATE}
    assert "metadata" not in SL.process_state(STATE, 4242, None)  # runc: omitempty
    assert "metadata" not in SL.process_state(STATE, 4242, "")


def _agent(path):
    """Accept one connection; return (server, result dict filled by a thread)."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    result = {}

    def run():
        conn, dummy = server.accept()
        with conn:
            data, ancdata, dummy_flags, dummy_addr = conn.recvmsg(65536, socket.CMSG_SPACE(16))
        fds = array.array("i")
        for dummy_level, dummy_kind, payload in ancdata:
            fds.frombytes(payload)
        result["message"] = json.loads(data.decode("utf-8"))
        result["fds"] = list(fds)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return server, thread, result


def test_init_to_start_to_agent(tmp_path):
    """hand_over_listener (init) and _read_with_fds + hand_over (start) over a real socketpair."""
    agent_path = str(tmp_path / "agent.sock")
    server, thread, result = _agent(agent_path)
    seccomp = {"listenerPath": agent_path, "listenerMetadata": "m"}
    init_end, start_end = socket.socketpair()
    read_end, write_end = os.pipe()  # the "notify fd": the agent must get the same open file
    init_error = []

    def init():
        try:
            F.hand_over_listener(init_end, write_end)  # blocks until start said "ok"
        except Exception as e:
            init_error.append(e)
        init_end.close()
    init_thread = threading.Thread(target=init, daemon=True)
    init_thread.start()
    reply = _read_with_fds(start_end, lambda fds: SL.hand_over(seccomp, STATE, fds))
    init_thread.join(5)
    thread.join(5)
    server.close()
    assert reply == b"" and init_error == []
    assert result["message"]["state"] == STATE and result["message"]["metadata"] == "m"
    assert len(result["fds"]) == 1
    os.write(result["fds"][0], b"x")  # the agent's fd is the init's notify fd
    assert os.read(read_end, 1) == b"x"
    for fd in result["fds"] + [read_end]:
        os.close(fd)
    with pytest.raises(OSError):
        os.fstat(write_end)  # the init closed its copy


def test_unreachable_agent_fails_start_and_the_init(tmp_path):
    missing = str(tmp_path / "none.sock")
    init_end, start_end = socket.socketpair()
    read_end, write_end = os.pipe()
    init_error = []

    def init():
        try:
            F.hand_over_listener(init_end, write_end)
        except SecurityError as e:
            init_error.append(e)
            init_end.sendall(b"error " + str(e).encode())
        init_end.close()
    init_thread = threading.Thread(target=init, daemon=True)
    init_thread.start()
    with pytest.raises(SL.ListenerError, match=r"^linux.seccomp.listenerPath: cannot send the seccomp notify fd "
                       r"to the listener at %s: " % missing):
        _read_with_fds(start_end, lambda fds: SL.hand_over({"listenerPath": missing}, STATE, fds))
    init_thread.join(5)
    assert len(init_error) == 1 and "did not reach the listener" in str(init_error[0])
    os.close(read_end)
