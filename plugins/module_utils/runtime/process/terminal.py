# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Terminals: a pty for the container's process, its master handed out.

``process.terminal: true`` (config.md "Process") gives the process a new
pseudo-terminal as its controlling terminal, as runc does:

* **Where the pty comes from.** The process opens ``/dev/ptmx`` *inside the
  container*: the init after pivot_root, an exec'd process after joining the
  mount namespace. With the usual ``/dev/pts`` (devpts ``newinstance``) and
  ``/dev/ptmx -> pts/ptmx`` (rootfs/devices.py), the pty belongs to the
  container's own devpts, so inside it is ``/dev/pts/0`` and the host's ptys
  are out of sight. The slave is opened from the master (TIOCGPTPEER, Linux
  4.13; by its path on older kernels), sized from ``process.consoleSize``
  (TIOCSWINSZ), chowned to the process's uid (its gid stays the devpts
  ``gid=`` one) and, for the init, bind-mounted on ``/dev/console``
  (config-linux.md "Default Devices"). Then setsid(2), the slave on fds 0,
  1, 2, and TIOCSCTTY make it the controlling terminal (tty_ioctl(4)).
* **Who gets the master.** Exactly one process: the master is sent with
  SCM_RIGHTS (unix(7)) over a connected unix socket, in one message whose
  payload is the slave's path: runc's ``--console-socket`` protocol, which
  conmon and runc's recvtty speak. The runtime command (create, run, exec)
  connects to ``--console-socket PATH`` before forking, so the socket is
  inherited; the container side sends and closes its copy of the master at
  once. Without ``--console-socket`` a foreground ``run``/``exec`` passes one
  end of a socketpair instead and receives the master itself, then proxies
  the caller's terminal (:class:`Proxy`).
* **EOF.** The master reads EIO once no process holds the slave (pty(7)).
  The monitor is forked before the pty exists and so never holds either
  end; the init and exec'd processes close the master right after sending
  it. So the receiver alone keeps the master, and sees EOF exactly when the
  container's processes have closed the terminal. (A monitor holding the
  master would keep the line open after the receiver quits, and holding the
  slave would mean the receiver never saw EOF.)
* **No receiver, no tty.** A detached command (create, run -d, exec -d)
  without ``--console-socket`` could not hand the master to anyone: refused,
  as runc refuses it; a console socket without a terminal likewise.
"""

import errno
import fcntl
import os
import select
# _signal and _socket, the C modules behind signal.py and socket.py: the same
# functions and constants without their enum tables (enum, functools,
# collections, selectors: ~5 ms of every create).
import _signal as signal
import _socket as socket
import struct
import termios

from ..errors import RuntimeFailure

_INT_SIZE = struct.calcsize("i")

# <asm-generic/ioctls.h>: not all are in Python's termios module.
TIOCGPTN = 0x80045430
TIOCSPTLCK = 0x40045431
TIOCGPTPEER = 0x5441
_WINSIZE = "HHHH"  # struct winsize: rows, cols, xpixel, ypixel (tty_ioctl(4))
_MAX_NAME = 4096


def check_console(process, console_socket, detach=True):
    """Refuse a terminal nobody would receive, and a console socket without a terminal.

    ``detach``: the command returns before the process ends (create, run -d,
    exec -d), so it cannot proxy the terminal itself.
    """
    terminal = bool((process or {}).get("terminal"))
    if terminal and detach and console_socket is None:
        raise RuntimeFailure("process.terminal: cannot allocate a tty when the runtime detaches without "
                             "a console socket to send it to (use --console-socket)")
    if console_socket is not None and not terminal:
        raise RuntimeFailure("--console-socket: the process has no terminal (process.terminal is false, "
                             "or exec without --tty)")


def connect_console(path):
    """The connected unix socket for ``--console-socket PATH`` (runc connects in the runtime too)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError as e:
        sock.close()
        raise RuntimeFailure("--console-socket: cannot connect to %s: %s" % (path, e.strerror or e))
    return sock


def console_channel(console_socket):
    """(socket to hand to the container side, socket to close afterwards or None).

    ``console_socket`` is a path to connect to or an already connected socket.
    """
    if console_socket is None:
        return None, None
    if isinstance(console_socket, socket.socket):
        return console_socket, None
    sock = connect_console(str(console_socket))
    return sock, sock


def console_pair():
    """(receiving end, container end) for a runtime that proxies the terminal itself."""
    return socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)


def send_master(sock, master_fd, name):
    """One message: payload the pty's name, the master fd in SCM_RIGHTS ancillary data."""
    # An int array packed by struct: the array module imports collections.abc (~3 ms of every create).
    fds = struct.pack("i", master_fd)
    sock.sendmsg([name.encode("utf-8", "surrogateescape")], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])


def recv_master(sock, what="container"):
    """Receive the pty master from send_master; return (fd, name). The fd is close-on-exec."""
    size = socket.CMSG_SPACE(_INT_SIZE)
    try:
        data, ancdata, dummy, dummy = sock.recvmsg(_MAX_NAME, size, getattr(socket, "MSG_CMSG_CLOEXEC", 0))
    except OSError as e:
        raise RuntimeFailure("receiving the terminal of the %s failed: %s" % (what, e.strerror or e))
    fds = []
    for level, kind, payload in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            count = len(payload) // _INT_SIZE
            fds.extend(struct.unpack("%di" % count, payload[:count * _INT_SIZE]))
    if not fds:
        raise RuntimeFailure("the %s sent no terminal (it exited before allocating one?)" % what)
    for extra in fds[1:]:
        os.close(extra)
    return fds[0], data.decode("utf-8", "replace")


def open_pty(ptmx="/dev/ptmx"):
    """Open a new pty through ``ptmx`` in the current mount namespace; return (master, slave, slave path)."""
    try:
        master = os.open(ptmx, os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as e:
        raise RuntimeFailure("process.terminal: cannot open %s in the container: %s" % (ptmx, e.strerror))
    try:
        fcntl.ioctl(master, TIOCSPTLCK, struct.pack("i", 0))  # unlockpt(3)
        number = struct.unpack("I", fcntl.ioctl(master, TIOCGPTN, b"\0" * 4))[0]
        path = "/dev/pts/%d" % number
        try:
            # The slave of *this* master, whatever is mounted at /dev/pts now.
            slave = fcntl.ioctl(master, TIOCGPTPEER, os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
        except OSError as e:
            if e.errno not in (errno.EINVAL, errno.ENOTTY):
                raise
            slave = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as e:
        os.close(master)
        raise RuntimeFailure("process.terminal: cannot set up the pty from %s: %s" % (ptmx, e.strerror))
    return master, slave, path


def set_size(fd, height, width):
    """TIOCSWINSZ; the kernel signals SIGWINCH to the terminal's foreground process group."""
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack(_WINSIZE, min(int(height), 0xFFFF), min(int(width), 0xFFFF), 0, 0))


def get_size(fd):
    """(rows, cols) of a terminal, or None when ``fd`` is not one."""
    try:
        rows, cols, dummy, dummy = struct.unpack(_WINSIZE, fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
    except OSError:
        return None
    return rows, cols


def attach_terminal(process, console_sock, mount_console=None):
    """In the container (init or exec child): new pty, master sent, slave as stdio and controlling tty.

    ``mount_console(slave_path)`` bind-mounts the slave on /dev/console (the
    init's job, before the rootfs is made read-only).
    """
    master, slave, path = open_pty()
    try:
        size = process.get("consoleSize")
        if size and size.get("height") and size.get("width"):
            set_size(slave, size["height"], size["width"])
        uid = (process.get("user") or {}).get("uid", 0)
        if uid:
            # runc too: the process must be able to reopen its terminal (/dev/tty)
            # after it drops root; the gid stays the devpts gid= one (tty).
            os.fchown(slave, uid, -1)
        if mount_console is not None:
            mount_console(path)
        try:
            send_master(console_sock, master, path)
        except OSError as e:
            raise RuntimeFailure("--console-socket: sending the pty master failed: %s" % (e.strerror or e))
    finally:
        os.close(master)
    console_sock.close()
    os.setsid()
    for fd in (0, 1, 2):
        os.dup2(slave, fd)  # dup2(2) clears close-on-exec on the copies
    if slave > 2:
        os.close(slave)
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Proxy(object):
    """The caller's terminal (or plain stdio) joined to a pty master until the process exits.

    If the caller's stdin is a terminal it is put in raw mode, so keys such
    as Ctrl-C reach the container's line discipline (which turns them into
    signals there), and restored afterwards; its window size is copied to
    the pty now and on every SIGWINCH.
    """

    def __init__(self, master, stdin=0, stdout=1):
        self.master = master
        self.stdin = stdin
        self.stdout = stdout
        self.saved = None
        self.previous_winch = None

    def __enter__(self):
        if self.stdin is not None and os.isatty(self.stdin):
            self.saved = termios.tcgetattr(self.stdin)
            import tty
            tty.setraw(self.stdin, termios.TCSANOW)
            self.resize()
            self.previous_winch = signal.signal(signal.SIGWINCH, self._on_winch)
        return self

    def __exit__(self, *exc):
        if self.previous_winch is not None:
            signal.signal(signal.SIGWINCH, self.previous_winch)
        if self.saved is not None:
            try:
                termios.tcsetattr(self.stdin, termios.TCSAFLUSH, self.saved)
            except termios.error:
                pass
        return False

    def _on_winch(self, _signum, _frame):
        self.resize()

    def resize(self):
        size = get_size(self.stdin)
        if size and size[0] and size[1]:  # 0x0: a terminal whose size nobody set
            try:
                set_size(self.master, size[0], size[1])
            except OSError:
                pass

    def run(self, exited_fd=None, exited=None):
        """Copy both ways until the process exits (``exited_fd`` readable, or ``exited()`` true)
        or no process holds the pty any more; then copy what is left of its output."""
        poller = select.poll()
        poller.register(self.master, select.POLLIN)
        if self.stdin is not None:
            poller.register(self.stdin, select.POLLIN)
        if exited_fd is not None:
            poller.register(exited_fd, select.POLLIN)
        timeout = None if exited_fd is not None or exited is None else 100
        while True:
            events = poller.poll(timeout)
            if not events and exited is not None and exited():
                break
            done = False
            for fd, event in events:
                if fd == self.master:
                    if not self._copy_out():
                        return
                elif fd == exited_fd:
                    done = True
                elif fd == self.stdin and not self._copy_in():
                    poller.unregister(self.stdin)
            if done:
                break
        os.set_blocking(self.master, False)
        while self._copy_out():
            pass

    def _copy_out(self):
        """Master -> stdout; False when nothing more can come (EIO: no slave open) or now."""
        try:
            data = os.read(self.master, 65536)
        except OSError as e:
            if e.errno in (errno.EIO, errno.EAGAIN, errno.EWOULDBLOCK):
                return False
            raise
        if not data:
            return False
        _write_all(self.stdout, data)
        return True

    def _copy_in(self):
        """Caller's stdin -> master; False at EOF."""
        try:
            data = os.read(self.stdin, 65536)
        except OSError:
            return False
        if not data:
            return False
        _write_all(self.master, data)
        return True


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view):]
        except OSError as e:
            if e.errno in (errno.EPIPE, errno.EIO):
                return  # the reader is gone: drop output, keep waiting for the exit
            raise


def proxy_until_exit(proxy, pid):
    """Run ``proxy`` until our child ``pid`` exits, watched through a pidfd (polled on kernels < 5.3)."""
    from ..standalone.stateio import child_exited
    from ..syscalls.host import real
    try:
        pidfd = real().pidfd_open(pid)
    except RuntimeFailure:
        pidfd = None
    try:
        proxy.run(exited_fd=pidfd, exited=lambda: child_exited(pid))
    finally:
        if pidfd is not None:
            os.close(pidfd)
