# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The modules' side of restart policies and health checks, with real containers (our extension).

The container manager (what oci_container runs) against the test's own state root.
"""
from __future__ import absolute_import, division, print_function

import time

import pytest

import itest_helpers as H
from ansible_collections.opencontainer.runtime.plugins.module_utils.container.info import container_info
from ansible_collections.opencontainer.runtime.plugins.module_utils.container.manager import ContainerManager
from ansible_collections.opencontainer.runtime.plugins.module_utils.runtime.errors import RuntimeFailure

pytestmark = pytest.mark.ours


@pytest.fixture
def services_dir(tmp_path, monkeypatch):
    path = str(tmp_path / "services")
    monkeypatch.setenv("OCI_RUNTIME_SERVICES_DIR", path)
    return path


def params(oci, name, **kw):
    oci.rt._remember(name)
    base = {"name": name, "state": "started", "state_root": oci.rt.root, "rootfs": oci.rootfs,
            "bundle_dir": "%s/bundle-%s" % (oci.tmp, name), "command": ["sleep", "1000"], "recreate": "auto",
            "restart": False, "readonly_rootfs": True, "stop_timeout": 5.0, "wait_timeout": 20.0,
            "spec": {"linux": {"cgroupsPath": "%s/%s" % (oci.cgroup_prefix, name)}}}
    base.update(kw)
    return base


def converge(p):
    return ContainerManager(p).converge()


def test_policy_in_result_and_info_then_idempotent(oci, services_dir):
    name = oci.new_id()
    p = params(oci, name, command=["sh", "-c", "sleep 0.3; exit 2"], restart_policy="on-failure", restart_retries=2)
    result = converge(p)
    assert result["changed"] and result["container"]["restart_policy"] == "on-failure:2"
    assert result["container"]["restart_count"] == 0
    H.wait_for(lambda: oci.rt.read_state_file(name).get("restart_count") == 2
               and oci.rt.read_state_file(name).get("status") == "stopped"
               and not oci.rt.read_state_file(name).get("restart_next_attempt"), 20, what="two restarts, then stopped")
    info = container_info(oci.rt.root, name)["containers"][0]
    assert info["restart_count"] == 2
    assert info["restart_last_exit"]["exit_code"] == 2
    # a restarted container keeps its config: the same options change nothing while it runs
    p2 = params(oci, name + "x", restart_policy="always")
    converge(p2)
    oci.rt.kill(name + "x", "KILL", all_processes=False)  # a user stop ...
    H.wait_for(lambda: oci.rt.read_state_file(name + "x").get("status") == "stopped", 10, what="stopped")
    assert converge(dict(p2, state="stopped"))["changed"] is False
    assert converge(p2)["actions"] == ["delete", "create", "start"]  # ... until asked to start again
    H.wait_for(lambda: oci.rt.read_state_file(name + "x").get("status") == "running", 10, what="running")
    assert converge(p2)["changed"] is False


def test_stopped_cancels_a_pending_restart(oci, services_dir):
    name = oci.new_id()
    p = params(oci, name, command=["sh", "-c", "exit 1"], restart_policy="always")
    converge(p)
    H.wait_for(lambda: (oci.rt.read_state_file(name).get("restart_backoff") or 0) >= 0.8
               and oci.rt.read_state_file(name).get("restart_next_attempt"), 20, what="a restart waiting")
    result = converge(dict(p, state="stopped"))
    assert result["actions"] == ["stop"]
    count = oci.rt.read_state_file(name).get("restart_count")
    time.sleep(2.0)
    state = oci.rt.read_state_file(name)
    assert state["status"] == "stopped" and state["stop_requested"] is True
    assert state.get("restart_count") == count
    assert converge(dict(p, state="stopped"))["changed"] is False


def test_absent_removes_container_and_record(oci, services_dir):
    name = oci.new_id()
    p = params(oci, name, restart_policy="unless-stopped")
    converge(p)
    record = oci.rt.read_state_file(name)["service_record"]
    assert converge(dict(p, state="absent"))["changed"]
    import os
    assert not os.path.exists(record)


def test_wait_healthy(oci, services_dir):
    name = oci.new_id()
    p = params(oci, name, healthcheck={"test": "sleep 0.2; echo ready", "interval": 0.2, "retries": 2},
               wait_healthy=True)
    began = time.monotonic()
    result = converge(p)
    assert time.monotonic() - began < 15
    assert result["container"]["health"]["status"] == "healthy"
    assert "ready" in result["container"]["health"]["log"][-1]["output"]
    info = container_info(oci.rt.root, name)["containers"][0]
    assert info["health"]["status"] == "healthy"


def test_wait_healthy_fails_with_the_last_output(oci, services_dir):
    name = oci.new_id()
    p = params(oci, name, healthcheck={"test": "echo not yet; exit 3", "interval": 0.2, "retries": 1},
               wait_healthy=True, wait_timeout=2.0)
    with pytest.raises(RuntimeFailure) as info:
        converge(p)
    message = str(info.value)
    assert "not healthy after 2s" in message and "unhealthy" in message
    assert "exit 3" in message and "not yet" in message
