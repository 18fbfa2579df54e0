# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""podman as a real client of the runtime's command line (`podman --runtime`).

podman drives the runtime through conmon, as it drives runc: conmon runs
`create --pid-file --console-socket` as a child subreaper and reaps the
container's process itself, then podman calls start, state, exec --detach
--pid-file --process, kill and delete --force. Each test gets its own podman
storage (--root, --runroot, --tmpdir) under a temp dir, a private copy of
the busybox rootfs (--rootfs), no network, and rlimits this host lets a
process without CAP_SYS_RESOURCE set. The runtime keeps its default state
root: podman 4.3 does not hand --runtime-flag to the `podman container
cleanup` that conmon runs when a container exits, so a custom root would
leave that cleanup's `delete` looking in the wrong place.
"""
from __future__ import absolute_import, division, print_function

import fcntl
import os
import pty
import shutil
import signal
import struct
import subprocess
import tempfile
import termios
import time

import pytest

import itest_helpers as H

PODMAN = shutil.which("podman")
CONMON = shutil.which("conmon") or next((p for p in ("/usr/libexec/podman/conmon", "/usr/bin/conmon")
                                         if os.path.exists(p)), None)

pytestmark = [
    pytest.mark.ours,
    pytest.mark.skipif(PODMAN is None, reason="podman is not installed (scripts/test.sh installs it with apt)"),
    pytest.mark.skipif(CONMON is None, reason="conmon is not installed (a dependency of Debian's podman)"),
]
TIMEOUT = 60


class Podman(object):
    def __init__(self, oci):
        # podman refuses a --runroot longer than 50 characters: not under pytest's tmp_path.
        self.base = tempfile.mkdtemp(prefix="podman-", dir="/tmp")
        self.state_root = "/run/opencontainer/containers"
        self.rootfs = oci.private_rootfs()
        self.global_args = [
            PODMAN, "--root", os.path.join(self.base, "root"), "--runroot", os.path.join(self.base, "runroot"),
            "--tmpdir", os.path.join(self.base, "tmp"), "--cgroup-manager", "cgroupfs",
            "--events-backend", "file", "--conmon", CONMON,
            "--runtime", os.path.abspath(oci.rt.binary),
        ]

    def argv(self, *args):
        return self.global_args + [str(a) for a in args]

    def run_args(self, *extra):
        """`podman run` options every container here needs."""
        return ["run", "--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"] + \
            list(extra) + ["--rootfs", self.rootfs]

    def __call__(self, *args, **kwargs):
        proc = subprocess.run(self.argv(*args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True, timeout=kwargs.get("timeout", TIMEOUT),
                              check=False)
        return H.Result(self.argv(*args), proc.returncode, proc.stdout, proc.stderr, 0)

    def cleanup(self):
        self("rm", "--all", "--force", "--time", "0")
        # conmon and podman's exit command (`container cleanup`) finish on their own.
        deadline = time.monotonic() + 10
        while self.processes() and time.monotonic() < deadline:
            time.sleep(0.05)
        for pid in self.processes():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        mounts = H.host_mounts_under([self.base])
        for point in sorted(mounts, key=len, reverse=True):
            subprocess.run(["umount", "-l", point], timeout=10, check=False)
        shutil.rmtree(self.base, ignore_errors=True)
        return mounts

    def processes(self):
        """Pids of processes (conmon, podman cleanup) whose command line names our storage."""
        marker = self.base.encode()
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            try:
                with open("/proc/%s/cmdline" % entry, "rb") as handle:
                    cmdline = handle.read()
            except (IOError, OSError):
                continue
            if marker in cmdline and H.pid_alive(int(entry)):
                found.append(int(entry))
        return found


@pytest.fixture
def podman(oci):
    client = Podman(oci)
    yield client
    left = client.cleanup()
    # <root>/overlay is podman's storage home, which containers/storage mounts
    # onto itself and its last process unmounts: a podman process still
    # finishing under load leaves it (unmounted above all the same). Any other
    # mount left (a container's rootfs, shm, a volume) is a failure.
    left = [point for point in left if point != os.path.join(client.base, "root", "overlay")]
    if left:
        pytest.fail("podman left mounts behind: %s" % left)


def test_run_rm_shows_output_and_passes_exit_codes(podman):
    result = podman(*podman.run_args("--rm") + ["echo", "hi"])
    assert result.returncode == 0, result
    assert result.stdout == "hi\n"
    argv = podman.run_args("--rm") + ["sh", "-c", "echo out; echo err >&2; exit 42"]
    result = podman(*argv)
    if result.returncode == 42 and result.stdout == "":
        # podman's attach can miss all output of a container that exits at
        # once when the host is loaded (podman's own race, seen with another
        # test run beside this one); the exit code came through, so try once more.
        result = podman(*argv)
    assert result.returncode == 42, result
    assert result.stdout == "out\n" and "err" in result.stderr
    # A missing program: podman reads the runtime's message and exits 127, as with runc.
    result = podman(*podman.run_args("--rm") + ["/no/such/program"])
    assert result.returncode == 127, result
    assert "/no/such/program" in result.stderr
    assert podman("ps", "--all", "--quiet").stdout.strip() == ""


def test_detached_container_exec_stop_rm(podman):
    result = podman(*podman.run_args("-d", "--name", "web") + ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"])
    assert result.returncode == 0, result
    container = result.stdout.strip()
    assert podman("inspect", "--format", "{{.State.Status}}", "web").stdout.strip() == "running"
    result = podman("exec", "web", "sh", "-c", "echo in-exec; hostname; cat /proc/1/cmdline | tr '\\0' ' '; exit 3")
    assert result.returncode == 3, result
    lines = result.stdout.splitlines()
    assert lines[0] == "in-exec" and lines[1] == container[:12] and lines[2].startswith("sh -c")
    result = podman("stop", "--time", "10", "web")
    assert result.returncode == 0, result
    state = podman("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "web").stdout.split()
    assert state == ["exited", "0"], state   # stopped by SIGTERM, which its trap turned into exit 0
    result = podman("rm", "web")
    assert result.returncode == 0, result
    assert podman("ps", "--all", "--quiet").stdout.strip() == ""
    # The runtime's delete ran: no state, no cgroup left for the container.
    assert not os.path.exists(os.path.join(podman.state_root, container))
    assert not [path for path in H.cgroup_mounts()
                if os.path.exists(os.path.join(path, "libpod_parent", "libpod-" + container))]


def test_kill_and_forced_rm_of_a_running_container(podman):
    assert podman(*podman.run_args("-d", "--name", "sleeper") + ["sleep", "1000"]).returncode == 0
    result = podman("kill", "sleeper")
    assert result.returncode == 0, result
    H.wait_for(lambda: podman("inspect", "--format", "{{.State.Status}}", "sleeper").stdout.strip() == "exited",
               timeout=20, what="container exited")
    # sleep is pid 1 without a SIGTERM handler: podman kill sends SIGKILL by default.
    assert podman("inspect", "--format", "{{.State.ExitCode}}", "sleeper").stdout.strip() == "137"
    assert podman(*podman.run_args("-d", "--name", "again") + ["sleep", "1000"]).returncode == 0
    result = podman("rm", "--force", "--time", "0", "again")
    assert result.returncode == 0, result


def test_run_with_a_terminal(podman):
    master, slave = pty.openpty()
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 20, 70, 0, 0))

    def controlling_terminal():
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    argv = podman.argv(*podman.run_args("--rm", "-it") + [
        "sh", "-c", "tty; echo ready; read x; echo got:$x; stty size; exit 6"])
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                            preexec_fn=controlling_terminal)
    os.close(slave)
    try:
        out = _read_terminal(master, proc, answer=b"typed\r")
        assert proc.wait(TIMEOUT) == 6
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    lines = out.replace("\r", "").splitlines()
    assert lines[:2] == ["/dev/pts/0", "ready"], lines
    # podman sets the size through conmon once attached: asked after the input, it is there.
    assert lines[-2:] == ["got:typed", "20 70"], lines


def _read_terminal(master, proc, answer):
    import select
    out = b""
    sent = False
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if b"ready" in out and not sent:
            os.write(master, answer)
            sent = True
        ready, dummy, dummy = select.select([master], [], [], 0.1)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        try:
            data = os.read(master, 65536)
        except OSError:
            break  # EIO: podman closed the terminal
        if not data:
            break
        out += data
    return out.decode("utf-8", "replace")
