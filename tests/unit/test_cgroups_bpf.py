# -*- coding: utf-8 -*-
"""The cgroup v2 device filter: the generated eBPF program is run by a small
interpreter of the instructions it uses and compared with the OCI rule
semantics (last matching rule wins, default deny)."""
import errno
import itertools
import struct
import sys

import pytest

from runtime.cgroups import devices, devices_bpf
from runtime.cgroups.devices import normalize_rules
from runtime.errors import CgroupError, UnsupportedError
from runtime.syscalls.fake import FakeSyscalls

ACCESS = {"r": 2, "w": 4, "m": 1}
TYPES = {"c": 2, "b": 1}


def decode(program):
    assert len(program) % 8 == 0
    insns = []
    for offset in range(0, len(program), 8):
        if sys.byteorder == "little":
            code, regs, off, imm = struct.unpack_from("<BBhi", program, offset)
            dst, src = regs & 0xF, regs >> 4
        else:
            code, regs, off, imm = struct.unpack_from(">BBhi", program, offset)
            dst, src = regs >> 4, regs & 0xF
        insns.append((code, dst, src, off, imm))
    return insns


def run(program, dev_type, major, minor, access):
    """Execute ``program`` on a bpf_cgroup_dev_ctx; returns r0."""
    ctx = struct.pack("=III", (access << 16) | dev_type, major, minor)
    insns = decode(program)
    regs = [0] * 11
    pc = 0
    steps = 0
    while True:
        assert 0 <= pc < len(insns), "fell off the program"
        steps += 1
        assert steps < 10000
        code, dst, src, off, imm = insns[pc]
        pc += 1
        if code == 0x61:
            assert src == 1 and off in (0, 4, 8)
            regs[dst] = struct.unpack_from("=I", ctx, off)[0]
        elif code == 0x54:
            regs[dst] = (regs[dst] & imm) & 0xFFFFFFFF
        elif code == 0x74:
            regs[dst] = (regs[dst] & 0xFFFFFFFF) >> imm
        elif code == 0xbf:
            regs[dst] = regs[src]
        elif code == 0xb7:
            regs[dst] = imm
        elif code == 0x15:
            pc += off if regs[dst] == imm else 0
        elif code == 0x55:
            pc += off if regs[dst] != imm else 0
        elif code == 0x5d:
            pc += off if regs[dst] != regs[src] else 0
        elif code == 0x95:
            return regs[0]
        else:
            raise AssertionError("unexpected opcode %#x" % code)


def reference(rules, dev_type, major, minor, access):
    """OCI semantics: the last rule that matches decides; none matches -> deny."""
    for rule in reversed(rules):
        if rule.type != "a" and TYPES[rule.type] != dev_type:
            continue
        if rule.major is not None and rule.major != major:
            continue
        if rule.minor is not None and rule.minor != minor:
            continue
        mask = sum(ACCESS[c] for c in rule.access)
        if rule.allow and access & mask != access:
            continue
        if not rule.allow and access & mask == 0:
            continue
        return 1 if rule.allow else 0
    return 0


REQUESTS = [(t, ma, mi, acc) for t in (1, 2) for ma in (1, 5, 136) for mi in (3, 5, 7)
            for acc in (1, 2, 4, 6, 7)]

RULE_SETS = [
    [],
    [{"allow": True}],
    [{"allow": False}],
    [{"allow": False}, {"allow": True, "type": "c", "major": 1, "minor": 3}],
    [{"allow": True}, {"allow": False, "type": "c", "major": 1, "minor": 3, "access": "r"}],
    [{"allow": False}, {"allow": True, "type": "c", "major": 136, "access": "rw"}],
    [{"allow": True, "type": "c", "major": 1, "minor": 3},
     {"allow": False, "type": "c", "major": 1, "minor": 3}],
    [{"allow": False, "type": "c", "major": 1, "minor": 3},
     {"allow": True, "type": "c", "major": 1, "minor": 3}],
    [{"allow": True, "type": "b", "minor": 7, "access": "m"},
     {"allow": True, "type": "a", "major": 5, "access": "rw"},
     {"allow": False, "type": "a", "major": 5, "minor": 5, "access": "w"}],
    [{"allow": True, "type": "c", "access": "rwm"}, {"allow": True},
     {"allow": False, "type": "c", "major": 1}],
]


@pytest.mark.parametrize("raw", RULE_SETS)
def test_program_matches_rule_semantics(raw):
    rules = normalize_rules(raw)
    program = devices_bpf.build_program(rules)
    for request in REQUESTS:
        assert run(program, *request) == reference(rules, *request), (raw, request)


def test_concrete_decisions():
    rules = normalize_rules([{"allow": True},
                             {"allow": False, "type": "c", "major": 1, "minor": 3,
                              "access": "r"}])
    program = devices_bpf.build_program(rules)
    assert run(program, 2, 1, 3, 2) == 0   # read /dev/null: denied
    assert run(program, 2, 1, 3, 4) == 1   # write /dev/null: allowed
    assert run(program, 2, 1, 3, 6) == 0   # read+write includes a denied access
    assert run(program, 2, 1, 5, 2) == 1   # /dev/zero
    assert run(program, 1, 1, 3, 2) == 1   # block 1:3 is another device


def test_unconditional_rule_cuts_off_earlier_rules():
    rules = normalize_rules([{"allow": False, "type": "c", "major": 1}] * 3 + [{"allow": True}])
    # prologue (6) + one "r0 = 1; exit" block
    assert len(devices_bpf.build_program(rules)) == 8 * 8


def test_default_rules_after_deny_all():
    rules = normalize_rules([{"allow": False}]) + list(devices.DEFAULT_ALLOWED_RULES)
    program = devices_bpf.build_program(rules)
    assert run(program, 2, 1, 3, 6) == 1     # /dev/null rw
    assert run(program, 2, 136, 4, 2) == 1   # /dev/pts/4
    assert run(program, 1, 8, 0, 2) == 0     # block 8:0 read
    assert run(program, 1, 8, 0, 1) == 1     # mknod of any block device
    for request in REQUESTS:
        assert run(program, *request) == reference(rules, *request), request


def test_empty_rules_deny_everything():
    program = devices_bpf.build_program([])
    assert all(run(program, *request) == 0 for request in REQUESTS)


def test_instruction_encoding():
    insn = devices_bpf.instruction(0x61, dst=2, src=1, off=4, imm=0)
    assert len(insn) == 8
    if sys.byteorder == "little":
        assert insn == b"\x61\x12\x04\x00\x00\x00\x00\x00"


def test_load_and_attach_through_the_syscall_layer(tmp_path):
    fake = FakeSyscalls()
    rules = normalize_rules([{"allow": True}])
    devices_bpf.apply_device_rules(str(tmp_path), rules, fake)
    (name1, cmd1, load), (name2, cmd2, attach) = fake.calls
    assert (name1, cmd1, name2, cmd2) == ("bpf", 5, "bpf", 8)
    assert len(load) == 72
    fields = struct.unpack("=IIQQIIQII16sII", load)
    assert fields[0] == 15 and fields[1] == 8        # CGROUP_DEVICE, 8 instructions
    assert fields[4] == 0 and fields[6] == 0         # no verifier log on the first try
    assert fields[9].rstrip(b"\0") == b"oci_devices"
    assert fields[11] == 6                           # BPF_CGROUP_DEVICE
    assert struct.unpack("=IIIII", attach)[2:4] == (6, 2)


@pytest.mark.parametrize("err,exc,text", [(errno.EINVAL, CgroupError, "loading"),
                                          (errno.EPERM, CgroupError, "CAP_SYS_ADMIN"),
                                          (errno.ENOSYS, UnsupportedError, "bpf(2)")])
def test_load_errors(tmp_path, err, exc, text):
    fake = FakeSyscalls(fail={"bpf": err})
    with pytest.raises(exc) as info:
        devices_bpf.apply_device_rules(str(tmp_path), normalize_rules([]), fake)
    assert text in str(info.value)
    assert "linux.resources.devices" in str(info.value)


def test_all_grid_combinations_of_single_rules():
    # every single rule shape, allow and deny, after a catch-all of the opposite
    shapes = itertools.product((True, False), ("a", "c", "b"), (None, 1), (None, 3),
                               ("r", "w", "m", "rw", "rwm"))
    for allow, dev_type, major, minor, access in shapes:
        raw = [{"allow": not allow},
               {"allow": allow, "type": dev_type, "major": major, "minor": minor,
                "access": access}]
        rules = normalize_rules(raw)
        program = devices_bpf.build_program(rules)
        for request in REQUESTS:
            assert run(program, *request) == reference(rules, *request), (raw, request)
