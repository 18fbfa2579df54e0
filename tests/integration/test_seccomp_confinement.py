# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the container's seccomp filter covers, seen from inside real containers:

- startContainer hooks run under the container's filter (runc loads the
  filter before it runs them), so a hook cannot do what the filter forbids;
- a syscall newer than every syscall the profile names (e.g. number 1000,
  or clone3 for a profile that stops before it) gets ENOSYS, not the
  default errno, as with runc, so that libc's fallbacks work (glibc's
  pthread_create tries clone3 and falls back to clone only on ENOSYS).

The ENOSYS tests run a small static C probe (gcc -static) in the busybox
rootfs: busybox has no applet that makes an arbitrary syscall.
"""
from __future__ import absolute_import, division, print_function

import ctypes
import ctypes.util
import errno
import os
import shutil
import subprocess

import pytest

import itest_helpers as H
from host_features import requires, user_namespaces

EPERM_TEXT = "Operation not permitted"
MKDIR_CALLS = ["mkdir", "mkdirat"]

PROBE_SOURCE = r"""
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

static void *body(void *arg) { return arg; }

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "nr") == 0) {
        long nr = strtol(argv[2], NULL, 0);
        long ret = syscall(nr, 0, 0, 0, 0, 0, 0);
        printf("nr %ld errno %d\n", nr, ret < 0 ? errno : 0);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "thread") == 0) {
        pthread_t thread;
        void *result = NULL;
        int err = pthread_create(&thread, NULL, body, (void *)42);
        if (err) {
            printf("thread errno %d\n", err);
            return 0;
        }
        pthread_join(thread, &result);
        printf("thread ok %ld\n", (long)result);
        return 0;
    }
    return 2;
}
"""


def _libseccomp():
    name = ctypes.util.find_library("seccomp")
    if not name:
        return None
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    lib.seccomp_syscall_resolve_num_arch.restype = ctypes.c_char_p
    lib.seccomp_syscall_resolve_num_arch.argtypes = [ctypes.c_uint32, ctypes.c_int]
    lib.seccomp_arch_native.restype = ctypes.c_uint32
    return lib


pytestmark = pytest.mark.skipif(_libseccomp() is None, reason="libseccomp is not installed on this host")


def native_syscalls(below):
    """{name: number} of the native syscalls this libseccomp knows, numbers below ``below``."""
    lib = _libseccomp()
    native = lib.seccomp_arch_native()
    names = {}
    for number in range(below):
        name = lib.seccomp_syscall_resolve_num_arch(native, number)
        if name:
            names[name.decode()] = number
    return names


# libseccomp's native architecture token (an AUDIT_ARCH_* value) -> its OCI name.
NATIVE_ARCHES = {0xc000003e: "SCMP_ARCH_X86_64", 0xc00000b7: "SCMP_ARCH_AARCH64",
                 0xc0000015: "SCMP_ARCH_PPC64LE", 0x80000016: "SCMP_ARCH_S390X",
                 0xc00000f3: "SCMP_ARCH_RISCV64"}


def native_arch_name():
    name = NATIVE_ARCHES.get(_libseccomp().seccomp_arch_native())
    if name is None:
        pytest.skip("no OCI name known here for this host's architecture")
    return name


def allow_list(oci, args, names, default_errno=None, architectures=True):
    """defaultAction ERRNO (EPERM unless ``default_errno``), allowing ``names``.

    With ``architectures`` the profile lists the native one: runc before
    1.2 puts its ENOSYS stub only on the listed architectures (runc commit
    ccc500c4 adds the native one, as this runtime does).
    """
    config = oci.config(args)
    seccomp = {"defaultAction": "SCMP_ACT_ERRNO",
               "syscalls": [{"names": sorted(names), "action": "SCMP_ACT_ALLOW"}]}
    if default_errno is not None:
        seccomp["defaultErrnoRet"] = default_errno
    if architectures:
        seccomp["architectures"] = [native_arch_name()]
    config["linux"]["seccomp"] = seccomp
    return config


@pytest.fixture(scope="module")
def probe_binary(tmp_path_factory):
    """The static probe, compiled once (skips without gcc and a static libc)."""
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed (needed to build the static syscall probe)")
    build = tmp_path_factory.mktemp("probe")
    source = str(build / "probe.c")
    with open(source, "w") as handle:
        handle.write(PROBE_SOURCE)
    binary = str(build / "probe")
    result = subprocess.run([gcc, "-static", "-pthread", "-O", "-o", binary, source],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, timeout=120, check=False)
    if result.returncode != 0:
        pytest.skip("gcc -static failed (no static libc? install libc6-dev): %s" % result.stdout[-300:])
    return binary


def with_probe(oci, probe_binary):
    """The probe at /out/probe inside containers made by oci.config()."""
    shutil.copy(probe_binary, oci.out_file("probe"))
    os.chmod(oci.out_file("probe"), 0o755)
    return "/out/probe"


def run(oci, config):
    result = oci.rt.run(oci.new_id(), oci.bundle(config))
    return result.returncode, result.stdout + result.stderr


# -- startContainer hooks ------------------------------------------------------

@pytest.mark.parametrize("no_new_privileges", [True, False])
def test_start_container_hook_runs_under_the_filter(oci, no_new_privileges):
    """A profile that blocks mkdir blocks it in a startContainer hook too."""
    config = oci.config(["sh", "-c", "mkdir /out/from-process; echo process=$?"])
    config["process"]["noNewPrivileges"] = no_new_privileges
    config["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW",
                                  "syscalls": [{"names": MKDIR_CALLS, "action": "SCMP_ACT_ERRNO"}]}
    script = ("grep Seccomp: /proc/self/status > /out/hook.status; "
              "mkdir /out/from-hook 2> /out/hook.err; echo $? > /out/hook.rc")
    H.add_hook(config, "startContainer", "/bin/busybox", ["sh", "-c", script])
    code, out = run(oci, config)
    assert code == 0, out
    assert "process=1" in out and EPERM_TEXT in out
    with open(oci.out_file("hook.status")) as handle:
        assert handle.read().split() == ["Seccomp:", "2"]  # SECCOMP_MODE_FILTER
    with open(oci.out_file("hook.rc")) as handle:
        assert handle.read().strip() == "1"
    with open(oci.out_file("hook.err")) as handle:
        assert EPERM_TEXT in handle.read()
    assert not os.path.exists(oci.out_file("from-hook"))
    assert not os.path.exists(oci.out_file("from-process"))


@pytest.fixture
def searchable(oci):
    """As test_userns.py: the mapped root must reach the test's directory (pytest makes it 0700)."""
    changed = []
    path = oci.tmp
    while path not in ("/", "/tmp"):
        mode = os.stat(path).st_mode & 0o7777
        if mode & 0o001 == 0:
            os.chmod(path, mode | 0o001)
            changed.append((path, mode))
        path = os.path.dirname(path)
    yield
    for path, mode in changed:
        os.chmod(path, mode)


@requires(user_namespaces())
def test_start_container_hook_under_the_filter_in_a_user_namespace(oci, searchable):
    """Without no_new_privs the hook's load needs CAP_SYS_ADMIN: the init's, in its user namespace."""
    rootfs = oci.private_rootfs()
    subprocess.run(["chown", "-R", "100000:100000", rootfs], check=True, timeout=60)
    config = oci.config(["true"], rootfs=rootfs)
    H.set_namespace(config, "user")
    config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    config["process"]["noNewPrivileges"] = False
    config["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW",
                                  "syscalls": [{"names": MKDIR_CALLS, "action": "SCMP_ACT_ERRNO"}]}
    script = "mkdir /tmp/from-hook 2> /out/hook.err; echo $? > /out/hook.rc"
    H.add_hook(config, "startContainer", "/bin/busybox", ["sh", "-c", script])
    code, out = run(oci, config)
    assert code == 0, out
    with open(oci.out_file("hook.rc")) as handle:
        assert handle.read().strip() == "1"
    with open(oci.out_file("hook.err")) as handle:
        assert EPERM_TEXT in handle.read()


@pytest.mark.ours  # runc's start returns before its init runs the startContainer hooks
def test_start_container_hook_killed_by_the_filter_fails_start(oci):
    """A KILL rule the hook trips kills the hook: start fails and says so."""
    config = oci.config(["true"])
    config["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW",
                                  "syscalls": [{"names": MKDIR_CALLS, "action": "SCMP_ACT_KILL_PROCESS"}]}
    H.add_hook(config, "startContainer", "/bin/busybox", ["mkdir", "/out/from-hook"])
    cid = oci.new_id()
    oci.rt.create(cid, oci.bundle(config)).check()
    result = oci.rt.start(cid)
    assert not result.ok, result
    assert not os.path.exists(oci.out_file("from-hook"))
    if H.binary_is_ours():
        assert "startContainer" in result.stderr and "signal 31" in result.stderr, result


# -- ENOSYS for syscalls newer than the profile ------------------------------------

@pytest.mark.parametrize("architectures", [True, pytest.param(False, marks=pytest.mark.ours)])
def test_syscall_above_every_named_one_gets_enosys(oci, probe_binary, architectures):
    """Number 1000 is above every syscall the profile names: ENOSYS, not the default EPERM."""
    probe = with_probe(oci, probe_binary)
    names = native_syscalls(1000)
    getppid = names.pop("getppid")
    config = allow_list(oci, ["sh", "-c", "%s nr 1000; %s nr %d" % (probe, probe, getppid)], names,
                        architectures=architectures)
    code, out = run(oci, config)
    assert code == 0, out
    assert "nr 1000 errno %d" % errno.ENOSYS in out
    # getppid is below the highest named syscall: the default action still applies.
    assert "nr %d errno %d" % (getppid, errno.EPERM) in out


def test_default_errno_enosys_is_kept(oci, probe_binary):
    """With defaultErrnoRet ENOSYS already, nothing changes: unknown syscalls get ENOSYS."""
    probe = with_probe(oci, probe_binary)
    config = allow_list(oci, [probe, "nr", "1000"], native_syscalls(1000), default_errno=errno.ENOSYS)
    code, out = run(oci, config)
    assert code == 0 and "nr 1000 errno %d" % errno.ENOSYS in out, out


def test_glibc_clone3_falls_back_to_clone(oci, probe_binary):
    """A profile naming only syscalls older than clone3: pthread_create still works.

    glibc (>= 2.34) tries clone3 and falls back to clone only on ENOSYS; with
    the default EPERM the thread could not be created.
    """
    clone3 = native_syscalls(1000).get("clone3")
    if clone3 is None:
        pytest.skip("this host's libseccomp does not know clone3")
    probe = with_probe(oci, probe_binary)
    config = allow_list(oci, ["sh", "-c", "%s nr %d; %s thread" % (probe, clone3, probe)], native_syscalls(clone3))
    code, out = run(oci, config)
    assert code == 0, out
    assert "nr %d errno %d" % (clone3, errno.ENOSYS) in out
    assert "thread ok 42" in out


def test_allowing_default_action_adds_no_enosys(oci, probe_binary):
    """defaultAction ALLOW: a denied syscall keeps its errno and unknown ones reach the kernel."""
    probe = with_probe(oci, probe_binary)
    getppid = native_syscalls(1000)["getppid"]
    config = oci.config(["sh", "-c", "%s nr 1000; %s nr %d" % (probe, probe, getppid)])
    config["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW",
                                  "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_ERRNO",
                                                "errnoRet": errno.EACCES}]}
    code, out = run(oci, config)
    assert code == 0, out
    assert "nr 1000 errno %d" % errno.ENOSYS in out  # the kernel's own answer
    assert "nr %d errno %d" % (getppid, errno.EACCES) in out
