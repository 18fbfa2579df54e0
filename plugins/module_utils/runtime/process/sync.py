# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The create-time channel between the runtime and the container's init.

A SOCK_SEQPACKET socketpair; each message is one JSON object {"type": ...,
...}; EOF means the other side died. The init reports "pid" (sent by the
monitor, which forked it), "prestart" (the environment exists: run the
runtime-namespace hooks), "created" or "error"; the runtime answers
"continue" with the container's state, annotations included, so a message
can be megabytes long.

Framing: a message is HEADER_SIZE bytes (the body's length in hex), then
the body, cut into records of CHUNK bytes. A SOCK_SEQPACKET record must fit
the socket's send buffer whole (unix(7): EMSGSIZE beyond it, ~208 KiB by
default), and recv(2) of a record into a smaller buffer discards the rest of
it (MSG_TRUNC), so no record is larger than CHUNK and the reader always
asks for CHUNK. A message that fits one record (all but a "continue" with
large annotations, and that one has a single writer) is one record, so the
messages of the monitor and of the init, which share their end of the
socket, never interleave. On a pipe (PipeEnd, no record boundaries) the
reader takes exactly the header, then exactly the body. Messages over
MAX_MESSAGE are refused on both sides with an error that says so.

exec's child says at most one thing, an "error", and then exits: a pipe
(``one_way``) carries that as well and costs no socket module.
"""

import posix  # os without os.py: runtime/pathlite.py says why

from ..errors import RuntimeFailure
from ..standalone.jsonlite import dumps, loads

MAX_MESSAGE = 16 << 20
HEADER_SIZE = 8  # hex digits: up to 4 GiB, and MAX_MESSAGE is far below
CHUNK = 32 << 10  # far below the smallest default send buffer (net.core.wmem_default)


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

    keeps_boundaries = False  # a byte stream: recv_unless_eof reads exact lengths

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
    body = dumps(payload).encode("utf-8")
    if len(body) > MAX_MESSAGE:
        raise SyncError("the %r message is %d bytes, over the limit of %d bytes (%d MiB) of the channel "
                        "to the container's init" % (kind, len(body), MAX_MESSAGE, MAX_MESSAGE >> 20))
    data = b"%08x" % len(body) + body
    if len(data) <= CHUNK:
        _send_record(sock, data)
        return
    view = memoryview(data)
    for offset in range(0, len(data), CHUNK):
        _send_record(sock, view[offset:offset + CHUNK])


def _send_record(sock, data):
    # A SOCK_SEQPACKET send(2) is all or nothing; a pipe's (PipeEnd) loops itself.
    sent = sock.send(data)
    if sent != len(data):
        raise SyncError("short write on the channel to the container's init: %d of %d bytes" % (sent, len(data)))


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
    if getattr(sock, "keeps_boundaries", True):
        body = _recv_records(sock)
    else:
        header = _recv_exactly(sock, HEADER_SIZE, None)
        body = None if header is None else _recv_exactly(sock, _body_size(header), "message")
    if body is None:
        return None
    msg = loads(body)
    if msg.get("type") == "error":
        raise _rebuild(msg)
    return msg


def _body_size(header):
    try:
        size = int(header, 16)
    except ValueError:
        raise SyncError("protocol error: bad message header %r" % (bytes(header),))
    if size > MAX_MESSAGE:
        raise SyncError("protocol error: a message of %d bytes announced, over the limit of %d bytes"
                        % (size, MAX_MESSAGE))
    return size


def _recv_records(sock):
    """The body of one message from a SOCK_SEQPACKET socket, or None at EOF: one recv(2) per record."""
    first = sock.recv(CHUNK)
    if not first:
        return None
    if len(first) < HEADER_SIZE:
        raise SyncError("protocol error: bad message header %r" % (bytes(first),))
    size = _body_size(first[:HEADER_SIZE])
    parts = [first[HEADER_SIZE:]]
    have = len(parts[0])
    while have < size:
        record = sock.recv(CHUNK)
        if not record:
            raise SyncError("protocol error: the peer closed the channel %d bytes into a message of %d"
                            % (have, size))
        parts.append(record)
        have += len(record)
    if have != size:
        raise SyncError("protocol error: a message of %d bytes announced, %d bytes sent" % (size, have))
    return b"".join(parts)


def _recv_exactly(sock, size, what):
    """``size`` bytes from a byte stream; None at EOF before the first of them when ``what`` is None."""
    parts = []
    left = size
    while left > 0:
        more = sock.recv(min(left, 1 << 20))
        if not more:
            if what is None and left == size:
                return None
            raise SyncError("protocol error: the peer closed the channel %d bytes into a %s of %d"
                            % (size - left, what or "message header", size))
        parts.append(more)
        left -= len(more)
    return b"".join(parts)


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
