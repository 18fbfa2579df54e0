# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""exec: a further process in a running container, through the CLI (runc's
grammar, so these also run against runc) and through the module_utils API
(``ours``): namespaces, cgroup, root, user, capabilities, exit codes, stdio,
concurrency, refusals, and nothing left behind after delete --force."""
from __future__ import absolute_import, division, print_function

import os
import signal
import subprocess
import time

import pytest

import itest_helpers as H

NAMESPACES = ("ipc", "uts", "net", "pid", "mnt", "cgroup")


def running(oci, cgroupns=False, rootfs=None):
    config = oci.config(["sleep", "1000"], rootfs=rootfs)
    if cgroupns:
        H.set_namespace(config, "cgroup")
    container_id = oci.new_id()
    state = oci.rt.create_started(container_id, oci.bundle(config))
    assert state["status"] == "running"
    return container_id, state["pid"]


def exec_(oci, container_id, *args, **kwargs):
    return oci.rt.cmd("exec", *(list(args[:-1]) + [container_id] + list(args[-1])), **kwargs)


def exec_ok(oci, container_id, argv, *flags):
    result = exec_(oci, container_id, *(list(flags) + [argv]))
    assert result.returncode == 0, result
    return result.stdout


def test_joins_every_namespace_of_the_container(oci):
    container_id, dummy = running(oci, cgroupns=True)
    script = "for n in %s; do echo $n $(readlink /proc/self/ns/$n) $(readlink /proc/1/ns/$n); done" \
        % " ".join(NAMESPACES)
    for line in exec_ok(oci, container_id, ["sh", "-c", script]).splitlines():
        name, mine, init = line.split()
        assert mine == init, "exec is not in the container's %s namespace: %s" % (name, line)


def test_sees_hostname_pid_namespace_root_and_network(oci):
    rootfs = oci.private_rootfs()
    with open(os.path.join(rootfs, "only-in-rootfs"), "w") as handle:
        handle.write("marker\n")
    container_id, dummy = running(oci, rootfs=rootfs)
    assert exec_ok(oci, container_id, ["hostname"]) == "oci-test\n"
    assert exec_ok(oci, container_id, ["cat", "/only-in-rootfs"]) == "marker\n"
    # pid namespace: the container's init is pid 1 and we get a low pid.
    assert exec_ok(oci, container_id, ["cat", "/proc/1/cmdline"]) == "sleep\x001000\x00"
    # (runc's exec goes through a few helper processes: its pid is ~20.)
    assert int(exec_ok(oci, container_id, ["sh", "-c", "echo $$"])) < 100
    pids = exec_ok(oci, container_id, ["ps", "-o", "pid"]).split()[1:]
    assert "1" in pids and all(int(p) < 100 for p in pids)
    # network namespace: only lo.
    devices = exec_ok(oci, container_id, ["cat", "/proc/net/dev"]).splitlines()[2:]
    assert [line.split(":")[0].strip() for line in devices] == ["lo"]


def test_joins_the_container_cgroup(oci):
    container_id, init_pid = running(oci, cgroupns=True)
    inside = exec_ok(oci, container_id, ["sh", "-c", "cat /proc/self/cgroup; echo --; cat /proc/1/cgroup"])
    mine, init = inside.split("--\n")
    assert mine == init
    # Seen from the host too: the exec'd process is in the init's cgroups.
    pid_file = os.path.join(oci.tmp, "exec.pid")
    # The detached process keeps the CLI's stdio: no pipes, or they never reach EOF.
    result = exec_(oci, container_id, "--detach", "--pid-file", pid_file, ["sleep", "100"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert result.returncode == 0, result
    pid = int(H.wait_file(pid_file))
    with open("/proc/%d/cgroup" % pid) as mine, open("/proc/%d/cgroup" % init_pid) as init:
        assert mine.read() == init.read()


@pytest.mark.ours
@pytest.mark.parametrize("way", ["clone3", "no CLONE_INTO_CGROUP", "another thread"])
def test_api_exec_joins_every_cgroup_each_way_it_forks(oci, monkeypatch, way):
    # cgroups/membership.py: born in the cgroup2 cgroup where it can, else a fork and a write.
    import threading
    from runtime.cgroups import membership
    from runtime.lifecycle import exec as lifecycle_exec
    from runtime.syscalls.host import real
    container_id, init_pid = running(oci)
    sc = real()
    clones = []
    clone = sc.fork_into_cgroup
    monkeypatch.setattr(sc, "fork_into_cgroup", lambda fd: clones.append(fd) or clone(fd))
    monkeypatch.setattr(membership, "_CLONE_INTO_CGROUP", [] if way == "no CLONE_INTO_CGROUP" else [True])
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    if way == "another thread":
        thread.start()
    try:
        with open(os.devnull, "w") as null:
            handle = lifecycle_exec.start_exec(oci.rt.root, container_id, {"args": ["sleep", "100"]},
                                               stdout=null.fileno())
    finally:
        release.set()
        if thread.is_alive():
            thread.join()
    try:
        with open("/proc/%d/cgroup" % handle.pid) as mine, open("/proc/%d/cgroup" % init_pid) as init:
            mine, init = mine.read(), init.read()
    finally:
        handle.kill()
        handle.wait()
    assert mine == init
    has_cgroup2 = any(line.startswith("0::") for line in init.splitlines())
    assert len(clones) == (1 if way == "clone3" and has_cgroup2 else 0)


@pytest.mark.parametrize("script,code", [("exit 0", 0), ("exit 7", 7), ("exit 255", 255),
                                         ("kill -9 $$", 128 + 9)])
def test_exit_code_passes_through(oci, script, code):
    container_id, dummy = running(oci)
    assert exec_(oci, container_id, ["sh", "-c", script]).returncode == code


def test_env_cwd_user_and_groups(oci):
    container_id, dummy = running(oci)
    out = exec_ok(oci, container_id, ["sh", "-c", 'echo "$FOO|$TERM"; pwd; id -u; id -g; id -G'],
                  "--env", "FOO=bar baz", "--cwd", "/tmp", "--user", "1000:1000",
                  "--additional-gids", "10", "--additional-gids", "20")
    assert out.splitlines() == ["bar baz|xterm", "/tmp", "1000", "1000", "1000 10 20"]
    # Defaults from the container's process: root in /.
    assert exec_ok(oci, container_id, ["sh", "-c", "id -u; pwd"]).splitlines() == ["0", "/"]


def test_rlimits_and_no_new_privs_of_the_container(oci):
    container_id, dummy = running(oci)
    out = exec_ok(oci, container_id, ["sh", "-c", "ulimit -n; grep NoNewPrivs /proc/self/status"])
    assert out.split() == ["1024", "NoNewPrivs:", "1"]


def test_capabilities(oci):
    container_id, dummy = running(oci)
    status = H.parse_status_text(exec_ok(oci, container_id, ["cat", "/proc/self/status"]))
    assert int(status["CapEff"], 16) == H.cap_mask(H.DEFAULT_CAPS)
    assert int(status["CapBnd"], 16) == H.cap_mask(H.DEFAULT_CAPS)
    status = H.parse_status_text(exec_ok(oci, container_id, ["cat", "/proc/self/status"],
                                         "--cap", "CAP_NET_ADMIN"))
    assert int(status["CapEff"], 16) == H.cap_mask(H.DEFAULT_CAPS + ["CAP_NET_ADMIN"])


def test_process_file(oci):
    container_id, dummy = running(oci)
    path = os.path.join(oci.tmp, "process.json")
    with open(path, "w") as handle:
        handle.write('{"args": ["sh", "-c", "echo $A; pwd; id -u; grep CapEff /proc/self/status"],'
                     ' "env": ["PATH=/bin", "A=from-file"], "cwd": "/etc", "user": {"uid": 65534, "gid": 65534},'
                     ' "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"],'
                     ' "permitted": ["CAP_KILL"], "inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL"]}}')
    out = exec_ok(oci, container_id, [], "--process", path).split()
    assert out[:3] == ["from-file", "/etc", "65534"]
    assert int(out[4], 16) == H.cap_mask(["CAP_KILL"])


def test_refuses_stopped_and_unknown_containers(oci):
    stopped = oci.new_id()
    oci.rt.create_started(stopped, oci.bundle(oci.config(["true"])))
    oci.rt.wait_status(stopped, "stopped")
    H.assert_fails(exec_(oci, stopped, ["true"]), stopped, "not running", "stopped")
    H.assert_fails(exec_(oci, "no-such-container", ["true"]), "no-such-container", "does not exist")


def test_missing_executable_and_bad_cwd(oci):
    container_id, dummy = running(oci)
    H.assert_fails(exec_(oci, container_id, ["no-such-program"]), "no-such-program", "not found")
    H.assert_fails(exec_(oci, container_id, ["/bin/nope", "x"]), "/bin/nope")
    H.assert_fails(exec_(oci, container_id, "--cwd", "/no/such/dir", ["true"]), "/no/such/dir")
    assert oci.rt.status(container_id) == "running"


def test_detached_tty_needs_a_console_socket(oci):
    # Nobody would receive the pty (runc: "cannot allocate tty if runc will
    # detach without setting console socket"); tests/integration/test_terminal.py has the rest.
    container_id, dummy = running(oci)
    H.assert_fails(exec_(oci, container_id, "--detach", "--tty", ["true"]), "console socket")


def test_concurrent_execs(oci):
    container_id, dummy = running(oci)
    argv = [oci.rt.binary, "--root", oci.rt.root, "exec", container_id, "sh", "-c", "sleep 1; echo $$"]
    started = time.monotonic()
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True) for dummy in range(5)]
    outputs = [p.communicate(timeout=H.CMD_TIMEOUT) for p in procs]
    elapsed = time.monotonic() - started
    assert [p.returncode for p in procs] == [0] * 5, outputs
    assert len(set(out for out, _err in outputs)) == 5
    assert elapsed < 4.5, "5 execs of 'sleep 1' took %.1fs: they did not run at once" % elapsed


def test_detach_pid_file_and_delete_force_removes_the_process(oci):
    container_id, init_pid = running(oci)
    pid_file = os.path.join(oci.tmp, "exec.pid")
    out = os.path.join(oci.tmp, "exec.out")
    with open(out, "w") as handle:
        # The detached process keeps the CLI's stdio: a file, as a pipe would never reach EOF.
        result = exec_(oci, container_id, "--detach", "--pid-file", pid_file, ["sleep", "100"],
                       stdout=handle, stderr=handle, timeout=10)
    assert result.returncode == 0, result
    with open(out) as handle:
        assert handle.read() == ""
    pid = int(H.wait_file(pid_file))
    assert H.pid_alive(pid)
    for name in NAMESPACES:
        assert os.readlink("/proc/%d/ns/%s" % (pid, name)) == os.readlink("/proc/%d/ns/%s" % (init_pid, name))
    with open("/proc/%d/cmdline" % pid) as handle:
        assert handle.read() == "sleep\x00100\x00"
    oci.rt.delete(container_id, force=True).check()
    H.wait_for(lambda: not H.pid_alive(pid), timeout=5, what="exec'd process gone after delete --force")


def test_foreground_exec_forwards_signals(oci):
    container_id, dummy = running(oci)
    argv = [oci.rt.binary, "--root", oci.rt.root, "exec", container_id, "sh", "-c",
            "trap 'exit 42' TERM; echo ready; while :; do sleep 0.05; done"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, universal_newlines=True)
    try:
        assert proc.stdout.readline() == "ready\n"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 42
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def test_preserved_fds_reach_the_process_and_failures_still_come_back(oci):
    # --preserve-fds 6 passes 3..8; only 3 is open, so the runtime's own fds
    # (its report channel to the child included) land in the holes and must
    # neither reach the process nor lose a failure's message.
    container_id, dummy = running(oci)
    launcher = ["sh", "-c", 'exec 3</dev/null; exec "$0" "$@"', oci.rt.binary, "--root", oci.rt.root,
                "exec", "--preserve-fds", "6"]
    listed = subprocess.run(launcher + [container_id, "sh", "-c", "ls /proc/$$/fd; exit 0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True, timeout=H.CMD_TIMEOUT, check=False)
    assert listed.returncode == 0, listed.stderr
    assert sorted(listed.stdout.split()) == ["0", "1", "2", "3"]
    failed = subprocess.run(launcher + ["--cwd", "/nowhere", container_id, "true"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True, timeout=H.CMD_TIMEOUT, check=False)
    assert failed.returncode != 0
    if H.binary_is_ours():
        assert "process.cwd: cannot change to /nowhere" in failed.stderr


# -- the module_utils API (what oci_exec calls) -----------------------------

@pytest.mark.ours
def test_api_stdio_fds_and_no_leaked_fds(oci):
    from runtime.lifecycle.exec import exec_process, start_exec
    container_id, dummy = running(oci)
    read_out, write_out = os.pipe()
    read_in, write_in = os.pipe()
    leaked = os.open("/", os.O_RDONLY)  # inheritable on purpose: the child must still close it
    os.set_inheritable(leaked, True)
    try:
        os.write(write_in, b"from stdin\n")
        os.close(write_in)
        handle = start_exec(oci.rt.root, container_id,
                            {"args": ["sh", "-c", "cat; ls /proc/self/fd; echo err >&2"]},
                            stdin=read_in, stdout=write_out, stderr=write_out)
        os.close(write_out)
        write_out = None
        chunks = []
        while True:
            chunk = os.read(read_out, 4096)
            if not chunk:
                break
            chunks.append(chunk)
        assert handle.wait(timeout=10) == 0
    finally:
        for fd in (read_out, read_in, leaked, write_out):
            if fd is not None:
                os.close(fd)
    lines = b"".join(chunks).decode().split()
    assert lines[:2] == ["from", "stdin"]
    assert sorted(lines[2:-1]) == ["0", "1", "2", "3"]  # 3: ls's own directory fd
    assert lines[-1] == "err"
    assert exec_process(oci.rt.root, container_id, {"args": ["sh", "-c", "exit 9"]}) == 9


@pytest.mark.ours
def test_api_wait_timeout_kill_and_delete(oci):
    from runtime.errors import RuntimeFailure
    from runtime.lifecycle.exec import ExecTimeout, start_exec
    container_id, dummy = running(oci)
    with open(os.devnull, "w") as null:
        handle = start_exec(oci.rt.root, container_id, {"args": ["sleep", "100"]}, stdout=null.fileno())
        with pytest.raises(ExecTimeout):
            handle.wait(timeout=0.1)
        handle.kill(signal.SIGTERM)
        assert handle.wait(timeout=10) == 128 + signal.SIGTERM
        # Processes still running when the container is deleted die with it.
        handles = [start_exec(oci.rt.root, container_id, {"args": ["sleep", "100"]}, stdout=null.fileno())
                   for dummy in range(3)]
    # The pid namespace is torn down once its processes are reaped, and we are
    # their parent: delete runs while we wait, as it would for a real caller.
    delete = subprocess.Popen([oci.rt.binary, "--root", oci.rt.root, "delete", "--force", container_id],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    try:
        assert [h.wait(timeout=10) for h in handles] == [128 + signal.SIGKILL] * 3
    finally:
        dummy, err = delete.communicate(timeout=H.CMD_TIMEOUT)
    assert delete.returncode == 0, err
    with pytest.raises(RuntimeFailure, match="does not exist"):
        start_exec(oci.rt.root, container_id, {"args": ["true"]})


@pytest.mark.ours
def test_api_errors_from_the_child(oci):
    from runtime.errors import RuntimeFailure, SpecError
    from runtime.lifecycle.exec import start_exec
    container_id, dummy = running(oci)
    before = _children()
    with pytest.raises(RuntimeFailure, match="not found in \\$PATH"):
        start_exec(oci.rt.root, container_id, {"args": ["missing-tool"]})
    with pytest.raises(SpecError, match="^process.args: must be a non-empty list"):
        start_exec(oci.rt.root, container_id, {"args": []})
    with pytest.raises(SpecError, match="^process.user.additionalGids\\[0\\]"):
        start_exec(oci.rt.root, container_id, {"args": ["true"], "user": {"uid": 0, "gid": 0, "additionalGids": [-1]}})
    with pytest.raises(RuntimeFailure, match="process.cwd: cannot change to /nowhere"):
        start_exec(oci.rt.root, container_id, {"args": ["true"], "cwd": "/nowhere"})
    # A failed exec leaves no child behind, not even a zombie: it was reaped.
    assert _children() - before == set()


def _children():
    with open("/proc/self/task/%d/children" % os.getpid()) as handle:
        return set(int(pid) for pid in handle.read().split())


@pytest.mark.ours
def test_unwritable_pid_file_fails_and_leaves_no_process(oci):
    container_id, dummy = running(oci)
    result = exec_(oci, container_id, "--detach", "--pid-file", os.path.join(oci.tmp, "no", "dir", "pid"),
                   ["sleep", "100"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    H.assert_fails(result, "--pid-file")
    assert exec_ok(oci, container_id, ["ps", "-o", "comm"]).split() == ["COMMAND", "sleep", "ps"]
