# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""linux.seccomp with real containers: blocked syscalls seen from busybox
applets (their perror messages name the errno), argument comparisons, kill
actions, exec'd processes filtered too, and configs refused with their JSON
path. Runs against runc too (OCI_RUNTIME_BIN), except our own messages."""
from __future__ import absolute_import, division, print_function

import ctypes
import ctypes.util

import pytest

import itest_helpers as H
from host_features import requires, shared_library

ENOSYS_TEXT = "Function not implemented"   # errno 38
EPERM_TEXT = "Operation not permitted"     # errno 1
SIGSYS = 31
# personality(2) persona PER_LINUX32, used by busybox linux32.
PER_LINUX32 = 0x0008

# mkdir(1) may use either call, depending on the libc busybox was built with.
MKDIR_CALLS = ["mkdir", "mkdirat"]


pytestmark = requires(shared_library("seccomp", "apt package libseccomp2"))


def deny(names, action="SCMP_ACT_ERRNO", errno_ret=None, args=None):
    rule = {"names": list(names), "action": action}
    if errno_ret is not None:
        rule["errnoRet"] = errno_ret
    if args:
        rule["args"] = args
    return rule


def config_with(oci, args, rules, default="SCMP_ACT_ALLOW", **extra):
    config = oci.config(args)
    seccomp = {"defaultAction": default, "syscalls": rules}
    seccomp.update(extra)
    config["linux"]["seccomp"] = seccomp
    return config


def run(oci, config):
    """Foreground run: (exit code, stdout + stderr of the container)."""
    result = oci.rt.run(oci.new_id(), oci.bundle(config))
    return result.returncode, result.stdout + result.stderr


def test_blocked_syscall_fails_with_the_configured_errno(oci):
    config = config_with(oci, ["sh", "-c", "mkdir /tmp/a; echo rc=$?; touch /tmp/b && echo touched"],
                         [deny(MKDIR_CALLS, errno_ret=38)])
    code, out = run(oci, config)
    assert code == 0, out
    assert ENOSYS_TEXT in out and "rc=1" in out and "touched" in out


def test_errno_defaults_to_eperm(oci):
    # As root in the container chmod would succeed: EPERM can only be the filter.
    config = config_with(oci, ["sh", "-c", "touch /tmp/f; chmod 600 /tmp/f; echo rc=$?"],
                         [deny(["chmod", "fchmodat", "fchmodat2"])])
    code, out = run(oci, config)
    assert code == 0, out
    assert EPERM_TEXT in out and "rc=1" in out


def test_no_seccomp_section_leaves_the_process_unfiltered(oci):
    code, out = run(oci, oci.config(["sh", "-c", "grep Seccomp: /proc/self/status"]))
    assert code == 0 and out.split()[:2] == ["Seccomp:", "0"], out


def test_filter_mode_is_visible_in_proc_status(oci):
    config = config_with(oci, ["grep", "Seccomp:", "/proc/self/status"], [deny(MKDIR_CALLS)])
    code, out = run(oci, config)
    assert code == 0 and out.split()[:2] == ["Seccomp:", "2"], out  # SECCOMP_MODE_FILTER


def test_argument_comparison_blocks_only_matching_calls(oci):
    # personality(PER_LINUX32) is denied, personality(PER_LINUX) is not.
    rule = deny(["personality"], errno_ret=38,
                args=[{"index": 0, "value": PER_LINUX32, "op": "SCMP_CMP_EQ"}])
    config = config_with(oci, ["sh", "-c", "linux64 echo sixty-four; linux32 echo thirty-two; echo rc=$?"],
                         [rule])
    code, out = run(oci, config)
    assert code == 0, out
    assert "sixty-four" in out and "thirty-two" not in out
    assert ENOSYS_TEXT in out and "rc=1" in out


def test_masked_comparison(oci):
    # MASKED_EQ: (arg0 & 0xff) == PER_LINUX32; value is the mask, valueTwo the datum.
    rule = deny(["personality"], errno_ret=38,
                args=[{"index": 0, "value": 0xff, "valueTwo": PER_LINUX32, "op": "SCMP_CMP_MASKED_EQ"}])
    config = config_with(oci, ["sh", "-c", "linux64 echo sixty-four; linux32 echo thirty-two"], [rule])
    code, out = run(oci, config)
    assert "sixty-four" in out and "thirty-two" not in out and ENOSYS_TEXT in out, out


@pytest.mark.parametrize("action", ["SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS"])
def test_kill_action_kills_with_sigsys(oci, action):
    config = config_with(oci, ["sh", "-c", "mkdir /tmp/a; echo status=$?"], [deny(MKDIR_CALLS, action=action)])
    code, out = run(oci, config)
    assert code == 0, out
    assert "status=%d" % (128 + SIGSYS) in out


def test_default_errno_with_an_allow_list(oci):
    """defaultAction ERRNO(38) allowing every syscall this libseccomp knows but mkdir(at)."""
    lib = ctypes.CDLL(ctypes.util.find_library("seccomp"))
    lib.seccomp_syscall_resolve_num_arch.restype = ctypes.c_char_p
    lib.seccomp_syscall_resolve_num_arch.argtypes = [ctypes.c_uint32, ctypes.c_int]
    lib.seccomp_arch_native.restype = ctypes.c_uint32
    native = lib.seccomp_arch_native()
    names = set()
    for number in range(1024):
        name = lib.seccomp_syscall_resolve_num_arch(native, number)
        if name:
            names.add(name.decode())
    names.difference_update(MKDIR_CALLS)
    config = config_with(oci, ["sh", "-c", "mkdir /tmp/a; echo rc=$?; touch /tmp/b && echo touched"],
                         [{"names": sorted(names), "action": "SCMP_ACT_ALLOW"}],
                         default="SCMP_ACT_ERRNO", defaultErrnoRet=38)
    code, out = run(oci, config)
    assert code == 0, out
    assert ENOSYS_TEXT in out and "rc=1" in out and "touched" in out


def test_without_no_new_privileges_for_an_unprivileged_user(oci):
    """The filter needs CAP_SYS_ADMIN then: it is loaded before the capabilities are dropped."""
    config = config_with(oci, ["sh", "-c", "id -u; grep NoNewPrivs /proc/self/status; mkdir /tmp/a"],
                         [deny(MKDIR_CALLS, errno_ret=38)])
    config["process"]["noNewPrivileges"] = False
    config["process"]["user"] = {"uid": 1000, "gid": 1000}
    code, out = run(oci, config)
    assert code != 0, out
    assert "1000" in out and "NoNewPrivs:\t0" in out and ENOSYS_TEXT in out


def test_unknown_syscall_names_are_skipped(oci):
    config = config_with(oci, ["sh", "-c", "mkdir /tmp/a"],
                         [deny(["no_such_syscall_at_all"] + MKDIR_CALLS, errno_ret=38)])
    code, out = run(oci, config)
    assert code == 1 and ENOSYS_TEXT in out, out


def test_several_architectures(oci):
    config = config_with(oci, ["sh", "-c", "mkdir /tmp/a"], [deny(MKDIR_CALLS, errno_ret=38)],
                         architectures=["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
                                        "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"])
    code, out = run(oci, config)
    assert code == 1 and ENOSYS_TEXT in out, out


@pytest.mark.ours  # runc 1.1 refuses every flag ("seccomp flags are not yet supported by runc")
def test_filter_flags(oci):
    config = config_with(oci, ["sh", "-c", "mkdir /tmp/a"], [deny(MKDIR_CALLS, errno_ret=38)],
                         flags=["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                "SECCOMP_FILTER_FLAG_SPEC_ALLOW"])
    code, out = run(oci, config)
    assert code == 1 and ENOSYS_TEXT in out, out


def test_exec_gets_the_containers_filter(oci):
    config = config_with(oci, ["sleep", "1000"], [deny(MKDIR_CALLS, errno_ret=38)])
    container_id = oci.new_id()
    oci.rt.create_started(container_id, oci.bundle(config))
    result = oci.rt.cmd("exec", container_id, "sh", "-c", "grep Seccomp: /proc/self/status; mkdir /tmp/x")
    assert result.returncode == 1, result
    assert "Seccomp:\t2" in result.stdout and ENOSYS_TEXT in result.stderr
    # And with --no-new-privs false from the container's process, as another user.
    result = oci.rt.cmd("exec", "--user", "1000:1000", container_id, "mkdir", "/tmp/y")
    assert result.returncode == 1 and ENOSYS_TEXT in result.stderr, result


@pytest.mark.parametrize("seccomp,json_path", [
    ({"defaultAction": "SCMP_ACT_DENY"}, "linux.seccomp.defaultAction"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [deny(["mkdir"], action="SCMP_ACT_BOGUS")]},
     "linux.seccomp.syscalls[0].action"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_BOGUS"]},
     "linux.seccomp.architectures[0]"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [deny(["mkdir"], errno_ret=70000)]},
     "linux.seccomp.syscalls[0].action"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/agent.sock",
      "syscalls": [deny(["mkdir"], action="SCMP_ACT_ERRNO")]},
     "linux.seccomp.listenerPath"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/agent.sock",
      "syscalls": [deny(["sendmsg"], action="SCMP_ACT_NOTIFY")]},
     "linux.seccomp.syscalls[0].names"),
])
@pytest.mark.ours
def test_bad_seccomp_refused_with_its_path(oci, seccomp, json_path):
    config = oci.config(["true"])
    config["linux"]["seccomp"] = seccomp
    cid = oci.new_id()
    H.assert_fails(oci.rt.create(cid, oci.bundle(config)), json_path)
    assert not oci.rt.state_result(cid).ok
    assert H.cgroup_dirs_under(config["linux"]["cgroupsPath"]) == {}
