# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The modules' network options: annotations and namespaces in the desired config, info, oci_network check mode."""
from __future__ import absolute_import, division, print_function

import json
import os

import pytest

from ansible_collections.opencontainer.runtime.plugins.module_utils.container import options
from ansible_collections.opencontainer.runtime.plugins.module_utils.container.desired import OptionError, build_config
from ansible_collections.opencontainer.runtime.plugins.module_utils.container.network_glue import (
    converge_network, network_argument_spec, network_summary, network_value)

NET = "org.opencontainer.runtime.network"


def params(**kwargs):
    out = dict((o.name, o.default) for o in options.CONFIG_OPTIONS)
    out.update(state_root="/nonexistent", name="c")
    out.update(kwargs)
    return out


def network_ns(config):
    return [ns for ns in config["linux"]["namespaces"] if ns["type"] == "network"]


def test_options_declared():
    for name in ("network", "ip", "mac", "publish"):
        assert options.BY_NAME[name].path == "annotations"
    assert options.container_argument_spec()["publish"] == {"type": "list", "elements": "str"}


def test_no_network_options_no_annotations(tmp_path):
    config = build_config(params(), str(tmp_path))
    assert NET not in (config.get("annotations") or {})
    assert network_ns(config) == [{"type": "network"}]


def test_bridge_with_extras_renders_annotations(tmp_path):
    config = build_config(params(network="front", ip="10.1.0.5", mac="02:00:00:00:00:05",
                                 publish=["8080:80", "127.0.0.1:53:53/udp"], annotations={"a": "b"}), str(tmp_path))
    ann = config["annotations"]
    assert ann["a"] == "b" and ann[NET] == "bridge:front" and ann[NET + ".ip"] == "10.1.0.5"
    assert ann[NET + ".mac"] == "02:00:00:00:00:05"
    assert json.loads(ann[NET + ".publish"]) == ["8080:80/tcp", "127.0.0.1:53:53/udp"]
    assert network_ns(config) == [{"type": "network"}]


@pytest.mark.parametrize("value, expected", [("bridge", "bridge"), ("none", "none"), ("web", "bridge:web"),
                                             ("bridge:x", "bridge:x"), ("container:db", "container:db")])
def test_network_values(value, expected):
    assert network_value(value) == expected


def test_host_drops_the_namespace(tmp_path):
    config = build_config(params(network="host"), str(tmp_path))
    assert network_ns(config) == [] and config["annotations"][NET] == "host"


@pytest.mark.parametrize("kwargs, fragment", [
    ({"ip": "10.0.0.2"}, "need network"), ({"network": "host", "publish": ["80:80"]}, "only applies to bridge"),
    ({"network": "x", "publish": ["80"]}, "host_port"), ({"network": "bad name!"}, "invalid network name"),
    ({"network": "container:nobody"}, "does not exist"),
])
def test_bad_network_options(tmp_path, kwargs, fragment):
    with pytest.raises(OptionError, match=fragment):
        build_config(params(**kwargs), str(tmp_path))


def test_container_mode_joins_the_partner(tmp_path):
    root = tmp_path / "root"
    (root / "db").mkdir(parents=True)
    me = os.getpid()
    with open("/proc/self/stat") as handle:
        start = int(handle.read().rsplit(")", 1)[1].split()[19])
    (root / "db" / "state.json").write_text(json.dumps({"id": "db", "status": "running", "pid": me, "pid_start_time": start}))
    config = build_config(params(network="container:db", state_root=str(root)), str(tmp_path))
    assert network_ns(config) == [{"type": "network", "path": "/proc/%d/ns/net" % me}]


def test_network_summary():
    record = {"mode": "bridge", "network": "n", "bridge": "b", "ip": "10.0.0.2", "prefix": 24, "mac": "02:00:00:00:00:01",
              "gateway": "10.0.0.1", "ipv6": None, "host_ifname": "vethx",
              "publish": [{"host_ip": "", "host_port": 8080, "container_port": 80, "protocol": "tcp"}]}
    out = network_summary(record)
    assert out["cidr"] == "10.0.0.2/24" and out["ports"] == ["8080:80/tcp"] and "ipv6" not in out
    assert "host_ifname" not in out


def test_oci_network_check_mode_touches_nothing(tmp_path):
    root = str(tmp_path / "root")
    spec = network_argument_spec()
    p = dict((k, v.get("default")) for k, v in spec.items())
    p.update(name="n1", subnet="10.233.5.0/24", state_root=root)
    result = converge_network(p, check_mode=True)
    assert result["changed"] and result["diff"]["before"] == {} and result["network"]["gateway"] == "10.233.5.1"
    assert not os.path.exists(root)
    p["state"] = "absent"
    assert converge_network(p, check_mode=True) == {"changed": False, "network": None, "diff": {"before": {}, "after": {}}}
