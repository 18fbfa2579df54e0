# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inline options to config.json, drift paths, log tails, signal reachability."""
from __future__ import absolute_import, division, print_function

import os

import pytest

from ansible_collections.opencontainer.runtime.plugins.module_utils.container import drift, logs, options, stopper
from ansible_collections.opencontainer.runtime.plugins.module_utils.container.desired import (
    OptionError, build_config, deep_merge, parse_size)


@pytest.fixture
def rootfs(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_text("root:x:0:0::/root:/bin/sh\nweb:x:1000:1001::/:/bin/sh\n")
    (tmp_path / "etc" / "group").write_text("root:x:0:\nweb:x:1001:\nstaff:x:50:\n")
    return str(tmp_path)


def test_command_env_workdir_user(rootfs):
    config = build_config({"command": "sh -c 'echo a b'", "env": {"B": 2, "A": "x"}, "workdir": "/tmp",
                           "user": "web:staff"}, rootfs)
    process = config["process"]
    assert process["args"] == ["sh", "-c", "echo a b"]
    assert process["env"][-2:] == ["A=x", "B=2"] and process["env"][0].startswith("PATH=")
    assert process["cwd"] == "/tmp"
    assert process["user"] == {"uid": 1000, "gid": 50}
    assert process["terminal"] is False
    assert build_config({"user": "web"}, rootfs)["process"]["user"] == {"uid": 1000, "gid": 1001}
    assert build_config({"user": "7"}, rootfs)["process"]["user"] == {"uid": 7, "gid": 0}
    with pytest.raises(OptionError):
        build_config({"user": "nobody-here"}, rootfs)
    with pytest.raises(OptionError):
        build_config({"env": {"A": True}}, rootfs)


def test_resources_caps_ulimits_mounts(rootfs):
    config = build_config({"memory": "64m", "memory_swap": "1g", "pids_limit": 5, "cpu_quota": 5000,
                           "cpu_period": 100000, "cpuset_cpus": "0", "cap_add": ["net_admin"],
                           "cap_drop": ["CAP_KILL"], "ulimits": ["nofile:10:20", "nproc:5"],
                           "mounts": [{"source": "/srv", "destination": "/srv"}]}, rootfs)
    res = config["linux"]["resources"]
    assert res["memory"] == {"limit": 64 << 20, "swap": 1 << 30}
    assert res["pids"] == {"limit": 5}
    assert res["cpu"] == {"quota": 5000, "period": 100000, "cpus": "0"}
    caps = config["process"]["capabilities"]["bounding"]
    assert "CAP_NET_ADMIN" in caps and "CAP_KILL" not in caps
    assert {r["type"]: (r["soft"], r["hard"]) for r in config["process"]["rlimits"]} == {
        "RLIMIT_NOFILE": (10, 20), "RLIMIT_NPROC": (5, 5)}
    assert config["mounts"][-1] == {"destination": "/srv", "type": "bind", "source": "/srv", "options": ["rbind"]}
    for bad in ({"memory": "lots"}, {"cap_add": ["FLY"]}, {"ulimits": ["nofile"]}, {"mounts": [{"source": "/x"}]}):
        with pytest.raises(OptionError):
            build_config(bad, rootfs)


def test_parse_size_and_deep_merge():
    assert parse_size("1k", "m") == 1024 and parse_size(2048, "m") == 2048 and parse_size("-1", "m") == -1
    base = {"a": {"b": 1, "c": 2}, "d": [1]}
    assert deep_merge(base, {"a": {"b": 3, "c": None}, "d": [2]}) == {"a": {"b": 3}, "d": [2]}


def test_differences_paths_and_updatable():
    before = {"process": {"env": ["A=1"]}, "linux": {"resources": {"memory": {"limit": 1}}}}
    after = {"process": {"env": ["A=2"]}, "linux": {"resources": {"memory": {"limit": 2}}}}
    found = drift.differences(before, after)
    assert [(d.path, d.updatable) for d in found] == [("linux.resources.memory.limit", True), ("process.env", False)]
    assert drift.resources_update(found, after) == {"memory": {"limit": 2}}
    assert drift.differences(before, after, {"process.env": options.IGNORE})[0].path.startswith("linux")


def test_every_option_is_declared_once():
    names = [o.name for o in options.CONFIG_OPTIONS + options.CONTROL_OPTIONS + options.COMMON_OPTIONS]
    assert len(names) == len(set(names))
    spec = options.container_argument_spec()
    assert spec["state"]["choices"] == ["absent", "created", "started", "stopped"]
    assert options.comparison_path("memory") == "linux.resources.memory.limit"


def test_log_tail_spans_the_rotated_file(tmp_path):
    path = str(tmp_path / "log")
    with open(path + ".1", "w") as handle:
        handle.write("1\n2\n3\n")
    with open(path, "w") as handle:
        handle.write("4\n5\n")
    assert logs.tail(path, 3) == ["3", "4", "5"]
    assert logs.tail(path, 0) == []
    assert logs.tail(str(tmp_path / "none"), 5) == []


def test_signal_reaches_a_process_outside_a_nested_pid_namespace():
    assert stopper.receives(os.getpid(), 15)
