# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What clients written for runc rely on (containerd's shim, podman, conmon).

Black-box tests through the CLI: each also passes with
OCI_RUNTIME_BIN=/usr/sbin/runc (runc 1.1), which is the point.
"""
from __future__ import absolute_import, division, print_function

import json
import os
import subprocess
import threading
import time

import pytest

import itest_helpers as H


def _leftover_config(oci, marker):
    """A container without its own pid namespace whose init leaves a child in the cgroup and exits."""
    config = oci.config(["sh", "-c", "sleep 300 & echo $! > /out/%s; exit 0" % marker])
    H.remove_namespace(config, "pid")
    return config


def test_kill_all_on_stopped_container_kills_what_is_left_in_its_cgroup(oci):
    # containerd's shim runs `kill --all ID 9` after the first process of a
    # container without its own pid namespace exited.
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(_leftover_config(oci, "child")))
    oci.rt.wait_status(cid, "stopped")
    child_in_ns = H.wait_file(oci.out_file("child"))
    assert child_in_ns
    pids = oci.rt.cmd("ps", "--format", "json", cid).check()
    left = json.loads(pids.stdout)
    assert left and all(H.pid_alive(pid) for pid in left), left
    oci.rt.kill(cid, "9", all_processes=True).check()
    H.wait_for(lambda: not any(H.pid_alive(pid) for pid in left), what="leftovers killed")
    oci.rt.delete(cid).check()


def test_kill_all_on_stopped_container_with_nothing_left_succeeds(oci):
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(oci.config(["true"])))
    oci.rt.wait_status(cid, "stopped")
    oci.rt.kill(cid, "KILL", all_processes=True).check()
    assert oci.rt.status(cid) == "stopped"


def test_plain_kill_of_stopped_container_says_container_not_running(oci):
    # The shim maps exactly this phrase to "already finished".
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(oci.config(["true"])))
    oci.rt.wait_status(cid, "stopped")
    for sig in ("KILL", "0"):
        result = oci.rt.kill(cid, sig)
        assert result.returncode != 0 and "container not running" in result.stderr, result


def test_signal_zero_probes_a_live_container(oci):
    cid = oci.new_id()
    before = oci.rt.create_started(cid, oci.bundle(oci.config(["sleep", "30"])))
    oci.rt.kill(cid, "0").check()
    assert oci.rt.state(cid) == before


def test_exec_into_created_container(oci):
    cid = oci.new_id()
    oci.rt.create(cid, oci.bundle(oci.config(["sleep", "30"]))).check()
    result = oci.rt.cmd("exec", cid, "sh", "-c", "echo in-created; test -d /proc/1").check()
    assert result.stdout.strip() == "in-created"
    assert oci.rt.status(cid) == "created"
    oci.rt.start(cid).check()
    assert oci.rt.status(cid) == "running"


def test_exec_failures_exit_255(oci, tmp_path):
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(oci.config(["sleep", "30"])))
    unwritable = str(tmp_path / "no-such-dir" / "pid")
    result = oci.rt.cmd("exec", "--pid-file", unwritable, cid, "true")
    assert result.returncode == 255, result
    oci.rt.cmd("pause", cid).check()
    try:
        result = oci.rt.cmd("exec", cid, "true")
        assert result.returncode == 255 and "paused" in result.stderr, result
    finally:
        oci.rt.cmd("resume", cid).check()
    assert oci.rt.cmd("exec", cid, "sh", "-c", "exit 7").returncode == 7  # the process's own code
    oci.rt.kill(cid, "KILL").check()
    oci.rt.wait_status(cid, "stopped")
    result = oci.rt.cmd("exec", cid, "true")
    assert result.returncode == 255, result


def test_exec_ignore_paused_runs_once_resumed(oci):
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(oci.config(["sleep", "30"])))
    oci.rt.cmd("pause", cid).check()
    done = {}

    def run_exec():
        done["result"] = oci.rt.cmd("exec", "--ignore-paused", cid, "sh", "-c", "echo thawed > /out/ran")
    worker = threading.Thread(target=run_exec)
    worker.start()
    try:
        time.sleep(0.5)
        assert not os.path.exists(oci.out_file("ran"))  # frozen with the rest of the container
    finally:
        oci.rt.cmd("resume", cid).check()
        worker.join(H.CMD_TIMEOUT)
    assert done["result"].returncode == 0, done["result"]
    assert open(oci.out_file("ran")).read().strip() == "thawed"


def _v1_hierarchy(controller):
    for path in H.cgroup_mounts():
        if controller in os.path.basename(path).split(","):
            return path
    return None


def test_exec_cgroup_runs_in_an_existing_sub_cgroup(oci):
    memory = _v1_hierarchy("memory")
    if memory is None:
        pytest.skip("needs a cgroup v1 memory hierarchy (this host has none)")
    cid = oci.new_id()
    config = oci.config(["sleep", "30"])
    oci.rt.create_started(cid, oci.bundle(config))
    sub = os.path.join(memory, config["linux"]["cgroupsPath"].lstrip("/"), "sub")
    os.mkdir(sub)
    pid_file = os.path.join(oci.tmp, "exec.pid")
    # The detached process keeps the CLI's stdio: no pipes, or they reach EOF only when it exits.
    result = oci.rt.cmd("exec", "-d", "--pid-file", pid_file, "--cgroup", "memory:sub", cid, "sleep", "20",
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert result.returncode == 0, result
    pid = int(open(pid_file).read())
    try:
        with open("/proc/%d/cgroup" % pid) as handle:
            lines = dict(line.split(":", 2)[1:] for line in handle.read().splitlines())
        memory_key = [k for k in lines if "memory" in k.split(",")][0]
        assert lines[memory_key].endswith(config["linux"]["cgroupsPath"] + "/sub"), lines
        others = [v for k, v in lines.items() if k != memory_key]
        assert others and all(v.endswith(config["linux"]["cgroupsPath"]) for v in others), lines
    finally:
        oci.rt.kill(cid, "KILL", all_processes=True).check()
    oci.rt.wait_status(cid, "stopped")
    H.wait_for(lambda: not H.pid_alive(pid), what="exec'd process gone")
    for bad in ("../escape", "memory:/abs", "memory:a/../..", "memory:nosuch"):
        result = oci.rt.cmd("exec", "--cgroup", bad, cid, "true")
        assert result.returncode != 0, (bad, result)


def _host_is_cgroup2_only():
    with open("/proc/self/mountinfo") as handle:
        for line in handle:
            fields = line.split()
            if fields[4] == "/sys/fs/cgroup":
                fstype = fields[fields.index("-") + 1]
                return fstype == "cgroup2"
    return False


def test_spec_adds_a_cgroup_namespace_only_on_a_cgroup2_host(oci, runtime_binary, tmp_path):
    bundle = str(tmp_path / "spec")
    os.makedirs(bundle)
    subprocess.run([runtime_binary, "spec", "--bundle", bundle], check=True, timeout=30)
    with open(os.path.join(bundle, "config.json")) as handle:
        kinds = [ns["type"] for ns in json.load(handle)["linux"]["namespaces"]]
    assert ("cgroup" in kinds) == _host_is_cgroup2_only(), kinds
    assert len(kinds) == len(set(kinds))


def test_list_json_fields_in_runc_order(oci):
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(oci.config(["sleep", "30"])))
    listed = json.loads(oci.rt.list("--format", "json").check().stdout,
                        object_pairs_hook=lambda pairs: [k for k, _v in pairs])
    assert listed[0][:8] == ["ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner"]


def test_events_stats_fields_in_runc_order(oci):
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(oci.config(["sleep", "30"])))
    out = oci.rt.cmd("events", "--stats", cid).check().stdout
    keys = json.loads(out, object_pairs_hook=list)
    assert [k for k, _v in keys] == ["type", "id", "data"]
    data = dict(keys)["data"]
    names = [k for k, _v in data]
    assert names[:5] == ["cpu", "cpuset", "memory", "pids", "blkio"], names
    cpu = dict(data)["cpu"]
    assert [k for k, _v in cpu] == ["usage", "throttling"]
    usage = [k for k, _v in dict(cpu)["usage"]]
    assert usage[-2:] == ["kernel", "user"], usage
    memory = [k for k, _v in dict(data)["memory"]]
    assert [k for k in memory if k != "cache"][:4] == ["usage", "swap", "kernel", "kernelTCP"], memory
    entry = [k for k, _v in dict(dict(data)["memory"])["usage"]]
    assert entry[0] == "limit" and entry[-1] == "failcnt", entry


def test_ps_json_of_stopped_container_is_null(oci):
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(oci.config(["true"])))
    oci.rt.wait_status(cid, "stopped")
    assert oci.rt.cmd("ps", "--format", "json", cid).check().stdout.strip() == "null"


def test_usage_error_goes_to_the_json_log(oci, tmp_path):
    # containerd's shim reports the last line of --log as the runtime's error.
    log = str(tmp_path / "runtime.log")
    result = oci.rt.cmd("exec", "--no-such-flag", "x", "true", global_args=["--log", log, "--log-format", "json"])
    assert result.returncode != 0
    with open(log) as handle:
        last = json.loads(handle.read().splitlines()[-1])
    assert last["level"] == "error" and "no-such-flag" in last["msg"], last
