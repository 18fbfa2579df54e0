# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
import errno

import pytest

from runtime.errors import SecurityError, SyscallError
from runtime.security.capabilities import CAPABILITIES, CapabilitySets, read_last_cap
from runtime.security.capabilities import capability_name, mask_of, numbers_in
from runtime.syscalls import consts as C
from runtime.syscalls.fake import FakeSyscalls


def test_masks_from_names():
    caps = CapabilitySets.from_config({
        "bounding": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
        "effective": ["CAP_CHOWN"],
        "permitted": ["CAP_CHOWN", "CAP_SYS_ADMIN"],
        "inheritable": ["CAP_CHECKPOINT_RESTORE"],
        "ambient": ["CAP_SETUID", "CAP_SETGID"],
    }, last_cap=40)
    assert caps.bounding == (1 << 5) | (1 << 10) == 0x420
    assert caps.effective == 0x1
    assert caps.permitted == 0x1 | (1 << 21)
    assert caps.inheritable == 1 << 40
    assert caps.ambient == 0xC0
    assert caps.warnings == []


def test_absent_capabilities_means_empty_sets():
    caps = CapabilitySets.from_config(None, last_cap=40)
    assert caps.as_dict() == dict.fromkeys(
        ["bounding", "effective", "permitted", "inheritable", "ambient"], 0)
    partial = CapabilitySets.from_config({"bounding": ["CAP_KILL"]}, last_cap=40)
    assert partial.bounding == 1 << 5 and partial.effective == 0 and partial.ambient == 0


def test_unknown_name_names_set_and_index():
    with pytest.raises(SecurityError) as info:
        CapabilitySets.from_config({"permitted": ["CAP_KILL", "CAP_FLY"]}, last_cap=40)
    assert "process.capabilities.permitted[1]" in str(info.value)
    assert "CAP_FLY" in str(info.value)


@pytest.mark.parametrize("bad", ["cap_kill", "KILL", 5, None])
def test_names_are_exact(bad):
    with pytest.raises(SecurityError, match=r"process\.capabilities\.effective\[0\]"):
        CapabilitySets.from_config({"effective": [bad]}, last_cap=40)


def test_set_must_be_a_list():
    with pytest.raises(SecurityError, match=r"process\.capabilities\.bounding: must be an array"):
        CapabilitySets.from_config({"bounding": "CAP_KILL"}, last_cap=40)
    with pytest.raises(SecurityError, match=r"process\.capabilities: must be an object"):
        CapabilitySets.from_config(["CAP_KILL"], last_cap=40)


def test_caps_beyond_kernel_are_dropped_with_warning():
    caps = CapabilitySets.from_config(
        {"bounding": ["CAP_KILL", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"]}, last_cap=37)
    assert caps.bounding == 1 << 5
    assert len(caps.warnings) == 2
    assert "process.capabilities.bounding[1]" in caps.warnings[0]
    assert "CAP_BPF" in caps.warnings[0] and "37" in caps.warnings[0]


def test_ambient_problems():
    caps = CapabilitySets.from_config({
        "permitted": ["CAP_KILL", "CAP_CHOWN"], "inheritable": ["CAP_CHOWN"],
        "ambient": ["CAP_KILL", "CAP_CHOWN", "CAP_SYS_ADMIN"]}, last_cap=40)
    problems = caps.ambient_problems()
    assert len(problems) == 2
    assert "CAP_KILL" in problems[0] and "inheritable" in problems[0]
    assert "CAP_SYS_ADMIN" in problems[1] and "permitted and inheritable" in problems[1]


def test_table_is_complete_and_consistent():
    assert sorted(CAPABILITIES.values()) == list(range(41))
    assert CAPABILITIES["CAP_CHOWN"] == 0 and CAPABILITIES["CAP_SYS_ADMIN"] == 21
    assert capability_name(10) == "CAP_NET_BIND_SERVICE"
    assert capability_name(63) == "capability 63"
    assert numbers_in(mask_of([0, 5, 40])) == [0, 5, 40]


def test_table_is_the_spec_rooms_table():
    from runtime.spec import names
    assert CAPABILITIES is names.CAPABILITIES


def test_read_last_cap_from_proc(tmp_path):
    (tmp_path / "sys" / "kernel").mkdir(parents=True)
    (tmp_path / "sys" / "kernel" / "cap_last_cap").write_text("38\n")
    assert read_last_cap(str(tmp_path), syscalls=FakeSyscalls()) == 38


def test_read_last_cap_probes_bounding_set_without_proc(tmp_path):
    class Probe(FakeSyscalls):
        def prctl(self, option, a2=0, a3=0, a4=0, a5=0):
            FakeSyscalls.prctl(self, option, a2, a3, a4, a5)
            if option == C.PR_CAPBSET_READ and a2 > 36:
                raise SyscallError("prctl", errno.EINVAL)
            return 1
    fake = Probe()
    assert read_last_cap(str(tmp_path / "absent"), syscalls=fake) == 36
    assert [c[2] for c in fake.calls] == list(range(38))
