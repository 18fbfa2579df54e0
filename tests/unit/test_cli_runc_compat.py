"""runc compatibility pieces without containers: signal 0, --cgroup parsing, events field order."""
import json

import pytest

from runtime.cgroups import subcgroups
from runtime.cli.stats_format import runc_event
from runtime.errors import CgroupError
from runtime.signals import SignalError, parse_signal


def test_signal_zero_only_as_a_probe():
    assert parse_signal("0", probe=True) == 0
    assert parse_signal(0, probe=True) == 0
    with pytest.raises(SignalError):
        parse_signal("0")  # a stop signal of 0 would never stop anything


@pytest.mark.parametrize("args,expected", [
    (["sub"], {"": "sub"}),
    (["memory:a/b"], {"memory": "a/b"}),
    (["cpu,cpuacct:x", "memory:y"], {"cpu": "x", "cpuacct": "x", "memory": "y"}),
])
def test_parse_sub_cgroups(args, expected):
    assert subcgroups.parse(args) == expected


@pytest.mark.parametrize("args", [["../up"], ["a/../.."], ["/abs"], ["memory:"], [":x"], ["a:b:c"],
                                  ["x", "y"], ["memory:./x"], ["memory:a//b"]])
def test_parse_sub_cgroups_refuses(args):
    with pytest.raises(CgroupError) as err:
        subcgroups.parse(args)
    assert "--cgroup" in str(err.value)


def _saved(tmp_path):
    paths = {}
    for name in ("cpu,cpuacct", "memory", "unified"):
        base = tmp_path / name.replace(",", "_") / "ctr"
        (base / "sub").mkdir(parents=True)
        paths[name] = str(base)
    hierarchies = [{"name": "cpu,cpuacct", "fstype": "cgroup"}, {"name": "memory", "fstype": "cgroup"},
                   {"name": "unified", "fstype": "cgroup2"}]
    return {"version": 1, "paths": paths, "hierarchies": hierarchies}


def test_below_applies_per_controller_and_to_all(tmp_path):
    saved = _saved(tmp_path)
    only_cpu = subcgroups.below(saved, {"cpuacct": "sub"})
    assert [(d.endswith("/sub"), v2) for d, v2 in only_cpu] == [(True, False), (False, False), (False, True)]
    everywhere = subcgroups.below(saved, {"": "sub"})
    assert all(d.endswith("/ctr/sub") for d, _v2 in everywhere)


def test_below_refuses_missing_dirs_and_unknown_controllers(tmp_path):
    saved = _saved(tmp_path)
    with pytest.raises(CgroupError, match="does not exist"):
        subcgroups.below(saved, {"memory": "nosuch"})
    with pytest.raises(CgroupError, match="hugetlb"):
        subcgroups.below(saved, {"hugetlb": "sub"})


def test_events_in_runc_field_order_with_omitempty():
    memory = {"usage": {"usage": 5, "failcnt": 0, "max": 0, "limit": 9}, "cache": 0}
    data = {"pids": {"limit": 0, "current": 3}, "memory": memory,
            "cpu": {"throttling": {"periods": 0, "throttledPeriods": 0, "throttledTime": 0},
                    "usage": {"user": 0, "kernel": 0, "total": 7, "percpu": []}},
            "hugetlb": {"2MB": {"failcnt": 0, "usage": 0, "max": 4}}, "extra": 1}
    out = json.dumps(runc_event({"data": data, "id": "c", "type": "stats"}))
    assert out == ('{"type": "stats", "id": "c", "data": {"cpu": {"usage": {"total": 7, "kernel": 0, "user": 0}, '
                   '"throttling": {}}, "memory": {"usage": {"limit": 9, "usage": 5, "failcnt": 0}}, '
                   '"pids": {"current": 3}, "hugetlb": {"2MB": {"max": 4, "failcnt": 0}}, "extra": 1}}')
