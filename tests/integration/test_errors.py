# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors: operations refused in the wrong status, bad ids, bad configs and
missing executables fail with a message and leave nothing behind."""
from __future__ import absolute_import, division, print_function

import json
import os

import pytest

import itest_helpers as H


def assert_nothing_created(oci, cid, config=None):
    if cid:
        assert not oci.rt.state_result(cid).ok
        assert not os.path.exists(os.path.join(oci.rt.root, cid))
    if config is not None:
        assert H.cgroup_dirs_under(config["linux"]["cgroupsPath"]) == {}


def test_kill_stopped_container_fails(oci):
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(oci.config(["true"])))
    oci.rt.wait_status(cid, "stopped")
    H.assert_fails(oci.rt.kill(cid, "KILL"), cid)
    assert oci.rt.status(cid) == "stopped"


def test_kill_unknown_signal_fails(oci):
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(oci.config(["sleep", "30"])))
    H.assert_fails(oci.rt.kill(cid, "SIGNOTASIGNAL"), "SIGNOTASIGNAL")
    assert oci.rt.status(cid) == "running"


def test_delete_running_without_force_fails(oci):
    cid = oci.new_id()
    before = oci.rt.create_started(cid, oci.bundle(oci.config(["sleep", "30"])))
    H.assert_fails(oci.rt.delete(cid), cid)
    after = oci.rt.state(cid)
    assert after == before
    assert H.pid_alive(before["pid"])
    assert os.path.isdir(os.path.join(oci.rt.root, cid))


@pytest.mark.ours
def test_delete_created_without_force_fails(oci):
    # runtime.md: delete of a container that is not stopped MUST fail.
    # (runc 1.1 kills and deletes a created container.)
    cid = oci.new_id()
    oci.rt.create(cid, oci.bundle(oci.config(["sleep", "30"]))).check()
    before = oci.rt.state(cid)
    H.assert_fails(oci.rt.delete(cid), cid)
    assert oci.rt.state(cid) == before
    assert H.pid_alive(before["pid"])
    oci.rt.start(cid).check()
    assert oci.rt.status(cid) == "running"


@pytest.mark.ours
@pytest.mark.parametrize("bad_id", ["../x", "a/b", ".x", "", "x" * 1100],
                         ids=["dotdot", "slash", "leading-dot", "empty", "long"])
def test_invalid_id_rejected(oci, bad_id):
    config = oci.config(["true"])
    result = oci.rt.create(bad_id, oci.bundle(config))
    if bad_id and len(bad_id) < 100:
        H.assert_fails(result, bad_id)
    else:
        H.assert_fails(result)
    assert not os.path.exists(os.path.join(oci.tmp, "x"))
    assert not os.path.exists(os.path.join(oci.rt.root, "a"))
    assert_nothing_created(oci, None, config)
    if os.path.isdir(oci.rt.root):
        assert os.listdir(oci.rt.root) == []
    for args in (["state", bad_id], ["kill", bad_id, "KILL"], ["delete", bad_id]):
        H.assert_fails(oci.rt.cmd(*args))


def _empty_args(config):
    config["process"]["args"] = []


def _no_root_path(config):
    del config["root"]["path"]


def _bad_namespace(config):
    config["linux"]["namespaces"].append({"type": "bogus"})


def _bad_rlimit(config):
    config["process"]["rlimits"] = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]


def _uid_not_int(config):
    config["process"]["user"]["uid"] = "zero"


def _unknown_capability(config):
    config["process"]["capabilities"]["bounding"].append("CAP_BOGUS")


def _relative_hook_path(config):
    H.add_hook(config, "createRuntime", "bin/true")


INVALID_CONFIGS = [
    pytest.param(_empty_args, "process.args", id="empty-args"),
    pytest.param(_no_root_path, "root.path", id="no-root-path"),
    pytest.param(_bad_namespace, "linux.namespaces", id="bad-namespace"),
    pytest.param(_bad_rlimit, "process.rlimits", id="bad-rlimit"),
    pytest.param(_uid_not_int, "process.user.uid", id="uid-not-int"),
    # runc 1.1 only warns about unknown capabilities.
    pytest.param(_unknown_capability, "process.capabilities.bounding", id="unknown-cap",
                 marks=pytest.mark.ours),
    # runc 1.1 accepts a relative hook path and fails only when running it.
    pytest.param(_relative_hook_path, "hooks.createRuntime", id="relative-hook",
                 marks=pytest.mark.ours),
]


@pytest.mark.parametrize("mutate,json_path", INVALID_CONFIGS)
def test_invalid_config_rejected(oci, mutate, json_path):
    config = oci.config(["true"])
    mutate(config)
    cid = oci.new_id()
    H.assert_fails(oci.rt.create(cid, oci.bundle(config)), json_path)
    assert_nothing_created(oci, cid, config)


def test_config_not_json(oci):
    cid = oci.new_id()
    bundle = oci.bundle({})
    with open(os.path.join(bundle, "config.json"), "w") as handle:
        handle.write("{not json")
    H.assert_fails(oci.rt.create(cid, bundle), "config.json")
    assert_nothing_created(oci, cid)


def test_missing_config(oci):
    cid = oci.new_id()
    bundle = os.path.join(oci.tmp, "empty-bundle")
    os.makedirs(bundle)
    H.assert_fails(oci.rt.create(cid, bundle), "config.json")
    assert_nothing_created(oci, cid)


def test_missing_bundle(oci):
    cid = oci.new_id()
    H.assert_fails(oci.rt.create(cid, os.path.join(oci.tmp, "no-such-bundle")))
    assert_nothing_created(oci, cid)


def test_missing_rootfs(oci):
    cid = oci.new_id()
    config = oci.config(["true"], rootfs=os.path.join(oci.tmp, "no-such-rootfs"))
    H.assert_fails(oci.rt.create(cid, oci.bundle(config)), "no-such-rootfs")
    assert_nothing_created(oci, cid, config)


@pytest.mark.parametrize("program", ["no-such-program", "/bin/no-such-program"])
def test_missing_executable_fails_at_create(oci, program):
    config = oci.config([program, "arg"])
    cid = oci.new_id()
    message = H.assert_fails(oci.rt.create(cid, oci.bundle(config)))
    assert "no-such-program" in message
    assert_nothing_created(oci, cid, config)


def test_missing_executable_fails_run(oci):
    config = oci.config(["no-such-program"])
    cid = oci.new_id()
    message = H.assert_fails(oci.rt.run(cid, oci.bundle(config)))
    assert "no-such-program" in message
    assert_nothing_created(oci, cid, config)


def test_not_executable_fails_at_create(oci):
    config = oci.config(["/etc/passwd"])
    cid = oci.new_id()
    H.assert_fails(oci.rt.create(cid, oci.bundle(config)), "/etc/passwd")
    assert_nothing_created(oci, cid, config)


def test_failed_create_does_not_disturb_others(oci):
    good = oci.new_id()
    oci.rt.create(good, oci.bundle(oci.config(["sleep", "30"]))).check()
    bad = oci.new_id()
    H.assert_fails(oci.rt.create(bad, oci.bundle(oci.config(["no-such-program"]))))
    assert oci.rt.status(good) == "created"
    listed = json.loads(oci.rt.list("--format", "json").check().stdout)
    assert [entry["id"] for entry in listed] == [good]
