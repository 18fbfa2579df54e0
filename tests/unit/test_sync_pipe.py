"""process/sync.py's one-way pipe: how exec's child reports a failure, or nothing."""
import contextlib
import fcntl
import os

import pytest

from runtime.errors import RuntimeFailure, SpecError
from runtime.process import sync


@contextlib.contextmanager
def child(run):
    """Fork a child that runs ``run(writing end)`` and exits 0; yield the reading end, then reap it."""
    reading, writing = sync.one_way()
    pid = os.fork()
    if pid == 0:
        try:
            reading.close()
            run(writing)
        finally:
            os._exit(0)
    writing.close()
    try:
        yield reading
    finally:
        reading.close()
        assert os.waitpid(pid, 0)[1] == 0


def test_both_ends_are_close_on_exec():
    reading, writing = sync.one_way()
    try:
        for end in (reading, writing):
            assert fcntl.fcntl(end.fileno(), fcntl.F_GETFD) & fcntl.FD_CLOEXEC
    finally:
        reading.close()
        writing.close()
    reading.close()  # twice: a no-op


def test_an_error_comes_back_as_the_same_class_with_its_message():
    with child(lambda end: sync.report_error(end, SpecError("process.cwd", "must be absolute"))) as reading:
        with pytest.raises(SpecError, match="^process.cwd: must be absolute$"):
            sync.recv_unless_eof(reading)


def test_a_foreign_exception_becomes_a_runtime_failure_naming_it():
    with child(lambda end: sync.report_error(end, KeyError("x"))) as reading:
        with pytest.raises(RuntimeFailure, match="^KeyError: 'x'$"):
            sync.recv_unless_eof(reading)


def test_a_message_larger_than_one_pipe_write_arrives_whole():
    text = "x" * 60000  # beyond PIPE_BUF: no longer one atomic write, and still one message
    with child(lambda end: sync.report_error(end, RuntimeFailure(text))) as reading:
        with pytest.raises(RuntimeFailure) as caught:
            sync.recv_unless_eof(reading)
    assert str(caught.value) == text


def test_eof_without_a_message_is_none():
    def execs(end):
        os.execv("/bin/true", ["true"])  # close-on-exec: the exec closes the end
    with child(execs) as reading:
        assert sync.recv_unless_eof(reading) is None
