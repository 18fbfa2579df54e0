# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A container in a user namespace: linux.uidMappings and linux.gidMappings.

The user namespace must come first and own every other new namespace of
the container (user_namespaces(7)): mounting proc needs CAP_SYS_ADMIN in the
user namespace that owns the pid namespace, sysfs in the one that owns the
network namespace, and so on. So with a user namespace the monitor does not
create the pid namespace; instead, in the init:

1. unshare(CLONE_NEWUSER) (or setns(2) to linux.namespaces' path) and, for a
   new one, ask the monitor (the parent, still root on the host) to write
   /proc/PID/uid_map and gid_map; the maps can only be written from outside;
2. setresgid/setresuid to 0: the init is root of the namespace, the mapped
   root, from here on, with every capability in it;
3. unshare(CLONE_NEWPID) (or join by path): it applies to children only
   (pid_namespaces(7)), so fork once more. The child goes on as the
   container's init; the parent reports the child's pid (on the sync socket
   to create and on the pipe to the monitor) and exits. The monitor is a
   child subreaper (prctl(2)), so the orphaned init becomes its child, which
   it can wait(2) for as usual.

The child waits until its parent has exited before it goes on, so the "pid"
message reaches create before any message of the init.
"""

import os

from .. import namespaces
from ..errors import RuntimeFailure
from ..syscalls import consts as C
from ..syscalls.host import real
from . import sync


class UsernsChannel(object):
    """Two pipes between the monitor and the init: init -> monitor and monitor -> init."""

    def __init__(self):
        self.up_read, self.up_write = os.pipe()
        self.down_read, self.down_write = os.pipe()

    # -- monitor side -----------------------------------------------------
    def monitor_side(self, first_pid, config):
        """Write the maps when asked; return the container init's pid, or None if the init failed.

        ``first_pid`` is our child, the init before its last fork; it exits
        once it has forked the container's init, which is then re-parented
        to us (we are a child subreaper).
        """
        os.close(self.up_write)
        os.close(self.down_read)
        reader = os.fdopen(self.up_read, "rb")
        try:
            line = reader.readline()
            if line == b"maps\n":
                try:
                    namespaces.write_id_maps(first_pid, config)
                    reply = b"ok\n"
                except RuntimeFailure as e:
                    reply = ("error %s\n" % e).encode("utf-8", "replace")
                os.write(self.down_write, reply)
                line = reader.readline()
            if not line.startswith(b"pid "):
                return None  # the init failed; its error went to create on the sync socket
            os.waitpid(first_pid, 0)
            return int(line[4:])
        finally:
            reader.close()
            os.close(self.down_write)

    # -- init side --------------------------------------------------------
    def init_side(self, config, sock, syscalls=None):
        """In the init: enter the user and pid namespaces; returns only in the container's init."""
        sc = syscalls or real()
        os.close(self.up_read)
        os.close(self.down_write)
        path = namespaces.wants(config, "user")[1]
        if path:
            fd = namespaces.open_namespace(path, "user")
            try:
                sc.setns(fd, C.CLONE_NEWUSER)
            except RuntimeFailure as e:
                raise RuntimeFailure("linux.namespaces: joining user namespace %s: %s" % (path, e))
            finally:
                os.close(fd)
        else:
            sc.unshare(C.CLONE_NEWUSER)
            os.write(self.up_write, b"maps\n")
            reply = _read_line(self.down_read)
            if reply != b"ok\n":
                raise RuntimeFailure(reply[len(b"error "):].decode("utf-8", "replace").strip()
                                     or "the monitor did not write the user namespace's id maps")
        os.close(self.down_read)
        become_namespace_root(sc)
        own = namespaces.enter_pid_namespace(config, sc)
        if own is not None:
            os.close(own)  # this process exits: no way back needed
        go_read, go_write = os.pipe()
        child = os.fork()
        if child == 0:
            os.close(go_write)
            os.close(self.up_write)
            os.read(go_read, 1)  # EOF once the parent has exited
            os.close(go_read)
            return
        sync.send(sock, "pid", pid=child)
        os.write(self.up_write, b"pid %d\n" % child)
        os._exit(0)


def become_namespace_root(sc):
    """setresgid/setresuid(0): from outside ids (shown as the overflow id) to the mapped root."""
    for call, field in ((sc.setresgid, "linux.gidMappings"), (sc.setresuid, "linux.uidMappings")):
        try:
            call(0, 0, 0)
        except RuntimeFailure as e:
            raise RuntimeFailure("%s: becoming root (id 0) of the container's user namespace failed, "
                                 "is id 0 mapped? %s" % (field, e))


def _read_line(fd):
    data = b""
    while not data.endswith(b"\n"):
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    return data
