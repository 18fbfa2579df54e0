# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Health checks, run by the monitor: docker's model.

The annotation ``org.opencontainer.runtime.healthcheck`` holds a JSON
object: ``test`` (the command's argv, run inside the container), and
``interval``, ``timeout``, ``start_period`` (seconds), ``retries`` and
``on_failure`` (``none``, ``kill`` or ``restart``). The module's
``healthcheck`` option writes it, with docker's defaults (30 s, 30 s, 0 s,
3).

Standard library only (the monitor's copy). The monitor runs one check at a
time (checks never pile up: the next one is due ``interval`` after the
previous one ended), each as a child process: the runtime's own exec from the
runtime copy (``entry.py exec``), whose output it reads from a pipe. A check
still running at ``timeout`` is killed, and so is the process it started in
the container (its pid file), and counts as a failure. As docker:

* health is ``starting`` until the first success; failures during
  ``start_period`` do not count;
* ``retries`` consecutive failures make it ``unhealthy``, one success
  ``healthy`` again (``failing_streak`` counts them);
* the last five results are kept in ``health.log`` (start, end, exit code,
  output, at most 4 KiB each);

all in state.json under ``health``, written under the container lock. Once
unhealthy, ``on_failure`` ``kill`` sends SIGKILL to the container (the restart
policy then applies as to any exit) and ``restart`` kills it and has it
restarted through the restart path whatever the policy (a stop asked for by
the user still wins).
"""

import os

HEALTHCHECK_ANNOTATION = "org.opencontainer.runtime.healthcheck"
ACTIONS = ("none", "kill", "restart")
DEFAULTS = {"interval": 30.0, "timeout": 30.0, "start_period": 0.0, "retries": 3, "on_failure": "none"}
KEEP_RESULTS = 5
MAX_OUTPUT = 4096


def _loads(raw):
    try:
        from . import jsonlite
    except ImportError:
        import jsonlite
    return jsonlite.loads(raw)


def parse_healthcheck(raw):
    """The checked healthcheck object of an annotation value; ValueError says what is wrong."""
    try:
        value = _loads(raw) if isinstance(raw, str) else raw
    except ValueError as e:
        raise ValueError("must be a JSON object: %s" % e)
    if not isinstance(value, dict):
        raise ValueError("must be a JSON object with test, interval, timeout, retries, start_period, on_failure")
    unknown = sorted(set(value) - set(DEFAULTS) - set(["test"]))
    if unknown:
        raise ValueError("unknown field %s" % unknown[0])
    test = value.get("test")
    if not isinstance(test, list) or not test or not all(isinstance(a, str) for a in test):
        raise ValueError("test: must be a non-empty list of strings (the command's argv)")
    out = dict(DEFAULTS)
    out["test"] = list(test)
    for key in ("interval", "timeout", "start_period"):
        if key in value:
            number = value[key]
            if isinstance(number, bool) or not isinstance(number, (int, float)) or number < 0:
                raise ValueError("%s: must be a number of seconds >= 0, not %r" % (key, number))
            out[key] = float(number)
    for key in ("interval", "timeout"):
        if out[key] <= 0:
            raise ValueError("%s: must be more than 0 seconds" % key)
    if "retries" in value:
        retries = value["retries"]
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 1:
            raise ValueError("retries: must be an integer >= 1, not %r" % (retries,))
        out["retries"] = retries
    if "on_failure" in value:
        if value["on_failure"] not in ACTIONS:
            raise ValueError("on_failure: must be one of %s, not %r" % (", ".join(ACTIONS), value["on_failure"]))
        out["on_failure"] = value["on_failure"]
    return out


CHECK_FILE = "healthcheck.json"


def _exit_code(status):
    """os.waitstatus_to_exitcode (Python 3.9+), with 128+N for signal N as the shell reports it."""
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def checker_for(container_dir, dir_fd, init_pid):
    """A Checker when create wrote <container dir>/healthcheck.json (services/setup.py), else None."""
    import jsonlite
    try:
        fd = os.open(CHECK_FILE, os.O_RDONLY | os.O_CLOEXEC, dir_fd=dir_fd)
    except OSError:
        return None
    with open(fd, "rb") as handle:
        spec = jsonlite.loads(handle.read().decode("utf-8"))
    return Checker(container_dir, dir_fd, init_pid, spec["check"], spec["entry"])


class Checker(object):
    """Waits for the container's exit like monitor._pump, and runs the health checks meanwhile."""

    def __init__(self, container_dir, dir_fd, init_pid, check, entry):
        self.dir = container_dir
        self.dir_fd = dir_fd
        self.init_pid = init_pid
        self.check = check
        self.entry = entry
        self.root, self.id = os.path.split(container_dir.rstrip("/"))
        self.started_at = None      # monotonic time the container's program started
        self.next_at = None
        self.running = None         # the check under way: (pid, pidfd, out_fd, deadline, started wall time)
        self.output = b""
        self.status = "starting"
        self.streak = 0
        self.results = []
        self.action_taken = False
        self.force_restart = False  # on_failure restart: the monitor restarts whatever the policy
        self.poll_cap = None

    # -- the loop ---------------------------------------------------------
    def watch(self, log_fd, log):
        """Return the init's wait status (None if it was not our child)."""
        import select
        import time
        try:
            pidfd = os.pidfd_open(self.init_pid)
        except (AttributeError, OSError):
            pidfd = None  # Python 3.8 or an old kernel: poll with a short timeout instead
        self.poll_cap = 200 if pidfd is None else None
        poller = select.poll()
        if pidfd is not None:
            poller.register(pidfd, select.POLLIN)
        if log_fd is not None:
            poller.register(log_fd, select.POLLIN)
        while True:
            try:
                pid, status = os.waitpid(self.init_pid, os.WNOHANG)
            except ChildProcessError:
                return None
            if pid:
                break
            now = time.monotonic()
            self._tick(now, poller)
            for fd, _event in poller.poll(self._timeout_ms(now)):
                if fd == log_fd:
                    data = os.read(log_fd, 65536)
                    if data:
                        log.write(data)
                    else:
                        poller.unregister(log_fd)
                        log_fd = None
                elif self.running is not None and fd == self.running[2]:
                    chunk = os.read(fd, 65536)
                    if chunk:
                        self.output = (self.output + chunk)[-MAX_OUTPUT:]
                    else:
                        poller.unregister(fd)
                        self.running = self.running[:2] + (-1,) + self.running[3:]
                        os.close(fd)
        self._abandon(poller)
        if log_fd is not None:
            os.set_blocking(log_fd, False)
            try:
                while True:
                    data = os.read(log_fd, 65536)
                    if not data:
                        break
                    log.write(data)
            except BlockingIOError:
                pass
        if pidfd is not None:
            os.close(pidfd)
        return status

    def _timeout_ms(self, now):
        if self.started_at is None:
            return 200  # created, not started: look again for start (init.sock gone)
        due = self.running[3] if self.running is not None else self.next_at
        wait = max(0, int((due - now) * 1000) + 1)
        if self.poll_cap is not None or (self.running is not None and self.running[1] is None):
            wait = min(wait, 200)  # no pidfd to tell us of an exit
        return wait

    def _tick(self, now, poller):
        import time
        if self.started_at is None:
            try:
                os.stat("init.sock", dir_fd=self.dir_fd)
                return  # `start` removes it once the program runs (lifecycle/start.py)
            except OSError:
                pass
            self.started_at = now
            self.next_at = now + self.check["interval"]
            self._record(None)
            return
        if self.running is not None:
            pid, pidfd, out_fd, deadline, began = self.running
            try:
                done, wait_status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done, wait_status = pid, 255 << 8
            if done:
                self._finish(poller, _exit_code(wait_status), began)
            elif now >= deadline:
                self._kill_check()
                os.waitpid(pid, 0)
                self.output += b"\nhealth check exceeded its timeout (%gs)" % self.check["timeout"]
                self._finish(poller, -1, began)
            return
        if now >= self.next_at:
            self._start_check(poller)

    # -- one check ----------------------------------------------------------
    def _start_check(self, poller):
        import sys
        import time
        read_end, write_end = os.pipe()
        pid_file = self.dir + "/health.pid"
        argv = [sys.executable, "-I", "-S", "-B", self.entry, "--root", self.root, "exec", "--pid-file", pid_file,
                self.id] + list(self.check["test"])
        pid = os.fork()
        if pid == 0:
            try:
                os.close(read_end)
                os.dup2(write_end, 1)
                os.dup2(write_end, 2)
                os.closerange(3, 65536)  # the container's output pipe and our pidfds stay with us
                os.execv(sys.executable, argv)
            finally:
                os._exit(127)
        os.close(write_end)
        poller.register(read_end, 0x001)  # POLLIN
        try:
            pidfd = os.pidfd_open(pid)
            poller.register(pidfd, 0x001)
        except (AttributeError, OSError):
            pidfd = None
        self.output = b""
        self.running = (pid, pidfd, read_end, time.monotonic() + self.check["timeout"], time.time())

    def _kill_check(self):
        """SIGKILL the exec'd process in the container (a child of the exec command), then the command."""
        pid = self.running[0]
        try:
            with open(self.dir + "/health.pid", "rb") as handle:
                target = int(handle.read().strip() or 0)
            with open("/proc/%d/stat" % target, "rb") as handle:
                ppid = int(handle.read().rsplit(b")", 1)[1].split()[1])
            if ppid == pid:
                os.kill(target, 9)
        except (IOError, OSError, ValueError, IndexError):
            pass
        try:
            os.kill(pid, 9)
        except OSError:
            pass

    def _finish(self, poller, exit_code, began):
        import time
        pid, pidfd, out_fd, deadline, _began = self.running
        if out_fd >= 0:
            try:
                os.set_blocking(out_fd, False)
                while True:
                    chunk = os.read(out_fd, 65536)
                    if not chunk:
                        break
                    self.output = (self.output + chunk)[-MAX_OUTPUT:]
            except (BlockingIOError, OSError):
                pass
            poller.unregister(out_fd)
            os.close(out_fd)
        if pidfd is not None:
            poller.unregister(pidfd)
            os.close(pidfd)
        self.running = None
        now = time.monotonic()
        self.next_at = now + self.check["interval"]  # after this one ended: checks never pile up
        self._apply_result(exit_code, now, began)

    def _abandon(self, poller):
        """The container exited: a check still running is killed and not counted."""
        if self.running is not None:
            self._kill_check()
            try:
                os.waitpid(self.running[0], 0)
            except OSError:
                pass
            for fd in self.running[1:3]:
                if fd is not None and fd >= 0:
                    os.close(fd)
            self.running = None

    # -- docker's rules -----------------------------------------------------
    def _apply_result(self, exit_code, now, began):
        import stateio
        import time
        result = {"start": stateio.timestamp(began), "end": stateio.timestamp(time.time()), "exit_code": exit_code,
                  "output": self.output.decode("utf-8", "replace")}
        self.results = (self.results + [result])[-KEEP_RESULTS:]
        before = self.status
        if exit_code == 0:
            self.streak = 0
            self.status = "healthy"
        elif now - self.started_at >= self.check["start_period"] or self.status == "healthy":
            # docker: failures inside start_period do not count, unless it was healthy already
            self.streak += 1
            if self.streak >= self.check["retries"]:
                self.status = "unhealthy"
        action = None
        if self.status == "unhealthy" and before != "unhealthy" and self.check["on_failure"] != "none":
            action = self.check["on_failure"]
        self._record(action)
        if action is not None:
            self.force_restart = action == "restart"
            try:
                os.kill(self.init_pid, 9)  # our child, not yet reaped: the pid is still the init's
            except OSError:
                pass

    def _record(self, action):
        import fcntl
        import stateio
        fcntl.flock(self.dir_fd, fcntl.LOCK_EX)
        try:
            state = stateio.read_json(self.dir_fd)
            if state.get("monitor_pid") != os.getpid():
                return
            state["health"] = {"status": self.status, "failing_streak": self.streak, "log": self.results}
            if action is not None:
                state["health"]["action"] = "%s (unhealthy after %d failed checks)" % (
                    "killed" if action == "kill" else "killed to restart", self.streak)
            stateio.write_json(self.dir, state)
        except (IOError, OSError, ValueError):
            pass
        finally:
            fcntl.flock(self.dir_fd, fcntl.LOCK_UN)
