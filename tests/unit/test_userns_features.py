# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests: id maps, time offsets, personality and LSM checks (no containers)."""
from __future__ import absolute_import, division, print_function

import os

import pytest

from runtime import namespaces
from runtime.errors import (
    RuntimeFailure, SecurityError, UnsupportedError)
from runtime.lifecycle.support import check_supported
from runtime.security import lsm, personality


def test_id_map_text():
    maps = [{"containerID": 0, "hostID": 100000, "size": 65536}, {"containerID": 65536, "hostID": 5, "size": 1}]
    assert namespaces.id_map_text(maps) == "0 100000 65536\n65536 5 1\n"
    assert namespaces.id_map_text(None) == ""


def test_write_id_maps_writes_both_files(tmp_path):
    (tmp_path / "42").mkdir()
    for name in ("uid_map", "gid_map"):
        (tmp_path / "42" / name).write_text("")
    config = {"linux": {"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 10}],
                        "gidMappings": [{"containerID": 0, "hostID": 2000, "size": 5}]}}
    namespaces.write_id_maps(42, config, proc_root=str(tmp_path))
    assert (tmp_path / "42" / "uid_map").read_text() == "0 1000 10\n"
    assert (tmp_path / "42" / "gid_map").read_text() == "0 2000 5\n"


def test_write_id_maps_names_the_field(tmp_path):
    config = {"linux": {"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 10}]}}
    with pytest.raises(RuntimeFailure, match="linux.uidMappings: writing uid_map"):
        namespaces.write_id_maps(42, config, proc_root=str(tmp_path))


def test_time_offsets_text_and_write(tmp_path):
    offsets = {"monotonic": {"secs": 5}, "boottime": {"secs": -3, "nanosecs": 7}}
    assert namespaces.time_offsets_text(offsets) == "boottime -3 7\nmonotonic 5 0\n"
    (tmp_path / "self").mkdir()
    namespaces.write_time_offsets(offsets, proc_root=str(tmp_path))
    assert (tmp_path / "self" / "timens_offsets").read_text() == "boottime -3 7\nmonotonic 5 0\n"
    namespaces.write_time_offsets({}, proc_root="/nonexistent")  # nothing to write


def test_enter_skips_user_and_time_by_default():
    calls = []

    class Sc(object):
        def unshare(self, flags):
            calls.append(flags)

    config = {"linux": {"namespaces": [{"type": t} for t in ("user", "time", "pid", "uts")]}}
    namespaces.enter(config, syscalls=Sc())
    assert calls == [namespaces.C.CLONE_NEWUTS]


def test_personality_values():
    assert personality.persona(None) is None
    assert personality.persona({"domain": "LINUX"}) == 0
    assert personality.persona({"domain": "LINUX32", "flags": []}) == 8
    with pytest.raises(UnsupportedError, match="linux.personality.flags"):
        personality.persona({"domain": "LINUX", "flags": ["ADDR_NO_RANDOMIZE"]})
    with pytest.raises(UnsupportedError, match="linux.personality.domain"):
        personality.persona({"domain": "SVR4"})

    class Sc(object):
        value = None

        def personality(self, value):
            Sc.value = value
    personality.apply_personality({"domain": "LINUX32"}, syscalls=Sc())
    assert Sc.value == 8


@pytest.mark.parametrize("config,expect", [
    ({"process": {"apparmorProfile": "p"}}, "process.apparmorProfile"),
    ({"process": {"selinuxLabel": "l"}}, "process.selinuxLabel"),
    ({"linux": {"mountLabel": "l"}}, "linux.mountLabel"),
])
def test_lsm_without_the_lsm(config, expect):
    with pytest.raises(UnsupportedError, match=expect + ".*not enabled on this host"):
        lsm.check_supported(config, apparmor=False, selinux=False)


def test_lsm_empty_values_mean_no_label():
    config = {"process": {"apparmorProfile": "", "selinuxLabel": ""}, "linux": {"mountLabel": ""}}
    lsm.check_supported(config, apparmor=False, selinux=False)
    check_supported({"process": {"apparmorProfile": "", "selinuxLabel": "", "args": ["true"]},
                     "linux": {"mountLabel": ""}})


def test_lsm_with_the_lsm():
    lsm.check_supported({"process": {"apparmorProfile": "p", "selinuxLabel": "l"}, "linux": {"mountLabel": "l"}},
                        apparmor=True, selinux=True)


def test_lsm_detection(tmp_path):
    enabled = tmp_path / "enabled"
    enabled.write_text("Y\n")
    assert lsm.apparmor_enabled(str(enabled))
    enabled.write_text("N\n")
    assert not lsm.apparmor_enabled(str(enabled))
    assert not lsm.apparmor_enabled(str(tmp_path / "missing"))
    assert not lsm.selinux_enabled(str(tmp_path / "missing"))


def test_apply_exec_labels(tmp_path):
    attr = tmp_path / "self" / "attr"
    (attr / "apparmor").mkdir(parents=True)
    lsm.apply_exec_labels({"apparmorProfile": "docker-default", "selinuxLabel": "system_u:r:t:s0"},
                          proc_root=str(tmp_path))
    assert (attr / "apparmor" / "exec").read_text() == "exec docker-default"
    assert (attr / "exec").read_text() == "system_u:r:t:s0"
    lsm.apply_exec_labels({"apparmorProfile": ""}, proc_root="/nonexistent")


def test_apply_exec_labels_without_attr_files(tmp_path):
    with pytest.raises(SecurityError, match="process.selinuxLabel"):
        lsm.apply_exec_labels({"selinuxLabel": "x"}, proc_root=str(tmp_path))


def test_check_supported_accepts_user_and_time_namespaces():
    config = {"process": {"args": ["true"]},
              "linux": {"namespaces": [{"type": "user"}, {"type": "mount"}] + (
                  [{"type": "time"}] if os.path.exists("/proc/self/ns/time") else []),
                  "uidMappings": [{"containerID": 0, "hostID": 1, "size": 1}],
                  "personality": {"domain": "LINUX"}}}
    check_supported(config)
