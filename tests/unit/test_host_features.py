# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The integration tests' host requirements (tests/integration/host_features.py)
on faked hosts in temp dirs, and the proof that an unmet requirement skips a
test before its fixtures run (the integration conftest's hook)."""
from __future__ import absolute_import, division, print_function

import errno
import os
import subprocess
import sys
import textwrap

import pytest

INTEGRATION = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration")
sys.path.insert(0, INTEGRATION)

import host_features as F  # noqa: E402  pylint: disable=wrong-import-position


def make_files(base, *names):
    for name in names:
        path = os.path.join(str(base), name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write("")


@pytest.fixture
def hybrid(tmp_path):
    """A hybrid host's /sys/fs/cgroup: v1 memory, pids and blkio (no weight file), cgroup2 at unified."""
    root = tmp_path / "hybrid"
    make_files(root, "memory/cgroup.procs", "memory/memory.limit_in_bytes", "pids/cgroup.procs",
               "blkio/cgroup.procs", "blkio/blkio.throttle.read_bps_device",
               "unified/cgroup.procs", "unified/cgroup.controllers")
    return str(root)


@pytest.fixture
def unified(tmp_path):
    root = tmp_path / "unified"
    make_files(root, "cgroup.procs", "cgroup.controllers", "memory.stat")
    return str(root)


def test_cgroup_layouts(hybrid, unified, tmp_path):
    assert F.cgroup_layout(hybrid) == "hybrid"
    assert F.cgroup_layout(unified) == "unified"
    os.rename(os.path.join(hybrid, "unified"), os.path.join(hybrid, "was-unified"))
    assert F.cgroup_layout(hybrid) == "legacy"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert F.cgroup_layout(str(empty)) is None
    assert F.cgroup_layout_is("hybrid", root=hybrid).missing() == (
        "needs a hybrid cgroup host; %s is legacy" % hybrid)


def test_v1_hierarchy_present_or_named_in_the_reason(hybrid, unified):
    assert F.cgroup_v1("memory", "pids", root=hybrid).missing() is None
    reason = F.cgroup_v1("memory", "hugetlb", root=hybrid).missing()
    assert reason == "the host has no cgroup v1 hugetlb hierarchy at %s/hugetlb (cgroup layout: hybrid)" % hybrid
    # a cgroup2-only host has no v1 hierarchy, whatever directories it has
    os.makedirs(os.path.join(unified, "memory"))
    make_files(unified, "memory/cgroup.procs")
    assert "no cgroup v1 memory hierarchy" in F.cgroup_v1("memory", root=unified).missing()


def test_blkio_weight_missing_is_found_before_anything_is_created(hybrid):
    # The kernel of issue 22: blkio is mounted, but no CFQ/BFQ weight file.
    requirement = F.cgroup_v1_file("blkio", "blkio.weight", "blkio.bfq.weight", root=hybrid, why=" (neither CFQ nor BFQ)")
    assert requirement.missing() == (
        "no blkio.weight or blkio.bfq.weight in a cgroup of %s/blkio on this kernel (neither CFQ nor BFQ)" % hybrid)
    # the probe cgroup is gone again
    assert sorted(os.listdir(os.path.join(hybrid, "blkio"))) == ["blkio.throttle.read_bps_device", "cgroup.procs"]
    make_files(hybrid, "blkio/blkio.weight")
    assert requirement.missing() is None
    # no blkio hierarchy at all: that is the reason
    assert "no cgroup v1 blkio hierarchy" in F.cgroup_v1_file("blkio", "blkio.weight", root=hybrid + "/none").missing()


def test_probe_failure_is_a_reason(hybrid, monkeypatch):
    def refused(path, *args):
        raise OSError(errno.EACCES, os.strerror(errno.EACCES), path)
    monkeypatch.setattr(F.os, "mkdir", refused)
    reason = F.cgroup_v1_file("memory", "memory.memsw.limit_in_bytes", root=hybrid).missing()
    assert reason == "cannot make a probe cgroup in %s/memory: Permission denied" % hybrid


def test_cgroup2_files_and_freezer(hybrid, unified):
    assert F.cgroup2_tree(hybrid) == os.path.join(hybrid, "unified")
    assert F.cgroup2_tree(unified) == unified
    assert F.cgroup2(root=hybrid).missing() is None
    assert F.cgroup2("cgroup.freeze", root=hybrid).missing().startswith(
        "no cgroup.freeze in a cgroup of %s/unified" % hybrid)
    # no v1 freezer and no cgroup.freeze: both reasons
    reason = F.cgroup_freezer(root=hybrid).missing()
    assert "no cgroup v1 freezer hierarchy" in reason and "no cgroup.freeze" in reason
    make_files(unified, "cgroup.freeze")
    assert F.cgroup_freezer(root=unified).missing() is None


def test_procs_dir_follows_the_layout(hybrid, unified):
    assert F.procs_cgroup_dir("/a/b", root=hybrid) == os.path.join(hybrid, "pids", "a/b")
    assert F.procs_cgroup_dir("/a/b", root=unified) == os.path.join(unified, "a/b")


def test_user_namespaces_disabled_by_sysctl(tmp_path):
    proc = str(tmp_path)
    assert "no user namespaces" in F.user_namespaces(proc).missing()
    make_files(tmp_path, "self/ns/user", "sys/user/max_user_namespaces")
    with open(os.path.join(proc, "sys/user/max_user_namespaces"), "w") as handle:
        handle.write("0\n")
    assert F.user_namespaces(proc).missing() == (
        "user namespaces are disabled (%s/sys/user/max_user_namespaces is 0)" % proc)
    with open(os.path.join(proc, "sys/user/max_user_namespaces"), "w") as handle:
        handle.write("15000\n")
    assert F.user_namespaces(proc).missing() is None
    assert F.namespace("time", proc).missing() == (
        "the kernel has no time namespaces (%s/self/ns/time missing)" % proc)


def test_char_device(tmp_path):
    make_files(tmp_path, "fuse")
    assert F.char_device(str(tmp_path / "fuse")).missing() == "%s on the host is not a character device" % (
        tmp_path / "fuse")
    assert F.char_device(str(tmp_path / "nope")).missing() == "the host has no %s" % (tmp_path / "nope")
    assert F.char_device("/dev/null").missing() is None


def test_effective_capability(tmp_path):
    status = tmp_path / "status"
    status.write_text("Name:\tx\nCapEff:\t0000000000000000\n")
    assert F.effective_capability("CAP_SYS_RESOURCE", str(status)).missing() == (
        "the test process lacks CAP_SYS_RESOURCE (this host or container withholds it)")
    status.write_text("CapEff:\t%016x\n" % (1 << 24))
    assert F.effective_capability("CAP_SYS_RESOURCE", str(status)).missing() is None


def test_hard_rlimits_without_cap_sys_resource(monkeypatch):
    import resource
    monkeypatch.setattr(F, "effective_capability", lambda name: F.Requirement(name, lambda: "lacks it"))
    monkeypatch.setattr(resource, "getrlimit", lambda which: (1024, 65536))
    assert F.hard_rlimits(MEMLOCK=65536).missing() is None
    assert F.hard_rlimits(MEMLOCK=131072).missing() == (
        "RLIMIT_MEMLOCK hard limit 65536 is below 131072 and the test process lacks CAP_SYS_RESOURCE to raise it")
    assert F.hard_rlimits(CORE=resource.RLIM_INFINITY).missing() == (
        "RLIMIT_CORE hard limit 65536 is below unlimited and the test process lacks CAP_SYS_RESOURCE to raise it")
    monkeypatch.setattr(resource, "getrlimit", lambda which: (0, resource.RLIM_INFINITY))
    assert F.hard_rlimits(CORE=resource.RLIM_INFINITY, MEMLOCK=131072).missing() is None
    monkeypatch.setattr(F, "effective_capability", lambda name: F.Requirement(name, lambda: None))
    assert F.hard_rlimits(MEMLOCK=131072).missing() is None


def test_lsm_as_the_runtime_and_securityfs_see_it(tmp_path):
    sys_root = str(tmp_path)
    assert F.lsm("apparmor", sys_root).missing() == "AppArmor is not enabled on this host"
    assert F.no_lsm("apparmor", "selinux", sys_root=sys_root).missing() is None
    make_files(tmp_path, "module/apparmor/parameters/enabled")
    (tmp_path / "module/apparmor/parameters/enabled").write_text("Y\n")
    assert F.lsm("apparmor", sys_root).missing() is None
    assert F.no_lsm("apparmor", "selinux", sys_root=sys_root).missing() == (
        "checks a host without apparmor and selinux; this one has apparmor")
    (tmp_path / "module/apparmor/parameters/enabled").write_text("N\n")
    os.makedirs(os.path.join(sys_root, "kernel/security/apparmor"))
    assert F.lsm("apparmor", sys_root).missing() is None
    assert F.lsm("selinux", sys_root).missing() == "SELinux is not enabled on this host"
    make_files(tmp_path, "fs/selinux/enforce")
    assert F.lsm("selinux", sys_root).missing() is None


def test_programs_libraries_commands():
    assert F.program("no-such-program-xyz", "apt package xyz").missing() == (
        "no-such-program-xyz is not installed (apt package xyz)")
    assert F.program("sh").missing() is None
    assert F.shared_library("no_such_lib_xyz").missing() == "libno_such_lib_xyz is not installed on this host"
    assert F.python_module("no_such_module_xyz").missing() == "no_such_module_xyz is not installed"
    assert F.command_works(["false"], "a probe").missing() == "a probe: false exited 1: "
    assert F.command_works(["true"], "a probe").missing() is None
    assert F.any_of(F.program("no-such-a"), F.program("sh")).missing() is None
    assert F.any_of(F.program("no-such-a"), F.program("no-such-b")).missing() == (
        "no-such-a is not installed; no-such-b is not installed")


def test_unmet_requirement_skips_before_any_fixture_runs(tmp_path, hybrid):
    """The real integration conftest's hook, in a pytest run of its own: the
    test that needs blkio.weight on the faked host is skipped with the reason
    and its fixture (which would create the container) never runs; a test
    whose requirement is met runs its fixture."""
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "conftest.py").write_text(textwrap.dedent("""
        import importlib.util
        import sys
        sys.path.insert(0, %(integration)r)
        spec = importlib.util.spec_from_file_location("integration_conftest", %(conftest)r)
        real = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(real)
        pytest_configure = real.pytest_configure
        pytest_runtest_setup = real.pytest_runtest_setup
        """ % {"integration": INTEGRATION, "conftest": os.path.join(INTEGRATION, "conftest.py")}))
    (suite / "test_fake.py").write_text(textwrap.dedent("""
        import os
        import pytest
        from host_features import cgroup_v1, cgroup_v1_file, requires

        ROOT = %(root)r
        RAN = %(ran)r

        @pytest.fixture
        def container(request):
            with open(os.path.join(RAN, request.node.name), "w") as handle:
                handle.write("created")

        @requires(cgroup_v1_file("blkio", "blkio.weight", "blkio.bfq.weight", root=ROOT))
        def test_needs_weight(container):
            raise AssertionError("must not run")

        @requires(cgroup_v1("memory", root=ROOT))
        def test_needs_memory(container):
            pass
        """ % {"root": hybrid, "ran": str(tmp_path)}))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "--strict-markers",
                           str(suite)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          timeout=120, check=False, cwd=str(suite))
    assert proc.returncode == 0, proc.stdout
    assert "1 passed, 1 skipped" in proc.stdout, proc.stdout
    assert ("SKIPPED [1] test_fake.py:14: no blkio.weight or blkio.bfq.weight in a cgroup of %s/blkio" % hybrid
            in proc.stdout), proc.stdout
    assert not os.path.exists(str(tmp_path / "test_needs_weight"))
    assert os.path.exists(str(tmp_path / "test_needs_memory"))


def test_host_content(tmp_path):
    (tmp_path / "firmware").mkdir()
    (tmp_path / "keys").write_text("")
    assert F.host_content(str(tmp_path / "firmware")).missing() == "%s is empty on this host" % (tmp_path / "firmware")
    (tmp_path / "firmware" / "acpi").mkdir()
    assert F.host_content(str(tmp_path / "firmware"), str(tmp_path / "keys")).missing() == (
        "%s is empty on this host" % (tmp_path / "keys"))
    (tmp_path / "keys").write_text("key\n")
    assert F.host_content(str(tmp_path / "firmware"), str(tmp_path / "keys")).missing() is None
    assert F.host_content(str(tmp_path / "nope")).missing().startswith("%s cannot be read on this host" % (tmp_path / "nope"))
