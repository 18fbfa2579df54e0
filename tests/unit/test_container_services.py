# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""restart_policy, restart_retries, healthcheck, healthcheck_failure_action to annotations."""
from __future__ import absolute_import, division, print_function

import json

import pytest

from ansible_collections.opencontainer.runtime.plugins.module_utils.container import service_glue
from ansible_collections.opencontainer.runtime.plugins.module_utils.container.desired import OptionError, build_config

RESTART = "org.opencontainer.runtime.restart"
HEALTH = "org.opencontainer.runtime.healthcheck"


def render(**params):
    return service_glue.apply_service_options({}, params).get("annotations", {})


def test_policies():
    assert render() == {}
    assert render(restart_policy="no") == {}
    assert render(restart_policy="always") == {RESTART: "always"}
    assert render(restart_policy="unless-stopped") == {RESTART: "unless-stopped"}
    assert render(restart_policy="on-failure") == {RESTART: "on-failure"}
    assert render(restart_policy="on-failure", restart_retries=3) == {RESTART: "on-failure:3"}
    assert render(restart_policy="on-failure", restart_retries=0) == {RESTART: "on-failure"}


@pytest.mark.parametrize("params,mention", [
    ({"restart_policy": "always", "restart_retries": 2}, "restart_retries: only applies"),
    ({"restart_retries": 2}, "restart_retries: only applies"),
    ({"restart_policy": "on-failure", "restart_retries": -1}, "restart_retries: must be 0"),
    ({"restart_policy": "sometimes"}, "restart_policy:"),
    ({"healthcheck_failure_action": "kill"}, "healthcheck_failure_action: needs healthcheck"),
    ({"healthcheck": {"interval": 3}}, "healthcheck.test: is required"),
    ({"healthcheck": {"test": "true", "every": 3}}, "healthcheck.every: unknown"),
    ({"healthcheck": {"test": "true", "interval": "soon"}}, "healthcheck.interval"),
    ({"healthcheck": {"test": "true", "interval": 0}}, "interval: must be more than 0"),
    ({"healthcheck": {"test": "true", "retries": 0}}, "retries: must be an integer >= 1"),
    ({"healthcheck": {"test": []}}, "healthcheck.test"),
    ({"healthcheck": {"test": ["CMD"]}}, "CMD needs a command"),
])
def test_errors_name_the_option(params, mention):
    with pytest.raises(OptionError) as info:
        render(**params)
    assert mention in str(info.value)


def test_healthcheck_forms_and_durations():
    value = json.loads(render(healthcheck={"test": "wget -q -O- localhost", "interval": "1m30s", "timeout": "500ms",
                                           "start_period": 2, "retries": "5"},
                              healthcheck_failure_action="restart")[HEALTH])
    assert value == {"test": ["/bin/sh", "-c", "wget -q -O- localhost"], "interval": 90.0, "timeout": 0.5,
                     "start_period": 2.0, "retries": 5, "on_failure": "restart"}
    assert json.loads(render(healthcheck={"test": ["CMD", "cat", "/ok"]})[HEALTH])["test"] == ["cat", "/ok"]
    assert json.loads(render(healthcheck={"test": ["CMD-SHELL", "test -f /ok"]})[HEALTH])["test"] == \
        ["/bin/sh", "-c", "test -f /ok"]
    assert json.loads(render(healthcheck={"test": ["cat", "/ok"]})[HEALTH])["interval"] == 30.0
    assert render(healthcheck={"test": ["NONE"]}) == {}


def test_rendering_is_stable_for_comparison():
    one = render(healthcheck={"test": "true", "interval": 1, "retries": 2})
    two = render(healthcheck={"retries": 2, "interval": "1s", "test": "true"})
    assert one == two


def test_build_config_keeps_user_annotations(tmp_path):
    config = build_config({"annotations": {"a": "b"}, "restart_policy": "always",
                           "healthcheck": {"test": "true"}}, str(tmp_path))
    assert config["annotations"]["a"] == "b"
    assert config["annotations"][RESTART] == "always"
    assert HEALTH in config["annotations"]
