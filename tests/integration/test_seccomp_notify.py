# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Seccomp user notification (SCMP_ACT_NOTIFY, linux.seccomp.listenerPath) with real containers.

A small agent of the test's own listens on a unix socket, receives the
notify fd and the container process state (runtime.md), and answers the
container's mkdir calls with seccomp_unotify(2) ioctls: the first "succeeds"
without a directory being made, the second fails with a chosen errno.
"""
from __future__ import absolute_import, division, print_function

import array
import errno
import fcntl
import json
import os
import select
import socket
import struct
import threading

import pytest

import itest_helpers as H
from host_features import requires, shared_library

pytestmark = requires(shared_library("seccomp", "apt package libseccomp2"))

MKDIR_CALLS = ["mkdir", "mkdirat"]
# seccomp_unotify(2), <linux/seccomp.h>: _IOWR('!', nr, type).
NOTIF_FORMAT = "=QII" + "iIQ6Q"       # struct seccomp_notif {id, pid, flags, struct seccomp_data}
RESP_FORMAT = "=QqiI"                 # struct seccomp_notif_resp {id, val, error, flags}


def _iowr(nr, size):
    return (3 << 30) | (size << 16) | (ord("!") << 8) | nr


SECCOMP_IOCTL_NOTIF_RECV = _iowr(0, struct.calcsize(NOTIF_FORMAT))
SECCOMP_IOCTL_NOTIF_SEND = _iowr(1, struct.calcsize(RESP_FORMAT))


class Agent(object):
    """The listener at listenerPath: answers notifications in order with ``answers`` ((val, error) pairs)."""

    def __init__(self, path, answers, hold=False):
        self.path = path
        self.release = threading.Event()  # with ``hold``, answers wait for it
        if not hold:
            self.release.set()
        self.pending = threading.Event()  # a notification has arrived
        self.answers = list(answers)
        self.message = None
        self.received_fds = []
        self.container_ns_pid = None
        self.notifications = []
        self.error = None
        self._stop = threading.Event()
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(1)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            self.server.settimeout(30)
            conn, dummy = self.server.accept()
            with conn:
                data, ancdata, dummy_flags, dummy_addr = conn.recvmsg(65536, socket.CMSG_SPACE(16))
            for level, kind, payload in ancdata:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds = array.array("i")
                    fds.frombytes(payload[:len(payload) - len(payload) % fds.itemsize])
                    self.received_fds.extend(fds)
            self.message = json.loads(data.decode("utf-8"))
            # Which process the runtime named: its pid as seen in its own pid namespace (NSpid's last).
            with open("/proc/%d/status" % self.message["pid"]) as status:
                for line in status:
                    if line.startswith("NSpid:"):
                        self.container_ns_pid = int(line.split()[-1])
            self._answer(self.received_fds[0])
        except Exception as e:  # reported by the test
            self.error = e
        finally:
            for fd in self.received_fds:
                os.close(fd)

    def _answer(self, notify_fd):
        poller = select.poll()
        poller.register(notify_fd, select.POLLIN)
        while self.answers and not self._stop.is_set():
            if not poller.poll(200):
                continue
            self.pending.set()
            if not self.release.wait(0.2):
                continue
            buf = bytearray(struct.calcsize(NOTIF_FORMAT))  # must be zeroed (seccomp_unotify(2))
            try:
                fcntl.ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_RECV, buf, True)
            except OSError as e:
                if e.errno == errno.ENOENT:  # the caller went away (killed)
                    continue
                raise
            fields = struct.unpack(NOTIF_FORMAT, bytes(buf))
            notif_id, pid, syscall_nr = fields[0], fields[1], fields[3]
            self.notifications.append((pid, syscall_nr))
            val, error = self.answers.pop(0)
            resp = bytearray(struct.pack(RESP_FORMAT, notif_id, val, error, 0))
            fcntl.ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_SEND, resp, True)

    def stop(self):
        self._stop.set()
        self.server.close()
        self.thread.join(10)


@pytest.fixture
def agent_factory(oci):
    agents = []

    def make(answers, hold=False):
        agent = Agent(os.path.join(oci.tmp, "agent-%d.sock" % len(agents)), answers, hold)
        agents.append(agent)
        return agent
    yield make
    for agent in agents:
        agent.stop()


def notify_config(oci, args, listener_path, metadata=None):
    config = oci.config(args)
    seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": listener_path,
               "syscalls": [{"names": MKDIR_CALLS, "action": "SCMP_ACT_NOTIFY"}]}
    if metadata is not None:
        seccomp["listenerMetadata"] = metadata
    config["linux"]["seccomp"] = seccomp
    return config


@pytest.mark.parametrize("no_new_privileges", [True, False], ids=["loaded-before-exec", "loaded-before-identity"])
def test_the_agent_gets_the_fd_and_state_and_answers_the_containers_mkdir(oci, agent_factory, no_new_privileges):
    # First mkdir: "success" without the directory being made; second: EDQUOT, chosen by the agent.
    agent = agent_factory([(0, 0), (0, -errno.EDQUOT)])
    script = ("mkdir /out/faked && echo first=ok; test -d /out/faked && echo made || echo not-made; "
              "mkdir /out/second; echo second=$?")
    config = notify_config(oci, ["sh", "-c", script], agent.path, metadata="agent-meta")
    config["process"]["noNewPrivileges"] = no_new_privileges  # the two places the init loads the filter
    cid = oci.new_id()
    result = oci.rt.run(cid, oci.bundle(config))
    output = result.stdout + result.stderr
    agent.stop()
    assert agent.error is None, agent.error
    assert result.returncode == 0, output
    assert "first=ok" in output and "not-made" in output, output
    assert "Disk quota exceeded" in output and "second=1" in output, output
    assert not os.path.exists(os.path.join(oci.out, "faked"))
    assert not os.path.exists(os.path.join(oci.out, "second"))
    assert len(agent.notifications) == 2
    # runtime.md "Container process state", as runc sends it.
    message = agent.message
    assert message["ociVersion"] and message["fds"] == ["seccompFd"]
    assert message["metadata"] == "agent-meta"
    assert len(agent.received_fds) == 1
    state = message["state"]
    assert state["id"] == cid and state["pid"] == message["pid"] > 0
    assert state["status"] in ("creating", "created")  # runc sends it from create, we from start
    assert state["bundle"]
    assert agent.container_ns_pid == 1  # the container's init, pid 1 in its pid namespace


def test_mkdir_waits_for_the_agents_answer(oci, agent_factory):
    """Until the agent answers, the container's mkdir blocks; then it returns what the agent said."""
    agent = agent_factory([(0, -errno.EACCES)], hold=True)
    config = notify_config(oci, ["sh", "-c", "echo before > /out/before; mkdir /out/blocked; echo after=$? > /out/after"],
                           agent.path)
    cid = oci.new_id()
    oci.rt.create(cid, oci.bundle(config)).check()
    oci.rt.start(cid).check()
    H.wait_for(lambda: os.path.exists(os.path.join(oci.out, "before")), 10, what="the program to run")
    assert agent.pending.wait(10), "no notification reached the agent"
    # The notification is pending: the program stays in mkdir.
    assert oci.rt.state(cid)["status"] == "running"
    assert not os.path.exists(os.path.join(oci.out, "after"))
    agent.release.set()
    H.wait_for(lambda: os.path.exists(os.path.join(oci.out, "after")), 10, what="mkdir to return")
    agent.stop()
    assert agent.error is None, agent.error
    assert agent.message["state"]["id"] == cid
    oci.rt.wait_status(cid, "stopped")
    with open(os.path.join(oci.out, "after")) as handle:
        assert handle.read().strip() == "after=1"
    assert not os.path.exists(os.path.join(oci.out, "blocked"))


@pytest.mark.ours
def test_an_unreachable_listener_fails_start_and_leaves_the_container_stopped(oci):
    missing = os.path.join(oci.tmp, "no-agent.sock")
    config = notify_config(oci, ["sh", "-c", "echo ran > /out/ran"], missing)
    cid = oci.new_id()
    oci.rt.create(cid, oci.bundle(config)).check()
    H.assert_fails(oci.rt.start(cid), "linux.seccomp.listenerPath", missing)
    oci.rt.wait_status(cid, "stopped")
    assert not os.path.exists(os.path.join(oci.out, "ran"))


@pytest.mark.ours
@pytest.mark.parametrize("flags", [[], ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]], ids=["no-flags", "wait-killable-recv"])
def test_an_exec_process_has_no_listener_its_notified_syscalls_fail_with_enosys(oci, agent_factory, flags):
    """runc hands an exec'd process's fd to the agent too; this runtime does not (yet): ENOSYS, never a hang."""
    agent = agent_factory([])
    config = notify_config(oci, ["sleep", "30"], agent.path)
    config["linux"]["seccomp"]["flags"] = flags
    cid = oci.new_id()
    oci.rt.create(cid, oci.bundle(config)).check()
    oci.rt.start(cid).check()
    result = oci.rt.cmd("exec", cid, "sh", "-c", "mkdir /out/from-exec; echo rc=$?", timeout=20)
    assert result.returncode == 0, result
    assert "Function not implemented" in result.stderr and "rc=1" in result.stdout, result
    assert not os.path.exists(os.path.join(oci.out, "from-exec"))
    oci.rt.kill(cid, "KILL")
