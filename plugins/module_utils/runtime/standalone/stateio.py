# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Crash-safe state.json I/O, the per-container lock, and /proc process facts.

Standard library only: this file is also run from the monitor's copy.

* A write goes to a temp file in the same directory, is fsync'd, renamed over
  state.json (rename(2) is atomic within a file system) and the directory is
  fsync'd, so a reader sees the old or the new state, never half of one, even
  if the writer is killed.
* One flock(2) on the container directory serialises the operations on one
  container (create, start, delete and the monitor's exit record).
* A pid alone does not identify a process: pids are reused. The start time in
  /proc/PID/stat (field 22, clock ticks since boot) does, together with the pid.
"""

import errno
import fcntl
import posix  # os without os.py: runtime/pathlite.py says why

try:  # inside the package
    from . import jsonlite
except ImportError:  # the monitor's copy, imported as a top-level module
    import jsonlite

STATE_FILE = "state.json"


SPEC_FIELDS = ("ociVersion", "id", "status", "pid", "bundle", "annotations")


def timestamp(now=None):
    """RFC 3339 UTC time with nanoseconds, as runc prints ``created``."""
    import time
    now = time.time() if now is None else now
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + (".%09dZ" % int((now % 1) * 1e9))


def spec_state(state, status=None):
    """The runtime-spec state object of a stored state (for `state` and hooks)."""
    out = dict((k, state[k]) for k in SPEC_FIELDS if k in state)
    if status is not None:
        out["status"] = status
    if out.get("status") in ("stopped", "creating") and not out.get("pid"):
        out.pop("pid", None)
    out.setdefault("annotations", {})
    return out


def read_json(dir_fd_or_path):
    """Load state.json from a container directory (a path or a dir fd)."""
    if isinstance(dir_fd_or_path, int):
        fd = posix.open(STATE_FILE, posix.O_RDONLY | posix.O_CLOEXEC, dir_fd=dir_fd_or_path)
    else:
        fd = posix.open(_in_directory(dir_fd_or_path, STATE_FILE), posix.O_RDONLY | posix.O_CLOEXEC)
    with open(fd, "rb") as f:
        return jsonlite.loads(f.read().decode("utf-8"))


def write_json(dir_path, data, name=STATE_FILE, mode=0o600):
    """Atomically replace ``dir_path/name`` with ``data`` as JSON."""
    payload = jsonlite.dumps(data).encode("utf-8") + b"\n"
    tmp = _in_directory(dir_path, ".%s.%d.tmp" % (name, posix.getpid()))
    fd = posix.open(tmp, posix.O_WRONLY | posix.O_CREAT | posix.O_TRUNC | posix.O_CLOEXEC | posix.O_NOFOLLOW, mode)
    try:
        view = memoryview(payload)
        while view:
            view = view[posix.write(fd, view):]
        posix.fsync(fd)
    finally:
        posix.close(fd)
    try:
        posix.rename(tmp, _in_directory(dir_path, name))
    except BaseException:
        _unlink_quietly(tmp)
        raise
    dfd = posix.open(dir_path, posix.O_RDONLY | posix.O_DIRECTORY | posix.O_CLOEXEC)
    try:
        posix.fsync(dfd)
    finally:
        posix.close(dfd)


def _in_directory(directory, name):
    # os.path.join for a plain file name, without os (runtime/pathlite.py says why;
    # this file is copied alone for the monitor).
    return directory + name if directory.endswith("/") else directory + "/" + name


def _unlink_quietly(path):
    try:
        posix.unlink(path)
    except OSError:
        pass


class DirLock(object):
    """Exclusive flock on a directory; usable as a context manager.

    The lock belongs to the open file description, so it is released when the
    fd is closed, including when the holder dies: a killed runtime never leaves
    a container locked.
    """

    def __init__(self, path):
        self.path = path
        self.fd = None

    def acquire(self):
        self.fd = posix.open(self.path, posix.O_RDONLY | posix.O_DIRECTORY | posix.O_CLOEXEC)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def release(self):
        if self.fd is not None:
            posix.close(self.fd)
            self.fd = None

    def unlock(self):
        """Let others lock now, though a forked child may still hold a copy of the fd (flock(2) LOCK_UN)."""
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()
        return False


def proc_stat(pid):
    """Return (state letter, start time) of a pid, or None if there is no such pid.

    proc(5): /proc/PID/stat; the comm field is in parentheses and may contain
    spaces or parentheses itself, so parse from the last ')'.
    """
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            raw = f.read()
    except (IOError, OSError) as e:
        if e.errno in (errno.ENOENT, errno.ESRCH):
            return None
        raise
    fields = raw[raw.rindex(b")") + 2:].split()
    # fields[0] is field 3 (state); field 22 (starttime) is fields[19]
    return fields[0].decode("ascii"), int(fields[19])


def process_alive(pid, start_time):
    """True if ``pid`` runs, is not a zombie, and is the same process (start time)."""
    if not pid:
        return False
    info = proc_stat(pid)
    if info is None:
        return False
    letter, started = info
    if letter in ("Z", "X", "x"):
        return False
    return start_time is None or started == start_time


def child_exited(pid):
    """True once our child ``pid`` has exited (or is not our child); it is not reaped."""
    try:
        return posix.waitid(posix.P_PID, pid, posix.WEXITED | posix.WNOHANG | posix.WNOWAIT) is not None
    except ChildProcessError:
        return True


def oom_kill_count(path):
    """The ``oom_kill`` counter in a cgroup's memory.events (v2) or memory.oom_control (v1); None if unreadable.

    cgroup-v2.rst, memory.events: "oom_kill: The number of processes belonging
    to this cgroup killed by any kind of OOM killer" (the cgroup's own limit
    or the whole system's). cgroup-v1 memory.rst: memory.oom_control has had
    the same ``oom_kill`` line since Linux 4.13. Both are "key value" lines.
    """
    try:
        with open(path, "rb") as f:
            lines = f.read().split(b"\n")
    except (IOError, OSError):
        return None
    for line in lines:
        key, _sep, value = line.partition(b" ")
        if key == b"oom_kill" and value.strip().isdigit():
            return int(value)
    return None


def oom_killed(state):
    """True if the OOM killer killed a process of the container since create; None if the host cannot tell.

    The monitor calls it when the init has exited (monitor.py, record_exit).
    create recorded the cgroup's counter file and its value then
    (cgroups/oom.py); a kill is counted before the process dies, so it is
    there by the time wait(2) returned.
    """
    record = state.get("oom_events")
    if not isinstance(record, dict) or not isinstance(record.get("at_create"), int):
        return None
    count = oom_kill_count(record.get("file") or "")
    return None if count is None else count > record["at_create"]
