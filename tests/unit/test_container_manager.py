# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The container manager's decisions (plan only: nothing is run)."""
from __future__ import absolute_import, division, print_function

import copy
import os

import pytest

from ansible_collections.opencontainer.runtime.plugins.module_utils.container import bundles, manager
from ansible_collections.opencontainer.runtime.plugins.module_utils.container.desired import (
    OptionError, desired_container)
from ansible_collections.opencontainer.runtime.plugins.module_utils.runtime.errors import InvalidIDError, SpecError

NEW = ["write_bundle", "create", "start"]
RECREATE_RUNNING = ["stop", "delete", "write_bundle", "create", "start"]


@pytest.fixture
def work(tmp_path):
    rootfs = tmp_path / "rootfs"
    (rootfs / "etc").mkdir(parents=True)
    (rootfs / "etc" / "passwd").write_text("root:x:0:0::/root:/bin/sh\nweb:x:1000:1001::/:/bin/sh\n")
    (rootfs / "etc" / "group").write_text("root:x:0:\nweb:x:1001:\nstaff:x:50:\n")
    return tmp_path


def params(work, **kw):
    base = {"name": "web", "state": "started", "state_root": str(work / "state"), "rootfs": str(work / "rootfs"),
            "bundle_dir": str(work / "bundle"), "command": "sleep 100", "recreate": "auto", "restart": False,
            "readonly_rootfs": False}
    base.update(kw)
    return base


def plan(p, status=None, config_from=None, check_mode=True):
    """Plan with a fake current container created from ``config_from`` params (same by default)."""
    m = manager.ContainerManager(p, check_mode=check_mode)
    current = None
    if status is not None:
        source = config_from if config_from is not None else p
        desired = desired_container(source)
        current = {"id": p["name"], "config": copy.deepcopy(desired.config), "bundle": desired.bundle,
                   "status": status}
        bundles.write(desired.bundle, desired.config)

    def fake_load():
        m.state = current
        m.status = status if status is not None else "absent"
    m.load = fake_load
    return m.plan(), m


def test_new_container_is_written_created_started(work):
    assert plan(params(work))[0] == NEW


def test_same_config_running_is_left_alone(work):
    assert plan(params(work), "running")[0] == []


def test_statuses_toward_started(work):
    p = params(work)
    assert plan(p, "created")[0] == ["start"]
    assert plan(p, "paused")[0] == ["resume"]
    # An OCI container cannot be started twice: a stopped one is made again.
    assert plan(p, "stopped")[0] == ["delete", "create", "start"]


def test_statuses_toward_stopped_and_created(work):
    assert plan(params(work, state="stopped"), "running")[0] == ["stop"]
    assert plan(params(work, state="stopped"), "paused")[0] == ["stop"]
    assert plan(params(work, state="stopped"), "created")[0] == []
    assert plan(params(work, state="stopped"), "stopped")[0] == []
    assert plan(params(work, state="stopped", bundle_dir=str(work / "b2")))[0] == ["write_bundle", "create"]
    assert plan(params(work, state="created"), "running")[0] == []
    assert plan(params(work, state="created", bundle_dir=str(work / "b3")))[0] == ["write_bundle", "create"]


def test_absent(work):
    p = params(work, state="absent")
    assert plan(p)[0] == []
    assert plan(p, "running")[0] == ["stop", "delete", "remove_bundle"]
    assert plan(p, "created")[0] == ["delete", "remove_bundle"]


def test_resource_difference_is_updated_in_place(work):
    actions, m = plan(params(work, memory="64m", pids_limit=20), "running", config_from=params(work, memory="32m"))
    assert actions == ["write_bundle", "update"]
    assert sorted(d.path for d in m.diffs) == ["linux.resources.memory.limit", "linux.resources.pids"]


def test_removing_a_limit_recreates(work):
    # There is no "unset" for a live cgroup value: a new container gets none.
    actions, _m = plan(params(work), "running", config_from=params(work, memory="32m"))
    assert actions == RECREATE_RUNNING


def test_other_differences_recreate(work):
    for change in ({"env": {"A": "1"}}, {"command": "sleep 5"}, {"hostname": "x"}, {"readonly_rootfs": True},
                   {"cap_add": ["NET_ADMIN"]}, {"ulimits": ["nofile:10:20"]}, {"user": "web"}):
        actions, m = plan(params(work, **change), "running", config_from=params(work))
        assert actions == RECREATE_RUNNING, change
        assert m.diffs, change


def test_recreate_modes_and_restart(work):
    changed = params(work, env={"A": "1"})
    actions, m = plan(dict(changed, recreate="never"), "running", config_from=params(work))
    assert actions == [] and m.diffs_reported_only and m.warnings
    assert plan(dict(params(work), recreate="always"), "running")[0] == RECREATE_RUNNING[:2] + ["create", "start"]
    assert plan(dict(params(work), restart=True), "running")[0] == ["stop", "delete", "create", "start"]


def test_comparisons_ignore_by_option_name_and_path(work):
    current = params(work)
    assert plan(params(work, env={"A": "1"}, comparisons={"env": "ignore"}), "running", current)[0] == []
    assert plan(params(work, env={"A": "1"}, comparisons={"process.env": "ignore"}), "running", current)[0] == []
    with pytest.raises(OptionError):
        plan(params(work, comparisons={"env": "sometimes"}), "running")


def test_ignored_difference_is_not_written_into_the_bundle(work):
    current = params(work)
    actions, m = plan(params(work, env={"A": "1"}, comparisons={"env": "ignore"}), "running", current)
    assert actions == [] and m.ignored == ["process.env"]
    # ...but a new container gets the whole desired config.
    actions, m = plan(params(work, env={"A": "1"}, comparisons={"env": "ignore"}), "stopped", current)
    assert actions == ["delete", "write_bundle", "create", "start"]


def test_name_only_acts_on_the_container_as_it_is(work):
    only_name = {"name": "web", "state": "stopped", "state_root": str(work / "state"), "recreate": "auto"}
    actions, m = plan(only_name, "running", config_from=params(work))
    assert actions == ["stop"] and not m.diffs
    actions, m = plan(dict(only_name, state="started"), "stopped", config_from=params(work))
    assert actions == ["delete", "create", "start"]
    with pytest.raises(OptionError):
        plan(dict(only_name, state="started"))


def test_capabilities_compare_as_sets(work):
    actions, m = plan(params(work, cap_add=["SYS_ADMIN", "NET_ADMIN"]), "running")
    assert actions == []
    m.state["config"]["process"]["capabilities"]["bounding"].reverse()
    assert not manager.drift.differences(m.state["config"], m.desired.config)


def test_bundle_directory_change_recreates(work):
    actions, m = plan(params(work, bundle_dir=str(work / "other")), "running", config_from=params(work))
    assert actions == RECREATE_RUNNING
    assert m.diffs[0].path == "bundle"


def test_bad_input_fails_before_anything(work):
    with pytest.raises(InvalidIDError):
        plan(params(work, name="../etc"))
    with pytest.raises(OptionError) as info:
        plan(params(work, rootfs=str(work / "missing")))
    assert "rootfs" in str(info.value)
    with pytest.raises(SpecError) as info:
        plan(params(work, spec={"process": {"args": []}}))
    assert "process.args" in str(info.value)
    with pytest.raises(OptionError):
        plan(params(work, bundle=str(work)))  # bundle with rootfs
    assert not os.path.exists(str(work / "state"))


def test_check_mode_diff_view_for_a_new_container(work):
    m = manager.ContainerManager(params(work), check_mode=True)
    result = m.converge()
    assert result["changed"] and result["actions"] == NEW
    assert result["diff"]["before"] == {"status": "absent"}
    assert result["diff"]["after"]["status"] == "running"
    # The options set and the config values they became; the whole config is in the container.
    assert result["diff"]["after"]["config"]["process.args"] == ["sleep", "100"]
    assert result["container"]["config"]["process"]["args"] == ["sleep", "100"]
    assert not os.path.exists(str(work / "bundle"))  # check mode wrote nothing


def _exited_pid():
    import subprocess
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def _waiting_manager(work, monitor_pid, monitor_start_time):
    m = manager.ContainerManager(params(work, wait=True, wait_timeout=30), check_mode=False)
    m.root.ensure()
    os.mkdir(m.root.container_dir("web"))
    m.root.save({"id": "web", "status": "running", "pid": _exited_pid(), "pid_start_time": 1,
                 "monitor_pid": monitor_pid, "monitor_start_time": monitor_start_time})
    return m


def test_wait_returns_the_recorded_exit_code(work):
    import threading
    from ansible_collections.opencontainer.runtime.plugins.module_utils.runtime.standalone import stateio
    m = _waiting_manager(work, os.getpid(), stateio.proc_stat(os.getpid())[1])
    recorded = dict(m.root.load("web"), status="stopped", exit_code=5)
    recorder = threading.Timer(0.2, m.root.save, (recorded,))
    recorder.start()
    try:
        assert m._wait() == 5
    finally:
        recorder.cancel()


def test_wait_does_not_hang_when_the_monitor_was_killed(work):
    import time
    m = _waiting_manager(work, _exited_pid(), None)
    began = time.monotonic()
    assert m._wait() is None  # nobody can know the exit code; wait_timeout is not waited out
    assert time.monotonic() - began < 1.0


def _damaged(work, p):
    """A container directory whose state.json is truncated."""
    cdir = work / "state" / p["name"]
    cdir.mkdir(parents=True)
    (cdir / "state.json").write_text('{"ociVersion": "1.2.0", "id": "web", "sta')
    return str(cdir / "state.json")


def test_unreadable_state_absent_plans_a_forced_delete(work):
    p = params(work, state="absent")
    path = _damaged(work, p)
    bundles.write(p["bundle_dir"], {"ociVersion": "1.2.0"})
    m = manager.ContainerManager(p, check_mode=True)
    result = m.converge()
    assert result["actions"] == ["delete", "remove_bundle"]
    assert result["changed"] is True
    assert result["diff"]["before"] == {"status": "unknown"}
    assert os.path.isfile(path)  # check mode


@pytest.mark.parametrize("want", ["started", "stopped", "created"])
def test_unreadable_state_fails_naming_the_file_unless_absent(work, want):
    p = params(work, state=want)
    path = _damaged(work, p)
    with pytest.raises(manager.RuntimeFailure) as err:
        manager.ContainerManager(p, check_mode=True).plan()
    assert path in str(err.value) and "absent" in str(err.value)


def test_info_lists_unreadable_state_as_unknown(work):
    from ansible_collections.opencontainer.runtime.plugins.module_utils.container.info import container_info
    path = _damaged(work, params(work))
    for result in (container_info(str(work / "state")), container_info(str(work / "state"), "web")):
        assert [(c["id"], c["status"]) for c in result["containers"]] == [("web", "unknown")]
        assert path in result["containers"][0]["reason"]
