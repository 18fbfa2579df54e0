# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""oom_killed: the counter at create (cgroups/oom.py) and the monitor's comparison at exit."""
import os
import sys

import pytest

from runtime.cgroups import detect
from runtime.cgroups.manager import CgroupManager
from runtime.cgroups.oom import oom_record
from runtime.standalone import stateio

STANDALONE = os.path.join(os.path.dirname(stateio.__file__))

V1_OOM_CONTROL = "oom_kill_disable 0\nunder_oom 0\noom_kill %d\n"
V2_EVENTS = "low 0\nhigh 0\nmax 7\noom 3\noom_kill %d\noom_group_kill 0\n"


def _manager(tmp_path, mode, hierarchies):
    manager = CgroupManager("c1", mode, hierarchies, "opencontainer/c1")
    for directory in manager.paths.values():
        os.makedirs(directory)
    return manager


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


@pytest.mark.parametrize("text,count", [
    (V1_OOM_CONTROL % 4, 4), (V2_EVENTS % 2, 2), ("oom_kill_disable 0\nunder_oom 0\n", None),
    ("", None), ("oom_kill x\n", None),
])
def test_oom_kill_count_reads_v1_and_v2_files(tmp_path, text, count):
    path = str(tmp_path / "events")
    _write(path, text)
    assert stateio.oom_kill_count(path) == count


def test_oom_kill_count_of_a_missing_file_is_none(tmp_path):
    assert stateio.oom_kill_count(str(tmp_path / "gone")) is None


def test_hybrid_host_counts_in_the_v1_memory_hierarchy(tmp_path):
    manager = _manager(tmp_path, detect.HYBRID, [
        detect.Hierarchy("pids", "cgroup", str(tmp_path / "pids"), ["pids"]),
        detect.Hierarchy("unified", "cgroup2", str(tmp_path / "unified"), []),
        detect.Hierarchy("memory", "cgroup", str(tmp_path / "memory"), ["memory"]),
    ])
    v1 = os.path.join(manager.paths["memory"], "memory.oom_control")
    _write(v1, V1_OOM_CONTROL % 3)
    _write(os.path.join(manager.paths["unified"], "memory.events"), V2_EVENTS % 9)
    assert oom_record(manager) == {"file": v1, "at_create": 3}


def test_unified_host_counts_in_memory_events(tmp_path):
    manager = _manager(tmp_path, detect.UNIFIED, [
        detect.Hierarchy("", "cgroup2", str(tmp_path / "root"), ["memory", "pids"])])
    events = os.path.join(manager.paths[""], "memory.events")
    _write(events, V2_EVENTS % 0)
    assert oom_record(manager) == {"file": events, "at_create": 0}


def test_without_a_memory_controller_nothing_is_counted(tmp_path):
    # cgroup2 without the memory controller enabled has no memory.events.
    manager = _manager(tmp_path, detect.UNIFIED, [
        detect.Hierarchy("", "cgroup2", str(tmp_path / "root"), ["pids"])])
    assert oom_record(manager) is None


@pytest.fixture
def monitor():
    sys.path.insert(0, STANDALONE)  # as the monitor's copy runs: its siblings are top-level modules
    try:
        import monitor as module
        yield module
    finally:
        sys.path.remove(STANDALONE)


@pytest.mark.parametrize("at_create,now,expected", [(2, 3, True), (2, 2, False), (0, 0, False)])
def test_monitor_records_oom_killed_against_the_count_at_create(tmp_path, monitor, at_create, now, expected):
    counter = str(tmp_path / "memory.oom_control")
    _write(counter, V1_OOM_CONTROL % now)
    container = tmp_path / "c1"
    container.mkdir()
    stateio.write_json(str(container), {"id": "c1", "status": "running", "pid": 42, "monitor_pid": os.getpid(),
                                        "oom_events": {"file": counter, "at_create": at_create}})
    fd = os.open(str(container), os.O_RDONLY | os.O_DIRECTORY)
    try:
        state = monitor.record_exit(str(container), fd, 42, 137, 9)
    finally:
        os.close(fd)
    assert state["oom_killed"] is expected
    assert stateio.read_json(str(container))["oom_killed"] is expected


@pytest.mark.parametrize("record", [None, {"file": "/nonexistent/memory.events", "at_create": 0},
                                    {"file": "x", "at_create": "0"}, "junk"])
def test_unknown_when_the_host_cannot_tell(record):
    assert stateio.oom_killed({"oom_events": record}) is None
