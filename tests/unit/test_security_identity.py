# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
import errno

import pytest

from runtime.errors import SecurityError, SyscallError
from runtime.security.capabilities import CapabilitySets
from runtime.security.identity import apply_identity, user_ids
from runtime.syscalls import consts as C
from runtime.syscalls.fake import FakeSyscalls

KILL, NET_BIND, CHOWN = 5, 10, 0


def _cfg(**caps):
    return {"user": {"uid": 1000, "gid": 1001, "additionalGids": [10, 20]},
            "capabilities": caps}


def test_exact_call_order():
    fake = FakeSyscalls()
    cfg = _cfg(bounding=["CAP_KILL", "CAP_NET_BIND_SERVICE"],
               permitted=["CAP_KILL", "CAP_NET_BIND_SERVICE"],
               effective=["CAP_KILL"],
               inheritable=["CAP_NET_BIND_SERVICE"],
               ambient=["CAP_NET_BIND_SERVICE"])
    caps = CapabilitySets.from_config(cfg["capabilities"], last_cap=12)
    apply_identity(cfg, syscalls=fake, caps=caps)
    drops = [("prctl", C.PR_CAPBSET_DROP, n, 0, 0, 0)
             for n in range(13) if n not in (KILL, NET_BIND)]
    assert fake.calls == drops + [
        ("prctl", C.PR_SET_KEEPCAPS, 1, 0, 0, 0),
        ("setgroups", [10, 20]),
        ("setresgid", 1001, 1001, 1001),
        ("setresuid", 1000, 1000, 1000),
        ("prctl", C.PR_SET_KEEPCAPS, 0, 0, 0, 0),
        ("capset", 1 << KILL, (1 << KILL) | (1 << NET_BIND), 1 << NET_BIND),
        ("prctl", C.PR_CAP_AMBIENT, C.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0),
        ("prctl", C.PR_CAP_AMBIENT, C.PR_CAP_AMBIENT_RAISE, NET_BIND, 0, 0),
    ]


def test_defaults_root_no_groups_no_caps(tmp_path):
    fake = FakeSyscalls()
    (tmp_path / "sys" / "kernel").mkdir(parents=True)
    (tmp_path / "sys" / "kernel" / "cap_last_cap").write_text("40\n")
    caps = apply_identity({}, syscalls=fake, proc_root=str(tmp_path))
    assert caps.last_cap == 40
    names = fake.names()
    # every capability 0..40 leaves the bounding set
    assert [c[2] for c in fake.calls if c[:2] == ("prctl", C.PR_CAPBSET_DROP)] == list(range(41))
    # setgroups([]) is always made, so the runtime's groups do not leak in
    assert ("setgroups", []) in fake.calls
    assert ("setresgid", 0, 0, 0) in fake.calls and ("setresuid", 0, 0, 0) in fake.calls
    assert ("capset", 0, 0, 0) in fake.calls
    assert names[-1] == "prctl" and fake.calls[-1][2] == C.PR_CAP_AMBIENT_CLEAR_ALL


def test_ambient_without_inheritable_is_skipped_like_runc():
    """The kernel cannot raise it (prctl(2) EPERM); runc skips it, and so do we."""
    fake = FakeSyscalls()
    cfg = _cfg(permitted=["CAP_KILL", "CAP_CHOWN"], inheritable=["CAP_CHOWN"],
               ambient=["CAP_KILL", "CAP_CHOWN"])
    caps = CapabilitySets.from_config(cfg["capabilities"], last_cap=40)
    apply_identity(cfg, syscalls=fake, caps=caps)
    raised = [c[3] for c in fake.calls if c[0] == "prctl" and c[1] == C.PR_CAP_AMBIENT
              and c[2] == C.PR_CAP_AMBIENT_RAISE]
    assert raised == [0]  # CAP_CHOWN only


def test_effective_outside_permitted_fails_before_any_change():
    fake = FakeSyscalls()
    cfg = _cfg(effective=["CAP_CHOWN"])
    with pytest.raises(SecurityError, match=r"process\.capabilities\.effective: CAP_CHOWN"):
        apply_identity(cfg, syscalls=fake,
                       caps=CapabilitySets.from_config(cfg["capabilities"], last_cap=40))
    assert fake.calls == []


@pytest.mark.parametrize("call, field", [
    ("setgroups", "process.user.additionalGids"),
    ("setresgid", "process.user.gid"),
    ("setresuid", "process.user.uid"),
    ("capset", "process.capabilities"),
])
def test_errors_name_step_and_field(call, field):
    fake = FakeSyscalls(fail={call: errno.EPERM})
    cfg = _cfg(permitted=["CAP_KILL"])
    with pytest.raises(SecurityError) as info:
        apply_identity(cfg, syscalls=fake,
                       caps=CapabilitySets.from_config(cfg["capabilities"], last_cap=40))
    assert str(info.value).startswith(field + ":")
    assert call in str(info.value)
    assert fake.names()[-1] == call  # nothing after the failed step ran


def test_bounding_drop_error_names_capability():
    fake = FakeSyscalls(fail={"prctl": errno.EPERM})
    cfg = _cfg(bounding=["CAP_CHOWN"])
    with pytest.raises(SecurityError) as info:
        apply_identity(cfg, syscalls=fake,
                       caps=CapabilitySets.from_config(cfg["capabilities"], last_cap=40))
    assert "process.capabilities.bounding" in str(info.value)
    assert "CAP_DAC_OVERRIDE" in str(info.value)  # 0 is kept, 1 is the first drop


def test_setgroups_denied_in_user_namespace_is_tolerated_without_groups(tmp_path):
    (tmp_path / "self").mkdir()
    (tmp_path / "self" / "setgroups").write_text("deny\n")
    fake = FakeSyscalls(fail={"setgroups": errno.EPERM})
    caps = CapabilitySets.from_config(None, last_cap=40)
    apply_identity({"user": {"uid": 1, "gid": 1}}, syscalls=fake, caps=caps,
                   proc_root=str(tmp_path))
    assert ("setresuid", 1, 1, 1) in fake.calls
    # but asked-for groups cannot silently be skipped
    fake = FakeSyscalls(fail={"setgroups": errno.EPERM})
    with pytest.raises(SecurityError, match="additionalGids"):
        apply_identity({"user": {"uid": 1, "gid": 1, "additionalGids": [5]}}, syscalls=fake,
                       caps=caps, proc_root=str(tmp_path))


class _NoAmbientKernel(FakeSyscalls):
    """A kernel before 4.3: PR_CAP_AMBIENT fails with EINVAL."""

    def prctl(self, option, a2=0, a3=0, a4=0, a5=0):
        FakeSyscalls.prctl(self, option, a2, a3, a4, a5)
        if option == C.PR_CAP_AMBIENT:
            raise SyscallError("prctl", errno.EINVAL)
        return 0


def test_kernel_without_ambient_caps():
    fake = _NoAmbientKernel()
    apply_identity({}, syscalls=fake, caps=CapabilitySets.from_config(None, last_cap=40))
    assert fake.calls[-1][1:3] == (C.PR_CAP_AMBIENT, C.PR_CAP_AMBIENT_CLEAR_ALL)
    cfg = {"capabilities": {"permitted": ["CAP_KILL"], "inheritable": ["CAP_KILL"],
                            "ambient": ["CAP_KILL"]}}
    with pytest.raises(SecurityError, match=r"process\.capabilities\.ambient.*Linux 4\.3"):
        apply_identity(cfg, syscalls=_NoAmbientKernel(),
                       caps=CapabilitySets.from_config(cfg["capabilities"], last_cap=40))


@pytest.mark.parametrize("user, field", [
    ({"uid": -1}, "process.user.uid"),
    ({"uid": 2 ** 32 - 1}, "process.user.uid"),
    ({"gid": "0"}, "process.user.gid"),
    ({"uid": True}, "process.user.uid"),
    ({"additionalGids": [1, -2]}, r"process.user.additionalGids\[1\]"),
    ({"additionalGids": 5}, "process.user.additionalGids"),
])
def test_user_validation(user, field):
    with pytest.raises(SecurityError, match=field):
        user_ids({"user": user})


def test_user_ids_defaults():
    assert user_ids({}) == (0, 0, [])
    assert user_ids({"user": {"uid": 5, "gid": 6, "additionalGids": [7]}}) == (5, 6, [7])


def test_hand_built_sets_get_last_cap_from_proc(tmp_path):
    (tmp_path / "sys" / "kernel").mkdir(parents=True)
    (tmp_path / "sys" / "kernel" / "cap_last_cap").write_text("2\n")
    fake = FakeSyscalls()
    apply_identity({}, syscalls=fake, caps=CapabilitySets(bounding=1 << 1),
                   proc_root=str(tmp_path))
    assert [c[2] for c in fake.calls if c[:2] == ("prctl", C.PR_CAPBSET_DROP)] == [0, 2]
