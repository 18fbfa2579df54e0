# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The create-time channel between the runtime and the container's init.

A SOCK_SEQPACKET socketpair keeps message boundaries, so each message is one
small JSON object {"type": ..., ...}; EOF means the other side died. The
init reports "pid" (sent by the monitor, which forked it), "prestart" (the
environment exists: run the runtime-namespace hooks), "created" or "error".
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import socket

from ..errors import RuntimeFailure

MAX_MESSAGE = 1 << 16


class SyncError(RuntimeFailure):
    pass


def channel():
    return socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)


def send(sock, kind, **payload):
    payload["type"] = kind
    sock.send(json.dumps(payload).encode("utf-8"))


def recv(sock, expect=None, what="container init"):
    """Receive one message; raise SyncError on EOF or on an "error" message."""
    raw = sock.recv(MAX_MESSAGE)
    if not raw:
        raise SyncError("%s exited unexpectedly" % what)
    msg = json.loads(raw.decode("utf-8"))
    if msg.get("type") == "error":
        raise _rebuild(msg)
    if expect is not None and msg.get("type") != expect:
        raise SyncError("protocol error: expected %r from %s, got %r" % (expect, what, msg.get("type")))
    return msg


def error_message(exc):
    """Serialise an exception raised in the init so the runtime can re-raise it."""
    from .. import errors
    name = type(exc).__name__
    if not hasattr(errors, name):
        name = "RuntimeFailure"
    text = str(exc) if isinstance(exc, errors.RuntimeFailure) else "%s: %s" % (type(exc).__name__, exc)
    return {"error_class": name, "msg": text}


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
