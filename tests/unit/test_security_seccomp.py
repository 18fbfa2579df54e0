# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
import ctypes
import ctypes.util
import errno
import os

import pytest

from runtime.errors import SecurityError, SpecError, UnsupportedError
from runtime.lifecycle.support import check_supported
from runtime.security import seccomp as S
from runtime.security import seccomp_filter as F
from runtime.spec.names import SECCOMP_ACTIONS, SECCOMP_ARCHES, SECCOMP_FILTER_FLAGS, SECCOMP_OPERATORS


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


# -- pure mappings ------------------------------------------------------------
def test_every_spec_action_maps_or_is_refused_clearly():
    for name in SECCOMP_ACTIONS:
        assert isinstance(S.action_value(name, None, "p"), int)
    assert S.action_value("SCMP_ACT_NOTIFY", None, "p") == 0x7fc00000  # SECCOMP_RET_USER_NOTIF


def test_action_values_are_libseccomps():
    assert S.action_value("SCMP_ACT_KILL", None, "p") == 0
    assert S.action_value("SCMP_ACT_KILL_THREAD", None, "p") == 0
    assert S.action_value("SCMP_ACT_KILL_PROCESS", None, "p") == 0x80000000
    assert S.action_value("SCMP_ACT_TRAP", None, "p") == 0x00030000
    assert S.action_value("SCMP_ACT_LOG", None, "p") == 0x7ffc0000
    assert S.action_value("SCMP_ACT_ALLOW", None, "p") == 0x7fff0000


def test_errno_and_trace_carry_a_return_value_defaulting_to_eperm():
    assert S.action_value("SCMP_ACT_ERRNO", None, "p") == 0x00050000 | errno.EPERM
    assert S.action_value("SCMP_ACT_ERRNO", 38, "p") == 0x00050000 | 38
    assert S.action_value("SCMP_ACT_ERRNO", 0, "p") == 0x00050000
    assert S.action_value("SCMP_ACT_TRACE", None, "p") == 0x7ff00000 | errno.EPERM
    assert S.action_value("SCMP_ACT_TRACE", 0xffff, "p") == 0x7ff0ffff


@pytest.mark.parametrize("bad", [0x10000, 2 ** 32 - 1, -1, True, "1"])
def test_errno_outside_sixteen_bits_is_refused_with_the_path(bad):
    with pytest.raises(SpecError) as info:
        S.action_value("SCMP_ACT_ERRNO", bad, "linux.seccomp.syscalls[2].action")
    assert info.value.path == "linux.seccomp.syscalls[2].action"


def test_unknown_action_is_a_spec_error():
    with pytest.raises(SpecError, match="SCMP_ACT_DENY"):
        S.action_value("SCMP_ACT_DENY", None, "linux.seccomp.defaultAction")


def test_operators_follow_enum_scmp_compare():
    assert sorted(S.OPERATORS) == sorted(SECCOMP_OPERATORS)
    assert [S.OPERATORS[o] for o in ("SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
                                     "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ")] == list(range(1, 8))


def test_arch_names_map_to_libseccomp_names():
    assert S.arch_library_name("SCMP_ARCH_X86_64") == "x86_64"
    assert S.arch_library_name("SCMP_ARCH_AARCH64") == "aarch64"
    assert S.arch_library_name("SCMP_ARCH_MIPSEL64N32") == "mipsel64n32"
    assert S.arch_library_name("SCMP_ARCH_PPC64LE") == "ppc64le"


def test_flags_are_the_seccomp2_bits():
    assert S.filter_flags(None, "f") == 0
    assert S.filter_flags(["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"], "f") == 0b101
    assert S.filter_flags(["SECCOMP_FILTER_FLAG_LOG"], "f") == SECCOMP_FILTER_FLAGS["SECCOMP_FILTER_FLAG_LOG"]
    with pytest.raises(SpecError, match=r"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs a syscall rule with "
                       r"SCMP_ACT_NOTIFY") as info:
        S.filter_flags(["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
                       "linux.seccomp.flags")
    assert info.value.path == "linux.seccomp.flags[1]"
    # A notifying filter gets NEW_LISTENER (1 << 3); with TSYNC also TSYNC_ESRCH (1 << 4), seccomp(2).
    assert S.filter_flags(["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"], "f", notify=True) == (1 << 5) | (1 << 3)
    assert S.filter_flags(["SECCOMP_FILTER_FLAG_TSYNC"], "f", notify=True) == 1 | (1 << 3) | (1 << 4)
    with pytest.raises(SpecError) as info:
        S.filter_flags(["SECCOMP_FILTER_FLAG_BOGUS"], "linux.seccomp.flags")
    assert info.value.path == "linux.seccomp.flags[0]"


def test_conditions_on_distinct_arguments_form_one_rule():
    args = [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"},
            {"index": 1, "value": 0xff, "valueTwo": 3, "op": "SCMP_CMP_MASKED_EQ"}]
    assert S.conditions(args, "p") == [[(0, 4, 2, 0), (1, 7, 0xff, 3)]]


def test_conditions_on_the_same_argument_become_one_rule_each():
    args = [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 10, "op": "SCMP_CMP_EQ"}]
    assert S.conditions(args, "p") == [[(0, 4, 2, 0)], [(0, 4, 10, 0)]]
    assert S.conditions(None, "p") == [[]]


def test_unknown_operator_names_its_path():
    with pytest.raises(SpecError) as info:
        S.conditions([{"index": 0, "value": 1, "op": "SCMP_CMP_XX"}], "linux.seccomp.syscalls[0].args")
    assert info.value.path == "linux.seccomp.syscalls[0].args[0].op"


# -- compiling with a recording library ---------------------------------------
class FakeLib(object):
    def __init__(self, arch_token=7, arch_add=0, rule_add=0):
        self.calls = []
        self.arch_token = arch_token
        self.arch_add = arch_add
        self.rule_add = rule_add

    def seccomp_init(self, action):
        self.calls.append(("init", action))
        return 1234

    def seccomp_release(self, ctx):
        self.calls.append(("release",))

    def seccomp_arch_resolve_name(self, name):
        return self.arch_token

    def seccomp_arch_add(self, ctx, token):
        self.calls.append(("arch_add", token))
        return self.arch_add

    def seccomp_arch_native(self):
        return 0xc000003e  # AUDIT_ARCH_X86_64

    def seccomp_syscall_resolve_name_arch(self, token, name):
        return self.seccomp_syscall_resolve_name(name)

    def seccomp_attr_set(self, ctx, attr, value):
        self.calls.append(("attr", attr, value))
        return 0

    def seccomp_syscall_resolve_name(self, name):
        return {b"mkdir": 83, b"socket": 41, b"seccomp": 317}.get(name, -1)

    def seccomp_rule_add_array(self, ctx, action, nr, count, array):
        self.calls.append(("rule", action, nr, [(array[i].arg, array[i].op, array[i].datum_a, array[i].datum_b)
                                                for i in range(count)]))
        return self.rule_add

    def seccomp_export_bpf(self, ctx, fd):
        os.write(fd, b"\x06\x00\x00\x00\x00\x00\xff\x7f")  # one instruction: ret ALLOW
        return 0


def test_compile_records_the_libseccomp_calls(monkeypatch):
    fake = FakeLib()
    monkeypatch.setattr(S, "_library", lambda: fake)
    compiled = S.compile_seccomp({
        "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
        "flags": ["SECCOMP_FILTER_FLAG_LOG"],
        "syscalls": [
            {"names": ["mkdir", "not_a_syscall"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["socket"], "action": "SCMP_ACT_KILL_PROCESS",
             "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]},
            # the default action again: libseccomp would refuse it, it changes nothing
            {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
        ]})
    assert fake.calls == [
        ("init", 0x00050000 | 38), ("arch_add", 7), ("arch_add", 7),
        ("rule", 0x7fff0000, 83, []),
        ("rule", 0x80000000, 41, [(0, 4, 2, 0)]),
        ("release",),
    ]
    assert compiled.program == b"\x06\x00\x00\x00\x00\x00\xff\x7f"
    assert compiled.flags == 2 and compiled.syscall_nr == 317
    assert compiled.skipped == ("not_a_syscall",)


def test_compile_is_memoized_by_content(monkeypatch):
    fake = FakeLib()
    monkeypatch.setattr(S, "_library", lambda: fake)
    first = S.compile_seccomp({"defaultAction": "SCMP_ACT_ALLOW"})
    assert S.compile_seccomp({"defaultAction": "SCMP_ACT_ALLOW"}) is first
    assert S.compile_seccomp({"defaultAction": "SCMP_ACT_LOG"}) is not first


def test_long_rule_lists_ask_for_the_binary_tree(monkeypatch):
    fake = FakeLib()
    monkeypatch.setattr(S, "_library", lambda: fake)
    S.compile_seccomp({"defaultAction": "SCMP_ACT_ERRNO",
                       "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ALLOW"}] * 33})
    assert ("attr", 8, 2) in fake.calls


def test_arch_unknown_to_the_library_names_its_path(monkeypatch):
    monkeypatch.setattr(S, "_library", lambda: FakeLib(arch_token=0))
    with pytest.raises(UnsupportedError, match=r"^linux.seccomp.architectures\[0\]: architecture SCMP_ARCH_SH"):
        S.compile_seccomp({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_SH"]})


def test_native_arch_already_present_is_fine_other_errors_are_not(monkeypatch):
    monkeypatch.setattr(S, "_library", lambda: FakeLib(arch_add=-errno.EEXIST))
    S.compile_seccomp({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"]})
    monkeypatch.setattr(S, "_library", lambda: FakeLib(arch_add=-errno.EINVAL))
    with pytest.raises(SecurityError, match=r"architectures\[0\]"):
        S.compile_seccomp({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_ARM"]})


def test_refused_rule_names_the_syscall_path(monkeypatch):
    fake = FakeLib(rule_add=-errno.EEXIST)
    monkeypatch.setattr(S, "_library", lambda: fake)
    with pytest.raises(SpecError) as info:
        S.compile_seccomp({"defaultAction": "SCMP_ACT_ALLOW",
                           "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_LOG"},
                                        {"names": ["nope", "socket"], "action": "SCMP_ACT_TRAP"}]})
    assert info.value.path == "linux.seccomp.syscalls[0].names[0]"
    assert fake.calls[-1] == ("release",)  # the context is freed on errors too


def test_no_libseccomp_is_a_clear_unsupported_error(monkeypatch):
    def no_library(*args, **kwargs):
        raise OSError("not found")
    monkeypatch.setattr(S, "_LIBRARY", None)
    monkeypatch.setattr(ctypes, "CDLL", no_library)
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    config = {"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW"}}}
    with pytest.raises(UnsupportedError, match=r"^linux.seccomp: .*libseccomp"):
        check_supported(config)
    check_supported({"linux": {}})  # no seccomp asked: nothing needed


def test_load_order_follows_no_new_privileges():
    loaded = []

    class Recorder(object):
        def load(self, with_listener=True):
            loaded.append(with_listener)
    F.load_before_identity(Recorder(), {"noNewPrivileges": True})
    assert loaded == []
    F.load_before_exec(Recorder(), {"noNewPrivileges": True})
    assert loaded == [False]
    F.load_before_identity(Recorder(), {})
    assert loaded == [False, False]
    F.load_before_exec(Recorder(), {})
    F.load_before_identity(None, {})
    F.load_before_exec(None, {"noNewPrivileges": True})
    assert loaded == [False, False]  # no start connection (exec): no listener of its own
    F.load_before_exec(Recorder(), {"noNewPrivileges": True}, conn=object())
    assert loaded == [False, False, True]


# -- the real library ----------------------------------------------------------
@needs_lib
def test_every_main_arch_is_known_to_libseccomp():
    lib = S._library()
    for name in ("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM",
                 "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390X", "SCMP_ARCH_RISCV64"):
        assert name in SECCOMP_ARCHES
        assert lib.seccomp_arch_resolve_name(S.arch_library_name(name).encode()), name


@needs_lib
@pytest.mark.parametrize("through", ["seccomp", "prctl"])
def test_real_compile_and_load_in_a_child(through):
    compiled = S.compile_seccomp({
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"],
        "syscalls": [{"names": ["mkdir", "mkdirat", "unknown_call_xyz"], "action": "SCMP_ACT_ERRNO",
                      "errnoRet": errno.ENOSYS}]})
    assert compiled.program and len(compiled.program) % 8 == 0
    assert compiled.skipped == ("unknown_call_xyz",)
    if through == "prctl":
        # A libseccomp that does not know seccomp(2): the filter goes in with PR_SET_SECCOMP.
        compiled = F.CompiledFilter(compiled.program, 0, None)
    else:
        assert compiled.syscall_nr is not None
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(read_end)
            ctypes.CDLL("libc.so.6").prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS: no CAP_SYS_ADMIN needed
            compiled.load()
            try:
                os.mkdir("/nonexistent-dir/x")
            except OSError as e:
                os.write(write_end, str(e.errno).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    try:
        got = os.read(read_end, 100)
    finally:
        os.close(read_end)
        dummy, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    assert got == str(errno.ENOSYS).encode()
