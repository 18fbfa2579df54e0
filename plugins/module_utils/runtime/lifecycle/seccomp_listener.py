# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""start's side of seccomp user notification: hand the notify fd to the agent at listenerPath.

The init loads a filter with SCMP_ACT_NOTIFY rules after pivot_root and
sends the notify fd back over its start connection (security/seccomp_filter.py
says why). `start` receives it here and, as runc 1.1 does
(libcontainer/process_linux.go sendContainerProcessState), connects to the
unix stream socket at ``linux.seccomp.listenerPath`` and sends one message:
the container process state as JSON (runtime.md "Container process state")
with the notify fd as SCM_RIGHTS (unix(7)). runc sends it from `create`
with status "creating"; here the filter is loaded by `start`, so the state
says "created", the container's status at that moment.

Only containers whose filter notifies load this file.
"""

import posix  # os without os.py: runtime/pathlite.py says why
import sys
import _socket

from ..errors import RuntimeFailure
from ..standalone import jsonlite
from ..version import OCI_VERSION


class ListenerError(RuntimeFailure):
    pass


def process_state(spec_state_, pid, metadata):
    """runtime.md "Container process state" for the notify fd: ``fds`` names the one fd sent."""
    message = {"ociVersion": OCI_VERSION, "fds": ["seccompFd"], "pid": pid, "state": spec_state_}
    if metadata:
        message["metadata"] = metadata  # omitted when empty, as runc (omitempty)
    return message


def fds_from_ancdata(ancdata):
    """The fds in SCM_RIGHTS control messages of recvmsg(2)."""
    fds = []
    for level, kind, data in ancdata:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            usable = len(data) - len(data) % 4
            fds.extend(int.from_bytes(data[i:i + 4], sys.byteorder, signed=True) for i in range(0, usable, 4))
    return fds


def send_to_listener(seccomp, spec_state_, notify_fd):
    """Connect to listenerPath and send the state and ``notify_fd``; ListenerError naming the path."""
    path = seccomp.get("listenerPath")
    body = jsonlite.dumps(process_state(spec_state_, spec_state_.get("pid"),
                                        seccomp.get("listenerMetadata"))).encode("utf-8")
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.connect(path)
        sent = sock.sendmsg([body], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS,
                                      notify_fd.to_bytes(4, sys.byteorder, signed=True))])
        if sent != len(body):
            raise OSError(0, "short write (%d of %d bytes)" % (sent, len(body)))
    except OSError as e:
        raise ListenerError("linux.seccomp.listenerPath: cannot send the seccomp notify fd to the listener at %s: %s"
                            % (path, e.strerror or e))
    finally:
        sock.close()


def hand_over(seccomp, spec_state_, fds):
    """The init sent [notify fd, ack pipe]: forward the fd, then tell the init "ok" (or close on failure)."""
    if len(fds) != 2:
        for fd in fds:
            posix.close(fd)
        raise ListenerError("linux.seccomp.listenerPath: the init sent %d fds, expected the notify fd "
                            "and its answer pipe" % len(fds))
    notify_fd, ack_fd = fds
    try:
        send_to_listener(seccomp, spec_state_, notify_fd)
        posix.write(ack_fd, b"ok")
    finally:
        posix.close(notify_fd)
        posix.close(ack_fd)
