# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The create-time channel between the runtime and the container's init.

A SOCK_SEQPACKET socketpair keeps message boundaries, so each message is one
small JSON object {"type": ..., ...}; EOF means the other side died. The
init reports "pid" (sent by the monitor, which forked it), "prestart" (the
environment exists: run the runtime-namespace hooks), "created" or "error".

exec's child says at most one thing, an "error", and then exits: a pipe
(``one_way``) carries that as well and costs no socket module.
"""

import posix  # os without os.py: runtime/pathlite.py says why

from ..errors import RuntimeFailure
from ..standalone.jsonlite import dumps, loads

MAX_MESSAGE = 1 << 16


class SyncError(RuntimeFailure):
    pass


def channel():
    """A connected SOCK_SEQPACKET pair, close-on-exec as every Python socket (PEP 446)."""
    # _socket, the C module, rather than socket.py, which builds its enum
    # tables at import (enum, functools, collections: several ms): exec makes
    # a channel on every call and needs only send, recv and close.
    import _socket
    return _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)


class PipeEnd(object):
    """One end of a pipe, with the socket methods the functions below use.

    recv() reads until EOF: the writer sends one message and exits (or
    exec's, which closes its close-on-exec end), so EOF ends every message.
    """

    def __init__(self, fd):
        self.fd = fd

    def fileno(self):
        return self.fd

    def send(self, data):
        view = memoryview(data)
        while view:
            view = view[posix.write(self.fd, view):]
        return len(data)

    def recv(self, size):
        chunks = []
        left = size
        while left > 0:
            chunk = posix.read(self.fd, left)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def close(self):
        if self.fd is not None:
            fd, self.fd = self.fd, None
            posix.close(fd)


def one_way():
    """(reading end, writing end) of a pipe; both close-on-exec, as os.pipe's (PEP 446).

    For a child that reports only a failure before execve(2): EOF with
    nothing read means it exec'd. A socketpair would cost exec the _socket
    module (~0.5 ms).
    """
    reading, writing = posix.pipe()
    return PipeEnd(reading), PipeEnd(writing)


def send(sock, kind, **payload):
    payload["type"] = kind
    sock.send(dumps(payload).encode("utf-8"))


def recv(sock, expect=None, what="container init"):
    """Receive one message; raise SyncError on EOF or on an "error" message."""
    msg = recv_unless_eof(sock)
    if msg is None:
        raise SyncError("%s exited unexpectedly" % what)
    if expect is not None and msg.get("type") != expect:
        raise SyncError("protocol error: expected %r from %s, got %r" % (expect, what, msg.get("type")))
    return msg


def recv_unless_eof(sock):
    """One message, or None at EOF (the peer closed its end, e.g. at execve(2)); an "error" message is raised."""
    raw = sock.recv(MAX_MESSAGE)
    if not raw:
        return None
    msg = loads(raw)
    if msg.get("type") == "error":
        raise _rebuild(msg)
    return msg


def error_message(exc):
    """Serialise an exception raised in the init so the runtime can re-raise it."""
    from .. import errors
    name = type(exc).__name__
    if not hasattr(errors, name):
        name = "RuntimeFailure"
    text = str(exc) if isinstance(exc, errors.RuntimeFailure) else "%s: %s" % (type(exc).__name__, exc)
    return {"error_class": name, "msg": text}


def report_error(sock, exc):
    """Send ``exc`` to the parent as an "error" message, best effort.

    For a forked child about to _exit: its parent may already be gone (its
    end closed), and nothing is left to do about a failed report.
    """
    try:
        send(sock, "error", **error_message(exc))
    except Exception:  # pylint: disable=broad-except
        pass


def _rebuild(msg):
    from .. import errors
    cls = getattr(errors, msg.get("error_class", ""), errors.RuntimeFailure)
    err = errors.RuntimeFailure.__new__(cls)
    errors.RuntimeFailure.__init__(err, msg.get("msg", "container init failed"))
    return err


def read_until_eof(sock):
    """Everything the peer sends until it shuts down its writing side."""
    chunks = []
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
