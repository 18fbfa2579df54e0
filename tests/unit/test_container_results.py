# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What runs report: --diff views, check mode's predicted container, oci_containers' lists."""
from __future__ import absolute_import, division, print_function

import copy

import pytest

from ansible_collections.opencontainer.runtime.plugins.module_utils.container import bundles, manager, results
from ansible_collections.opencontainer.runtime.plugins.module_utils.container.desired import desired_container


@pytest.fixture
def work(tmp_path):
    rootfs = tmp_path / "rootfs"
    (rootfs / "etc").mkdir(parents=True)
    (rootfs / "etc" / "passwd").write_text("root:x:0:0::/root:/bin/sh\n")
    (rootfs / "etc" / "group").write_text("root:x:0:\n")
    return tmp_path


def params(work, **kw):
    base = {"name": "web", "state": "started", "state_root": str(work / "state"), "rootfs": str(work / "rootfs"),
            "bundle_dir": str(work / "bundle"), "command": "sleep 100", "recreate": "auto", "restart": False,
            "readonly_rootfs": False, "env": {"MODE": "test"}, "memory": "64m", "stop_timeout": 10.0}
    base.update(kw)
    return base


def converge_check(p, status=None, config_from=None):
    """converge() in check mode against a fake container created from ``config_from`` (or none)."""
    m = manager.ContainerManager(p, check_mode=True)
    current = None
    if status is not None:
        desired = desired_container(config_from or p)
        current = {"id": p["name"], "config": copy.deepcopy(desired.config), "bundle": desired.bundle,
                   "status": status, "ociVersion": "1.2.0", "annotations": {}, "pid": 4242}
        bundles.write(desired.bundle, desired.config)

    def fake_load():
        m.state = current
        m.status = status if status is not None else "absent"
    m.load = fake_load
    return m.converge()


def test_check_mode_new_container_is_returned_as_it_would_be(work):
    result = converge_check(params(work))
    assert result["actions"] == ["write_bundle", "create", "start"]
    container = result["container"]
    assert container["id"] == "web"
    assert container["status"] == "running"
    assert container["bundle"] == str(work / "bundle")
    assert container["config"]["process"]["args"] == ["sleep", "100"]
    assert result["diff"]["after"]["status"] == "running"


def test_check_mode_new_created_container_status(work):
    assert converge_check(params(work, state="created"))["container"]["status"] == "created"
    assert converge_check(params(work, state="stopped"))["container"]["status"] == "created"
    assert converge_check(params(work, state="absent"))["container"] == {}


def test_check_mode_existing_container_status_as_it_would_be(work):
    assert converge_check(params(work), "created")["container"]["status"] == "running"
    stopped = converge_check(params(work, state="stopped"), "running")["container"]
    assert stopped["status"] == "stopped"
    assert "pid" not in stopped
    assert stopped["config"]["process"]["args"] == ["sleep", "100"]
    recreated = converge_check(params(work, env={"MODE": "other"}), "running", config_from=params(work))
    assert recreated["container"]["status"] == "running"
    assert "MODE=other" in recreated["container"]["config"]["process"]["env"]


def test_new_container_diff_shows_options_and_their_config_values(work):
    diff = converge_check(params(work))["diff"]
    assert diff["before"] == {"status": "absent"}
    after = diff["after"]
    assert after["options"] == {"rootfs": str(work / "rootfs"), "command": "sleep 100", "env": {"MODE": "test"},
                                "memory": "64m"}
    assert sorted(after["config"]) == ["linux.resources.memory.limit", "process.args", "process.env"]
    assert after["config"]["process.args"] == ["sleep", "100"]
    assert after["config"]["linux.resources.memory.limit"] == 64 * 1024 * 1024
    assert "MODE=test" in after["config"]["process.env"]
    # Not the whole config.json: that is in the result's container.
    assert "root" not in after["config"] and "linux" not in after["config"]


def test_new_container_diff_after_a_real_create(work):
    """After the create, the manager holds the new container's state: the diff still shows the options."""
    m = manager.ContainerManager(params(work), check_mode=True)
    m.plan()
    m.actions = ["write_bundle", "create", "start"]
    m.state = {"id": "web", "config": m.desired.config}
    m.check_mode = False
    after = results.after_view(m, {"id": "web", "status": "running"})
    assert after["status"] == "running"
    assert after["options"]["command"] == "sleep 100"
    assert after["config"]["process.args"] == ["sleep", "100"]


def test_changed_container_diff_names_only_the_differences(work):
    diff = converge_check(params(work, env={"MODE": "other"}), "running", config_from=params(work))["diff"]
    assert list(diff["after"]["config"]) == ["process.env"]
    assert "options" not in diff["after"]


def test_config_value_walks_dotted_paths():
    config = {"process": {"args": ["a"]}, "linux": {"resources": {"memory": {"limit": 5}}}}
    assert results.config_value(config, "process.args") == ["a"]
    assert results.config_value(config, "linux.resources.memory.limit") == 5
    assert results.config_value(config, "linux.resources.pids.limit") is None
    assert results.config_value(config, "process.args.x") is None
    assert results.config_value(config, "") == config


def item(name, actions, before=None, changed=True):
    return {"name": name, "actions": actions, "changed": changed,
            "diff": {"before": before or {"status": "running"}, "after": {"status": "running"}}}


def test_summary_lists_from_actions():
    lists = results.summary([
        item("new", ["write_bundle", "create", "start"], {"status": "absent"}),
        item("changed", ["stop", "delete", "write_bundle", "create", "start"],
             {"status": "running", "config": {"process.env": []}}),
        item("always", ["stop", "delete", "create", "start"]),
        item("resized", ["write_bundle", "update"]),
        item("was_stopped", ["delete", "create", "start"], {"status": "stopped"}),
        item("was_stopped_changed", ["delete", "write_bundle", "create", "start"],
             {"status": "stopped", "config": {"process.env": []}}),
        item("was_created", ["start"], {"status": "created"}),
        item("was_paused", ["resume"], {"status": "paused"}),
        item("halted", ["stop"]),
        item("gone", ["stop", "delete", "remove_bundle"]),
        item("same", [], changed=False),
    ])
    assert lists == {
        "created": ["new"],
        "recreated": ["changed", "always", "was_stopped_changed"],
        "updated": ["resized"],
        "started": ["was_stopped", "was_created", "was_paused"],
        "stopped": ["halted"],
        "removed": ["gone"],
    }


def test_batch_diff_only_changed_containers_by_name():
    diff = results.batch_diff([item("a", ["start"], {"status": "created"}), item("b", [], changed=False)])
    assert diff == {"before": {"a": {"status": "created"}}, "after": {"a": {"status": "running"}}}
