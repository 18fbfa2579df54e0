# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""name_lock.NameLock: one module run per container name at a time.

fcntl record locks belong to a process, so each contender here is a forked
process (threads of one process would share the lock).
"""
from __future__ import absolute_import, division, print_function

import os
import time

import pytest

from ansible_collections.opencontainer.runtime.plugins.module_utils.container.name_lock import NameLock, lock_file_name
from ansible_collections.opencontainer.runtime.plugins.module_utils.runtime.errors import StateError


def in_child(run):
    """Fork; the child runs ``run(write_fd)`` and exits 0 (1 on an exception). Returns (pid, read_fd)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.close(read_fd)
            run(write_fd)
        except BaseException:  # pylint: disable=broad-except
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    return pid, read_fd


def read_line(fd, timeout=10.0):
    import select
    data = b""
    deadline = time.monotonic() + timeout
    while not data.endswith(b"\n"):
        ready, dummy_w, dummy_x = select.select([fd], [], [], max(0, deadline - time.monotonic()))
        assert ready, "no word from the child within %ss (have %r)" % (timeout, data)
        chunk = os.read(fd, 100)
        if not chunk:
            break
        data += chunk
    return data.decode().strip()


def reap(pid):
    assert os.waitpid(pid, 0)[1] == 0


def try_lock_in_child(root, name, timeout=0.0):
    """Whether another process could take the lock within ``timeout``."""
    def run(out):
        try:
            NameLock(root, name, timeout=timeout).acquire()
            os.write(out, b"got\n")
        except StateError:
            os.write(out, b"busy\n")
    pid, fd = in_child(run)
    word = read_line(fd)
    os.close(fd)
    reap(pid)
    return word == "got"


def test_a_second_process_waits_and_is_told_who_holds_it(tmp_path):
    root = str(tmp_path)
    lock = NameLock(root, "web").acquire()
    assert os.path.isfile(os.path.join(root, ".locks", "web.lock"))
    assert oct(os.stat(os.path.join(root, ".locks")).st_mode & 0o777) == "0o700"

    def run(out):
        try:
            NameLock(root, "web", timeout=0.2).acquire()
        except StateError as e:
            os.write(out, (str(e) + "\n").encode())
    pid, fd = in_child(run)
    message = read_line(fd)
    reap(pid)
    assert "another run has held" in message and "web.lock" in message
    assert "(pid %d)" % os.getpid() in message
    assert try_lock_in_child(root, "other")  # names are independent
    lock.release()
    assert try_lock_in_child(root, "web")


def test_the_waiter_gets_it_as_soon_as_the_holder_lets_go(tmp_path):
    root = str(tmp_path)
    lock = NameLock(root, "web").acquire()

    def run(out):
        with NameLock(root, "web", timeout=10):
            os.write(out, ("%f\n" % time.monotonic()).encode())
    pid, fd = in_child(run)
    time.sleep(0.3)
    released = time.monotonic()
    lock.release()
    got = float(read_line(fd))
    reap(pid)
    assert released <= got < released + 1.0


def test_a_forked_child_of_the_holder_does_not_hold_it(tmp_path):
    """create forks the monitor and the init while the lock is held; they live on with the fd."""
    root = str(tmp_path)
    lock = NameLock(root, "web").acquire()
    pid, fd = in_child(lambda out: (os.write(out, b"forked\n"), time.sleep(2)))
    assert read_line(fd) == "forked"
    try:
        assert not try_lock_in_child(root, "web")  # the holder still holds it
        lock.release()
        assert try_lock_in_child(root, "web")  # the child's copy of the fd holds nothing
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(fd)


def test_removing_the_file_never_lets_two_in(tmp_path):
    """A waiter on the removed file re-locks what the path names now instead of taking the old one."""
    root = str(tmp_path)
    lock = NameLock(root, "web").acquire()

    def waiter(out):
        with NameLock(root, "web", timeout=10):
            os.write(out, ("%f\n" % time.monotonic()).encode())
            time.sleep(0.3)
            os.write(out, ("%f\n" % time.monotonic()).encode())
    w_pid, w_fd = in_child(waiter)
    time.sleep(0.2)  # the waiter has opened the file and polls its lock

    def newcomer(out):
        with NameLock(root, "web", timeout=10):
            os.write(out, ("%f\n" % time.monotonic()).encode())
            time.sleep(0.3)
            os.write(out, ("%f\n" % time.monotonic()).encode())
    lock.release(remove=True)
    n_pid, n_fd = in_child(newcomer)
    spans = []
    for fd in (w_fd, n_fd):
        with os.fdopen(fd) as words:  # EOF when the child exits
            spans.append(tuple(float(line) for line in words.read().split()))
    reap(w_pid)
    reap(n_pid)
    first, second = sorted(spans)
    assert first[1] <= second[0], "both held the lock at once: %r" % (spans,)


def test_release_with_remove_drops_the_file_and_release_is_idempotent(tmp_path):
    lock = NameLock(str(tmp_path), "web").acquire()
    lock.release(remove=True)
    assert not os.path.exists(os.path.join(str(tmp_path), ".locks", "web.lock"))
    lock.release(remove=True)


def test_a_lock_dir_that_is_not_a_directory_is_refused(tmp_path):
    os.symlink("/tmp", str(tmp_path / ".locks"))
    with pytest.raises(StateError, match="is not a directory"):
        NameLock(str(tmp_path), "web").acquire()


def test_a_name_too_long_for_a_file_name_gets_a_digest(tmp_path):
    assert lock_file_name("web") == "web.lock"
    assert lock_file_name("a" * 250) == "a" * 250 + ".lock"
    long_name = "a" * 251
    assert lock_file_name(long_name).startswith("sha256-") and len(lock_file_name(long_name)) == 76
    assert lock_file_name(long_name) != lock_file_name(long_name + "b")
    lock = NameLock(str(tmp_path), "b" * 1000).acquire()
    assert not try_lock_in_child(str(tmp_path), "b" * 1000)
    lock.release(remove=True)
    assert os.listdir(str(tmp_path / ".locks")) == []
