# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Terminals with real containers: process.terminal and exec --tty.

The pty master reaches the test either over --console-socket (the test plays
conmon / runc's recvtty: it listens, receives the fd with SCM_RIGHTS, reads
and writes it) or through a foreground run/exec that proxies the caller's
terminal, where the caller's terminal is a pty the test holds (pty.openpty),
made the runtime's controlling terminal so that a window size change reaches
it as SIGWINCH from the kernel. runc's grammar throughout, so these also run
against runc.
"""
from __future__ import absolute_import, division, print_function

import array
import errno
import fcntl
import os
import pty
import select
import shutil
import socket
import struct
import subprocess
import tempfile
import termios
import time

import pytest

import itest_helpers as H


@pytest.fixture
def console(request):
    """A listening console socket at a short path (sun_path holds 108 bytes)."""
    directory = tempfile.mkdtemp(prefix="tty-", dir="/tmp")
    listener = ConsoleSocket(os.path.join(directory, "console.sock"))
    yield listener
    listener.close()
    shutil.rmtree(directory, ignore_errors=True)


class ConsoleSocket(object):
    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(4)
        self.masters = []

    def receive(self, timeout=H.CMD_TIMEOUT):
        """Accept one connection, return (master fd, payload) of its one message."""
        self.sock.settimeout(timeout)
        conn, dummy = self.sock.accept()
        with conn:
            conn.settimeout(timeout)
            size = socket.CMSG_SPACE(array.array("i").itemsize)
            data, ancdata, dummy, dummy = conn.recvmsg(4096, size)
        fds = array.array("i")
        for level, kind, payload in ancdata:
            assert (level, kind) == (socket.SOL_SOCKET, socket.SCM_RIGHTS)
            fds.frombytes(payload)
        assert len(fds) == 1, "expected one fd, got %r" % (list(fds),)
        self.masters.append(fds[0])
        return fds[0], data.decode()

    def close(self):
        for fd in self.masters:
            try:
                os.close(fd)
            except OSError:
                pass
        self.sock.close()


def read_until(fd, needle=None, timeout=10.0, proc=None):
    """Read a pty master until ``needle`` shows up, EOF/EIO (no slave left), or timeout."""
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if needle is not None and needle in out:
            break
        ready, dummy, dummy = select.select([fd], [], [], 0.1)
        if not ready:
            if proc is not None and proc.poll() is not None and needle is None:
                break
            continue
        try:
            data = os.read(fd, 65536)
        except OSError as e:
            if e.errno == errno.EIO:
                break
            raise
        if not data:
            break
        out += data
    return out.decode("utf-8", "replace")


def terminal_config(oci, args, size=None):
    config = oci.config(args)
    config["process"]["terminal"] = True
    if size:
        config["process"]["consoleSize"] = {"height": size[0], "width": size[1]}
    return config


def create_with_console(oci, config, console):
    container_id = oci.new_id()
    oci.rt._remember(container_id)
    result = oci.rt.cmd("create", "--bundle", oci.bundle(config), "--console-socket", console.path,
                        container_id)
    assert result.returncode == 0, result
    master, name = console.receive()
    return container_id, master, name


def caller_terminal(rows=0, cols=0):
    """A pty for the runtime's stdio: (our master, its slave)."""
    master, slave = pty.openpty()
    if rows:
        set_size(master, rows, cols)
    return master, slave


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def _make_controlling_terminal():
    # In the child, after setsid (start_new_session): stdin's pty becomes the
    # controlling terminal, so the kernel sends SIGWINCH on a size change.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def spawn_on_terminal(oci, slave, *args):
    argv = [oci.rt.binary, "--root", oci.rt.root] + [str(a) for a in args]
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                            preexec_fn=_make_controlling_terminal)
    os.close(slave)
    return proc


def finish(proc, timeout=H.CMD_TIMEOUT):
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise


def test_console_socket_gets_a_pty_of_the_requested_size(oci, console):
    script = "tty; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-tty; stty size; " \
             "ls -l /dev/console; exit 5"
    container_id, master, name = create_with_console(oci, terminal_config(oci, ["sh", "-c", script], (33, 111)),
                                                     console)
    if H.binary_is_ours():
        assert name == "/dev/pts/0"
    assert oci.rt.status(container_id) == "created"
    oci.rt.start(container_id).check()
    text = read_until(master)
    lines = text.replace("\r", "").splitlines()
    assert lines[0] == "/dev/pts/0"
    assert lines[1] == "all-tty"
    assert lines[2] == "33 111"
    assert lines[3].startswith("c") and "136," in lines[3], lines  # /dev/console is the pty slave
    oci.rt.wait_status(container_id, "stopped")
    if H.binary_is_ours():
        assert oci.rt.read_state_file(container_id)["exit_code"] == 5


def test_console_socket_master_is_interactive(oci, console):
    script = "echo ready; read line; echo got:$line; exit 0"
    container_id, master, dummy = create_with_console(oci, terminal_config(oci, ["sh", "-c", script]), console)
    oci.rt.start(container_id).check()
    assert "ready" in read_until(master, b"ready")
    os.write(master, b"hello\n")
    text = read_until(master)
    assert "hello" in text          # the pty's echo
    assert "got:hello" in text      # the process read it from its stdin
    oci.rt.wait_status(container_id, "stopped")


def test_terminal_belongs_to_a_user_process(oci, console):
    config = terminal_config(oci, ["sh", "-c", "id -u; stat -c %u $(tty); echo x > /dev/tty && echo ok"])
    config["process"]["user"] = {"uid": 1000, "gid": 1000}
    container_id, master, dummy = create_with_console(oci, config, console)
    oci.rt.start(container_id).check()
    lines = read_until(master).replace("\r", "").splitlines()
    assert lines[:2] == ["1000", "1000"]
    assert "ok" in lines


def test_detached_terminal_needs_a_console_socket(oci):
    config = terminal_config(oci, ["true"])
    container_id = oci.new_id()
    oci.rt._remember(container_id)
    H.assert_fails(oci.rt.cmd("create", "--bundle", oci.bundle(config), container_id), "console socket")
    H.assert_fails(oci.rt.cmd("run", "-d", "--bundle", oci.bundle(config), container_id), "console socket")
    assert oci.rt.list("-q").stdout.strip() == ""


def test_console_socket_without_terminal_is_refused(oci, console):
    container_id = oci.new_id()
    oci.rt._remember(container_id)
    result = oci.rt.cmd("create", "--bundle", oci.bundle(oci.config(["true"])), "--console-socket", console.path,
                        container_id)
    H.assert_fails(result, "console")
    assert oci.rt.list("-q").stdout.strip() == ""


def test_exec_tty_with_console_socket(oci, console):
    config = oci.config(["sleep", "1000"])
    container_id = oci.new_id()
    oci.rt.create_started(container_id, oci.bundle(config))
    pid_file = os.path.join(oci.tmp, "exec.pid")
    result = oci.rt.cmd("exec", "--detach", "--tty", "--console-socket", console.path, "--pid-file", pid_file,
                        container_id, "sh", "-c", "tty; [ -t 0 ] && echo is-tty; read x; echo got:$x")
    assert result.returncode == 0, result
    master, dummy = console.receive()
    text = read_until(master, b"is-tty")
    assert "/dev/pts/" in text and "is-tty" in text
    os.write(master, b"abc\n")
    assert "got:abc" in read_until(master)


def test_run_in_the_foreground_proxies_the_callers_terminal(oci):
    config = terminal_config(oci, ["sh", "-c", "tty; stty size; echo ready; read x; echo got:$x; exit 4"], (10, 20))
    master, slave = caller_terminal(24, 91)
    try:
        proc = spawn_on_terminal(oci, slave, "run", "--bundle", oci.bundle(config), _remember(oci))
        text = read_until(master, b"ready")
        os.write(master, b"typed\r")  # a terminal sends CR for Enter; the container's icrnl makes it NL
        text += read_until(master, proc=proc)
        assert finish(proc) == 4
    finally:
        os.close(master)
    lines = text.replace("\r", "").splitlines()
    assert lines[0] == "/dev/pts/0"
    assert lines[1] == "24 91"  # the caller's window size wins over consoleSize, as with runc
    assert "got:typed" in lines


def test_window_size_change_reaches_the_container(oci):
    script = "trap 'stty size' WINCH; trap 'exit 7' INT; echo ready; while :; do sleep 0.1; done"
    config = terminal_config(oci, ["sh", "-c", script])
    master, slave = caller_terminal(24, 80)
    try:
        proc = spawn_on_terminal(oci, slave, "run", "--bundle", oci.bundle(config), _remember(oci))
        assert "ready" in read_until(master, b"ready")
        set_size(master, 30, 100)   # the kernel sends SIGWINCH to the runtime
        assert "30 100" in read_until(master, b"30 100")
        os.write(master, b"\x03")   # Ctrl-C: raw mode passes it on, the container's tty makes it SIGINT
        read_until(master, proc=proc)
        assert finish(proc) == 7
    finally:
        os.close(master)


def test_exec_tty_in_the_foreground(oci):
    container_id = oci.new_id()
    oci.rt.create_started(container_id, oci.bundle(oci.config(["sleep", "1000"])))
    master, slave = caller_terminal(15, 60)
    try:
        proc = spawn_on_terminal(oci, slave, "exec", "-t", container_id, "sh", "-c", "tty; stty size; exit 3")
        text = read_until(master, proc=proc)
        assert finish(proc) == 3
    finally:
        os.close(master)
    lines = text.replace("\r", "").splitlines()
    assert lines[0].startswith("/dev/pts/")
    assert lines[1] == "15 60"


@pytest.mark.ours
def test_foreground_run_without_a_caller_terminal(oci):
    # runc refuses this (it opens /dev/tty); we copy plain stdio.
    # stdin and stdout are not terminals: plain copying, no raw mode.
    config = terminal_config(oci, ["sh", "-c", "[ -t 0 ] && echo tty-inside; exit 2"])
    container_id = _remember(oci)
    result = oci.rt.cmd("run", "--bundle", oci.bundle(config), container_id)
    assert result.returncode == 2, result
    assert "tty-inside" in result.stdout


def _remember(oci):
    container_id = oci.new_id()
    oci.rt._remember(container_id)
    return container_id
