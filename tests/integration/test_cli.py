# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The runc-compatible command line: run, list, spec, --pid-file, global
flags and exit codes."""
from __future__ import absolute_import, division, print_function

import json
import os
import re
import subprocess
import sys
import time

import pytest

import itest_helpers as H


def test_version(oci):
    result = oci.rt.cmd("--version").check()
    assert result.stdout.strip()


def test_unknown_command_fails(oci):
    H.assert_fails(oci.rt.cmd("no-such-command"))


def test_run_foreground_output_and_exit_code(oci):
    cid = oci.new_id()
    config = oci.config(["sh", "-c", "echo out; echo err >&2; exit 7"])
    result = oci.rt.run(cid, oci.bundle(config))
    assert result.returncode == 7
    assert result.stdout == "out\n"
    assert "err\n" in result.stderr
    # Like runc without --keep: a foreground run removes the container.
    H.assert_fails(oci.rt.state_result(cid), cid)


def test_run_foreground_success(oci):
    cid = oci.new_id()
    result = oci.rt.run(cid, oci.bundle(oci.config(["echo", "hello"])))
    assert result.returncode == 0, result
    assert result.stdout == "hello\n"


def test_run_foreground_killed_by_signal(oci):
    # Inside its own pid namespace, init cannot SIGKILL itself: use the
    # host's pid namespace so the shell dies from its own signal.
    config = H.remove_namespace(oci.config(["sh", "-c", "kill -KILL $$"]), "pid")
    cid = oci.new_id()
    result = oci.rt.run(cid, oci.bundle(config))
    assert result.returncode == 128 + 9, result


def test_run_foreground_stdin(oci):
    cid = oci.new_id()
    result = oci.rt.run(cid, oci.bundle(oci.config(["cat"])), input="from stdin\n")
    assert result.returncode == 0, result
    assert result.stdout == "from stdin\n"


def test_run_detach(oci):
    cid = oci.new_id()
    pid_file = os.path.join(oci.tmp, "run.pid")
    started = time.monotonic()
    oci.rt.run(cid, oci.bundle(oci.config(["sh", "-c", "echo detached; sleep 30"])),
               detach=True, pid_file=pid_file).check()
    assert time.monotonic() - started < 10
    state = oci.rt.state(cid)
    assert state["status"] == "running"
    with open(pid_file) as handle:
        assert int(handle.read()) == state["pid"]
    H.wait_for(lambda: oci.rt.container_stdout(cid) == "detached\n", what="container output")


def test_create_start_stdio_inherited(oci):
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(oci.config(["sh", "-c", "echo via-stdout"])))
    oci.rt.wait_status(cid, "stopped")
    assert H.wait_file(oci.rt.output_path(cid, "stdout")) == "via-stdout\n"


def test_pid_file(oci):
    cid = oci.new_id()
    pid_file = os.path.join(oci.tmp, "pid")
    oci.rt.create(cid, oci.bundle(oci.config(["sleep", "30"])), pid_file=pid_file).check()
    with open(pid_file) as handle:
        text = handle.read()
    assert re.match(r"^[0-9]+$", text), repr(text)
    assert int(text) == oci.rt.state(cid)["pid"]


def test_pid_file_relative_path(oci):
    cid = oci.new_id()
    bundle = oci.bundle(oci.config(["sleep", "30"]))
    oci.rt.create(cid, bundle, pid_file="rel.pid", cwd=oci.tmp).check()
    with open(os.path.join(oci.tmp, "rel.pid")) as handle:
        assert int(handle.read()) == oci.rt.state(cid)["pid"]


def test_list_formats(oci):
    first, second = oci.new_id(), oci.new_id()
    bundle_one = oci.bundle(oci.config(["sleep", "30"]))
    oci.rt.create(first, bundle_one).check()
    oci.rt.create_started(second, oci.bundle(oci.config(["sleep", "30"])))

    quiet = oci.rt.list("--quiet").check().stdout.split()
    assert sorted(quiet) == sorted([first, second])

    entries = {e["id"]: e for e in json.loads(oci.rt.list("--format", "json").check().stdout)}
    assert set(entries) == {first, second}
    assert entries[first]["status"] == "created"
    assert entries[second]["status"] == "running"
    assert entries[first]["pid"] == oci.rt.state(first)["pid"]
    assert entries[first]["bundle"] == bundle_one

    table = oci.rt.list().check().stdout.splitlines()
    assert table[0].split()[:3] == ["ID", "PID", "STATUS"]
    rows = {line.split()[0]: line.split() for line in table[1:] if line.strip()}
    assert rows[second][2] == "running"
    assert rows[first][2] == "created"

    table_flag = oci.rt.list("--format", "table").check().stdout.splitlines()
    assert table_flag[0].split()[:3] == ["ID", "PID", "STATUS"]


def test_list_empty(oci):
    assert oci.rt.list("--quiet").check().stdout.strip() == ""
    listed = json.loads(oci.rt.list("--format", "json").check().stdout or "null")
    assert listed in (None, [])


def test_spec_writes_runnable_config(oci):
    bundle = os.path.join(oci.tmp, "spec-bundle")
    os.makedirs(bundle)
    oci.rt.cmd("spec", "--bundle", bundle).check()
    with open(os.path.join(bundle, "config.json")) as handle:
        config = json.load(handle)
    assert config["ociVersion"]
    assert config["root"]["path"] == "rootfs"
    assert config["process"]["args"]
    assert {ns["type"] for ns in config["linux"]["namespaces"]} >= {"pid", "mount"}
    # The generated config runs once pointed at a rootfs without a terminal.
    config["process"]["terminal"] = False
    config["process"]["args"] = ["sh", "-c", "echo spec-ok"]
    config["root"]["path"] = oci.rootfs
    config["linux"]["cgroupsPath"] = oci.cgroup_prefix + "/spec"
    with open(os.path.join(bundle, "config.json"), "w") as handle:
        json.dump(config, handle)
    result = oci.rt.run(oci.new_id(), bundle)
    assert result.returncode == 0, result
    assert result.stdout == "spec-ok\n"


def test_spec_in_cwd_and_refuses_overwrite(oci):
    bundle = os.path.join(oci.tmp, "spec-cwd")
    os.makedirs(bundle)
    oci.rt.cmd("spec", cwd=bundle).check()
    path = os.path.join(bundle, "config.json")
    with open(path) as handle:
        original = handle.read()
    json.loads(original)
    H.assert_fails(oci.rt.cmd("spec", cwd=bundle), "config.json")
    with open(path) as handle:
        assert handle.read() == original


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_log_file_gets_errors(oci, fmt):
    log = os.path.join(oci.tmp, "runtime.log")
    cid = oci.new_id()
    result = oci.rt.cmd("state", cid, global_args=["--log", log, "--log-format", fmt])
    H.assert_fails(result)
    with open(log) as handle:
        lines = [line for line in handle.read().splitlines() if line.strip()]
    assert lines
    if fmt == "json":
        records = [json.loads(line) for line in lines]
        assert any(rec.get("level") == "error" and rec.get("msg") for rec in records)
    else:
        assert any("error" in line for line in lines)


def test_debug_flag_accepted(oci):
    cid = oci.new_id()
    log = os.path.join(oci.tmp, "debug.log")
    result = oci.rt.run(cid, oci.bundle(oci.config(["true"])),
                        global_args=["--debug", "--log", log, "--log-format", "json"])
    assert result.returncode == 0, result
    with open(log) as handle:
        for line in handle.read().splitlines():
            if line.strip():
                json.loads(line)


def _holders(fd):
    """Pids other than ours with an fd on the same open file as our ``fd`` (a pipe)."""
    target = os.readlink("/proc/self/fd/%d" % fd)
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            fds = os.listdir("/proc/%s/fd" % pid)
        except OSError:
            continue
        for entry in fds:
            try:
                if os.readlink("/proc/%s/fd/%s" % (pid, entry)) == target:
                    found.append(int(pid))
            except OSError:
                pass
    return found


def test_a_command_leaves_the_callers_cgroup_and_fds_alone(oci, tmp_path):
    # The command moves nobody but its own children, and nothing it started
    # holds the caller's fds once it is gone. No pipes for stdout and stderr
    # here: waiting for their EOF would wait for such a holder too.
    before = open("/proc/self/cgroup").read()
    read_end, write_end = os.pipe()
    errors = str(tmp_path / "stderr")
    try:
        with open(errors, "w") as stderr:
            result = oci.rt.cmd("exec", "no-such-container-x", "true", pass_fds=(write_end,),
                                stdout=subprocess.DEVNULL, stderr=stderr)
        assert _holders(write_end) == []
    finally:
        os.close(read_end)
        os.close(write_end)
    assert result.returncode == 255  # exec's own failures, as runc's
    if H.binary_is_ours():
        assert "no-such-container-x" in open(errors).read()
    assert open("/proc/self/cgroup").read() == before


def test_each_command_runs_from_its_bundle(oci, tmp_path):
    # bin/oci-runtime loads the modules a command needs in one piece (its
    # bundle: runtime/importcache.py, runtime/cli/launch.py). importlib is
    # left only the package and the cache itself; a module the command
    # imports that its bundle lacks would show up here.
    if not H.binary_is_ours():
        pytest.skip("the module cache is our launcher's")
    python = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
    container_id = oci.new_id()
    oci.rt._remember(container_id)  # the finalizer deletes it whatever happens here
    bundle = oci.bundle(oci.config(["sleep", "1000"]))
    report = str(tmp_path / "importtime")

    def through_importlib(*args):
        # A file, not a pipe, for -X importtime's report: create's monitor
        # inherits stderr and would keep a pipe open.
        with open(report, "w") as err:
            code = subprocess.call([python, "-X", "importtime", "-I", "-S", oci.rt.binary, "--root", oci.rt.root]
                                   + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=err, timeout=60)
        assert code == 0, open(report).read()[-2000:]
        return sorted(set(re.findall(r"\|\s*(runtime(?:\.\w+)*)\s*$", open(report).read(), re.M)))

    oci.rt.cmd("list")  # a first command rewrites the cache files if a source is newer
    for args in (("create", "--bundle", bundle, container_id), ("start", container_id),
                 ("state", container_id), ("list",), ("exec", container_id, "true"),
                 ("kill", container_id, "KILL"), ("delete", "--force", container_id)):
        assert through_importlib(*args) == ["runtime", "runtime.importcache"], args
