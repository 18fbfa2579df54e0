# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ENOSYS stub in front of the seccomp filter (security/seccomp_enosys.py).

The programs are run here by a small classic-BPF interpreter on a struct
seccomp_data, so the verdict of stub + libseccomp's real program is checked
for each (architecture, syscall number) without loading anything.
"""
import errno
import sys

import pytest

from runtime.errors import UnsupportedError
from runtime.security import seccomp as S
from runtime.security import seccomp_enosys as E

ALLOW = 0x7fff0000
ERRNO = 0x00050000
KILL_THREAD = 0x00000000
ENOSYS = ERRNO | errno.ENOSYS
EPERM = ERRNO | errno.EPERM

X86_64 = 0xc000003e
I386 = 0x40000003
AARCH64 = 0xc00000b7
S390X = 0x80000016
X32_TOKEN = 0x4000003e
X32_BIT = 0x40000000


def run_bpf(program, nr, arch, args=(0,) * 6):
    """Run a classic BPF seccomp program (bytes of struct sock_filter[]) on seccomp_data."""
    data = (nr & 0xffffffff).to_bytes(4, sys.byteorder) + arch.to_bytes(4, sys.byteorder) + bytes(8)
    for arg in args:
        data += arg.to_bytes(8, sys.byteorder)
    insns = []
    for offset in range(0, len(program), 8):
        chunk = program[offset:offset + 8]
        code = int.from_bytes(chunk[0:2], sys.byteorder)
        insns.append((code, chunk[2], chunk[3], int.from_bytes(chunk[4:8], sys.byteorder)))
    a = x = 0
    mem = [0] * 16
    pc = 0
    for _step in range(100000):
        code, jt, jf, k = insns[pc]
        pc += 1
        cls = code & 0x07
        if cls == 0x00:  # LD
            mode = code & 0xe0
            if mode == 0x20:
                a = int.from_bytes(data[k:k + 4], sys.byteorder)
            elif mode == 0x00:
                a = k
            elif mode == 0x60:
                a = mem[k]
            else:
                raise AssertionError("ld mode %#x" % mode)
        elif cls == 0x01:  # LDX
            mode = code & 0xe0
            x = k if mode == 0x00 else mem[k] if mode == 0x60 else None
            assert x is not None, "ldx mode %#x" % mode
        elif cls == 0x02:
            mem[k] = a
        elif cls == 0x03:
            mem[k] = x
        elif cls == 0x04:  # ALU
            operand = x if code & 0x08 else k
            op = code & 0xf0
            a = {0x00: lambda: a + operand, 0x10: lambda: a - operand, 0x40: lambda: a | operand,
                 0x50: lambda: a & operand, 0x60: lambda: a << operand, 0x70: lambda: a >> operand,
                 0xa0: lambda: a ^ operand}[op]() & 0xffffffff
        elif cls == 0x05:  # JMP
            operand = x if code & 0x08 else k
            op = code & 0xf0
            if op == 0x00:
                pc += k
                continue
            taken = {0x10: a == operand, 0x20: a > operand, 0x30: a >= operand, 0x40: bool(a & operand)}[op]
            pc += jt if taken else jf
        elif cls == 0x06:  # RET
            return a if code & 0x18 == 0x10 else k
        elif cls == 0x07:
            if code & 0xf8 == 0x00:
                x = a
            else:
                a = x
    raise AssertionError("the program did not return")


# -- when ----------------------------------------------------------------------
@pytest.mark.parametrize("default,wanted", [
    (EPERM, True), (ERRNO, True), (KILL_THREAD, True), (0x80000000, True), (0x00030000, True),
    (ENOSYS, False), (ALLOW, False), (0x7ffc0000, False), (0x7ff00000 | 1, False)])
def test_stub_only_for_defaults_that_stop_a_call(default, wanted):
    assert E.wants_stub(default) is wanted


def test_highest_numbers_ignore_unknown_and_pseudo_syscalls():
    table = {(X86_64, b"read"): 0, (X86_64, b"mkdir"): 83, (X86_64, b"socketcall"): -10060,
             (I386, b"read"): 3, (I386, b"socketcall"): 102}

    def resolve(token, name):
        return table.get((token, name), -1)
    assert E.highest_numbers(resolve, [X86_64, I386, AARCH64], [b"read", b"mkdir", b"socketcall", b"nope"]) \
        == {X86_64: 83, I386: 102}


# -- the stub alone, in front of a filter that answers EPERM to everything ------
def with_filter(highest, filter_ret=EPERM):
    tail = (0x06).to_bytes(2, sys.byteorder) + bytes(2) + filter_ret.to_bytes(4, sys.byteorder)
    return E.stub_bytes(highest) + tail


def test_no_architecture_no_stub():
    assert E.stub_bytes({}) == b""


def test_above_the_highest_number_is_enosys_per_architecture():
    program = with_filter({X86_64: 100, I386: 50})
    assert run_bpf(program, 100, X86_64) == EPERM
    assert run_bpf(program, 101, X86_64) == ENOSYS
    assert run_bpf(program, 1000, X86_64) == ENOSYS
    assert run_bpf(program, -1, X86_64) == EPERM  # bit 30 set: an x32 call, x32 has no section
    assert run_bpf(program, 51, I386) == ENOSYS
    assert run_bpf(program, 50, I386) == EPERM
    # An architecture without a section: the filter decides.
    assert run_bpf(program, 1000, AARCH64) == EPERM


def test_x32_calls_are_told_apart_by_bit_30():
    program = with_filter({X86_64: 100, X32_TOKEN: X32_BIT | 200})
    assert run_bpf(program, 150, X86_64) == ENOSYS
    assert run_bpf(program, X32_BIT | 150, X86_64) == EPERM
    assert run_bpf(program, X32_BIT | 201, X86_64) == ENOSYS
    # x86_64 without x32 in the filter: x32 calls go to the filter (libseccomp's bad-arch action).
    program = with_filter({X86_64: 100})
    assert run_bpf(program, X32_BIT | 1, X86_64) == EPERM
    assert run_bpf(program, 101, X86_64) == ENOSYS
    # x32 alone.
    program = with_filter({X32_TOKEN: X32_BIT | 200})
    assert run_bpf(program, 1000, X86_64) == EPERM
    assert run_bpf(program, X32_BIT | 1000, X86_64) == ENOSYS


def test_s390_setup_multiplexer_is_enosys():
    program = with_filter({S390X: 300})
    assert run_bpf(program, 0, S390X) == ENOSYS
    assert run_bpf(program, 1, S390X) == EPERM
    assert run_bpf(program, 301, S390X) == ENOSYS


def test_many_architectures_keep_short_jumps():
    highest = dict((0x40000000 | n, 100) for n in range(1, 30))
    program = with_filter(highest)
    for arch in highest:
        assert run_bpf(program, 101, arch) == ENOSYS
        assert run_bpf(program, 99, arch) == EPERM


def test_a_stub_too_long_for_short_jumps_is_refused():
    with pytest.raises(ValueError, match="jump"):
        E.stub_bytes(dict((0x40000000 | n, 100) for n in range(1, 100)))


# -- stub + libseccomp's real program ------------------------------------------
def _have_libseccomp():
    try:
        S._library()
    except UnsupportedError:
        return False
    return True


needs_lib = pytest.mark.skipif(not _have_libseccomp(), reason="libseccomp is not installed on this host")


@pytest.fixture(autouse=True)
def fresh_cache():
    S._CACHE.clear()
    yield
    S._CACHE.clear()


def nr(name, token=X86_64):
    return S._library().seccomp_syscall_resolve_name_arch(token, name.encode())


@needs_lib
def test_real_filter_gets_enosys_above_the_named_syscalls():
    lib = S._library()
    if lib.seccomp_arch_native() != X86_64:
        pytest.skip("written for an x86_64 host")
    compiled = S.compile_seccomp({
        "defaultAction": "SCMP_ACT_ERRNO",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": [{"names": ["read", "write", "mkdir", "no_such_call"], "action": "SCMP_ACT_ALLOW"},
                     # repeats the default: no rule, but the profile names it
                     {"names": ["getppid"], "action": "SCMP_ACT_ERRNO"}]})
    program = compiled.program
    highest = nr("getppid")  # 110 > mkdir's 83
    assert run_bpf(program, nr("mkdir"), X86_64) == ALLOW
    assert run_bpf(program, nr("getpid"), X86_64) == EPERM  # below the highest, not named
    assert run_bpf(program, highest, X86_64) == EPERM
    assert run_bpf(program, highest + 1, X86_64) == ENOSYS
    assert run_bpf(program, 1000, X86_64) == ENOSYS
    assert run_bpf(program, nr("clone3"), X86_64) == ENOSYS
    i386_highest = nr("getppid", I386)
    assert run_bpf(program, nr("mkdir", I386), I386) == ALLOW
    assert run_bpf(program, i386_highest + 1, I386) == ENOSYS
    assert run_bpf(program, nr("read", X32_TOKEN), X86_64) == ALLOW
    assert run_bpf(program, nr("getppid", X32_TOKEN) + 1, X86_64) == ENOSYS
    # Not in the filter: libseccomp's bad-architecture action (kill) as before.
    assert run_bpf(program, 1000, AARCH64) == KILL_THREAD


@needs_lib
@pytest.mark.parametrize("seccomp", [
    {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]},
    {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": errno.ENOSYS,
     "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ALLOW"}]},
    {"defaultAction": "SCMP_ACT_ERRNO"},  # names nothing: no section
])
def test_real_filter_without_stub(seccomp):
    compiled = S.compile_seccomp(seccomp)
    lib = S._library()
    native = lib.seccomp_arch_native()
    default = run_bpf(compiled.program, 1000, native)
    if seccomp["defaultAction"] == "SCMP_ACT_ALLOW":
        expected = ALLOW
    else:
        expected = ERRNO | seccomp.get("defaultErrnoRet", errno.EPERM)
    assert default == expected
