# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Terminals' pure parts: who may ask for a tty, the console-socket message,
pty allocation and sizes, the proxy loop, and the subreaper probe of spawn."""
import os
import socket
import subprocess
import sys
import threading

import pytest

from runtime.errors import RuntimeFailure
from runtime.process import spawn, terminal


def test_a_detached_terminal_needs_a_console_socket():
    with pytest.raises(RuntimeFailure, match="cannot allocate a tty.*console socket"):
        terminal.check_console({"terminal": True}, None)
    terminal.check_console({"terminal": True}, None, detach=False)  # foreground: proxied
    terminal.check_console({"terminal": True}, "/run/console.sock")
    terminal.check_console({"terminal": False}, None)


def test_a_console_socket_needs_a_terminal():
    with pytest.raises(RuntimeFailure, match="--console-socket: the process has no terminal"):
        terminal.check_console({"terminal": False}, "/run/console.sock")
    with pytest.raises(RuntimeFailure, match="--console-socket"):
        terminal.check_console({}, "/run/console.sock", detach=False)


def test_connect_to_a_missing_socket_names_it(tmp_path):
    path = str(tmp_path / "nothing.sock")
    with pytest.raises(RuntimeFailure, match="--console-socket: cannot connect to %s" % path):
        terminal.console_channel(path)


def test_console_channel_keeps_a_connected_socket():
    a, b = socket.socketpair()
    with a, b:
        assert terminal.console_channel(a) == (a, None)
        assert terminal.console_channel(None) == (None, None)


def test_master_travels_with_its_name():
    receiver, sender = terminal.console_pair()
    read_end, write_end = os.pipe()
    try:
        terminal.send_master(sender, write_end, "/dev/pts/7")
        fd, name = terminal.recv_master(receiver)
        assert name == "/dev/pts/7"
        assert fd != write_end
        os.write(fd, b"through the passed fd")
        assert os.read(read_end, 100) == b"through the passed fd"
        assert not os.get_inheritable(fd)
        os.close(fd)
    finally:
        for fd in (read_end, write_end):
            os.close(fd)
        receiver.close()
        sender.close()


def test_a_sender_that_dies_without_sending_is_reported():
    receiver, sender = terminal.console_pair()
    sender.close()
    with pytest.raises(RuntimeFailure, match="sent no terminal"):
        terminal.recv_master(receiver, what="container")
    receiver.close()


def _pty_or_skip():
    try:
        return terminal.open_pty()
    except RuntimeFailure as e:
        pytest.skip("no usable /dev/ptmx here: %s" % e)


def test_open_pty_gives_a_connected_pair():
    master, slave, path = _pty_or_skip()
    try:
        assert path.startswith("/dev/pts/")
        assert os.isatty(slave)
        terminal.set_size(slave, 33, 111)
        assert terminal.get_size(master) == (33, 111)
        os.write(master, b"x\n")
        assert os.read(slave, 10) == b"x\n"
    finally:
        os.close(master)
        os.close(slave)


def test_get_size_of_a_non_terminal_is_none():
    read_end, write_end = os.pipe()
    try:
        assert terminal.get_size(read_end) is None
    finally:
        os.close(read_end)
        os.close(write_end)


def test_proxy_copies_both_ways_until_the_slave_closes():
    master, slave, dummy = _pty_or_skip()
    stdin_r, stdin_w = os.pipe()
    stdout_r, stdout_w = os.pipe()
    try:
        os.write(slave, b"from the container\n")
        os.write(stdin_w, b"typed\n")

        def container():
            # Reads what the proxy forwarded, answers, and hangs up.
            data = os.read(slave, 100)
            os.write(slave, b"got " + data)
            os.close(slave)

        worker = threading.Thread(target=container)
        worker.start()
        with terminal.Proxy(master, stdin=stdin_r, stdout=stdout_w) as proxy:
            proxy.run()  # returns at EIO: nobody holds the slave any more
        worker.join(5)
        os.close(stdout_w)
        stdout_w = None
        output = b""
        while True:
            chunk = os.read(stdout_r, 4096)
            if not chunk:
                break
            output += chunk
        assert b"from the container" in output
        assert b"got typed" in output
    finally:
        for fd in (master, stdin_r, stdin_w, stdout_r, stdout_w):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass


def test_proxy_stops_when_the_process_exits_and_drains_output():
    master, slave, dummy = _pty_or_skip()
    exited_r, exited_w = os.pipe()
    stdout_r, stdout_w = os.pipe()
    try:
        os.write(slave, b"last words\n")
        os.write(exited_w, b"x")  # "the process exited", though the slave is still open
        with terminal.Proxy(master, stdin=None, stdout=stdout_w) as proxy:
            proxy.run(exited_fd=exited_r)
        os.close(stdout_w)
        stdout_w = None
        assert b"last words" in os.read(stdout_r, 4096)
    finally:
        for fd in (master, slave, exited_r, exited_w, stdout_r, stdout_w):
            if fd is not None:
                os.close(fd)


PROBE = r"""
import ctypes, os, sys
sys.path.insert(0, sys.argv[1])
from runtime.process import spawn
if sys.argv[2] == "subreaper":
    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
child = os.fork()
if child == 0:
    os._exit(0 if spawn.caller_is_subreaper() else 1)
print(os.waitpid(child, 0)[1] >> 8)
"""


@pytest.mark.parametrize("mode,expected", [("subreaper", "0"), ("plain", "1")])
def test_caller_is_subreaper_probe(mode, expected):
    import runtime
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(runtime.__file__)))
    result = subprocess.run([sys.executable, "-c", PROBE, package_parent, mode], stdout=subprocess.PIPE,
                            universal_newlines=True, timeout=30, check=True)
    assert result.stdout.strip() == expected


def test_hand_off_is_off_by_default():
    # The Python API keeps its monitor (exit codes, on-stop handlers); only the CLI opts in.
    assert spawn.HAND_OFF_TO_SUBREAPER is False
