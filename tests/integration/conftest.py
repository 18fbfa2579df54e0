# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for integration tests that run REAL containers through the CLI.

The binary comes from OCI_RUNTIME_BIN (default <repo>/bin/oci-runtime), so
the suite can be validated against runc:

    OCI_RUNTIME_BIN=/usr/sbin/runc python3 -m pytest tests/integration -k 'not room'

Tests of this project's own extensions are marked ``@pytest.mark.ours`` and
skipped when the binary is not ours.  Every test gets its own state root,
cgroup prefix and container ids; the finalizer force-deletes every container
and then fails the test if it finds leftover processes, host mounts or
cgroups (after removing them).
"""
from __future__ import absolute_import, division, print_function

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import host_features as F  # noqa: E402
import itest_helpers as H  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BUSYBOX = "/bin/busybox"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "ours: tests an extension of this project's runtime "
        "(skipped when OCI_RUNTIME_BIN is another runtime)")
    config.addinivalue_line(
        "markers", "requires(*requirements): host features (host_features.py) the test needs; "
        "an unmet one skips the test, with its reason, before any fixture runs")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    # Before the fixtures: a test that cannot run here must not create a
    # container, cgroup or mount first. A test already marked skip (not
    # root, not our binary) keeps that reason.
    if item.get_closest_marker("skip") is None:
        F.skip_unmet_requirements(item)


def pytest_collection_modifyitems(config, items):
    not_root = os.geteuid() != 0
    ours = H.binary_is_ours()
    skip_root = pytest.mark.skip(reason="integration tests create real containers and need root")
    skip_ours = pytest.mark.skip(
        reason="tests an extension of our runtime; %s is not bin/oci-runtime" % H.runtime_binary())
    for item in items:
        if not str(item.fspath).startswith(HERE + os.sep):
            continue
        if not_root:
            item.add_marker(skip_root)
        elif not ours and item.get_closest_marker("ours"):
            item.add_marker(skip_ours)


@pytest.fixture(scope="session")
def busybox_rootfs(tmp_path_factory):
    """A busybox rootfs shared by all tests (containers mount it read-only)."""
    if not os.path.isfile(BUSYBOX):
        pytest.skip("%s is missing (install busybox-static)" % BUSYBOX)
    probe = subprocess.run(["file", "-L", BUSYBOX], stdout=subprocess.PIPE,
                           universal_newlines=True, timeout=10, check=False) \
        if shutil.which("file") else None
    if probe is not None and "statically linked" not in probe.stdout:
        pytest.skip("%s is not statically linked (install busybox-static)" % BUSYBOX)
    dest = str(tmp_path_factory.mktemp("busybox") / "rootfs")
    return H.build_busybox_rootfs(dest, BUSYBOX)


@pytest.fixture(scope="session")
def runtime_binary():
    binary = H.runtime_binary()
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        pytest.skip("runtime binary %s does not exist or is not executable "
                    "(set OCI_RUNTIME_BIN)" % binary)
    return binary


def _monitor_pids(runtime):
    """(pid, start time) of monitor processes our state files name."""
    found = []
    for container_id in runtime.ids:
        try:
            pid = runtime.read_state_file(container_id).get("monitor_pid")
        except (IOError, OSError, ValueError, AttributeError):
            continue
        if isinstance(pid, int) and pid > 0:
            found.append((pid, H.process_start_time(pid)))
    return found


class Context(object):
    """What a test needs: ``rt`` (the CLI wrapper), ``out`` (host dir bound
    at /out in configs made by config()), config()/bundle()/new_id()."""

    def __init__(self, tmp_path, rootfs, runtime, prefix, request):
        self.tmp = str(tmp_path)
        self.rootfs = rootfs
        self.rt = runtime
        self.cgroup_prefix = prefix
        self.out = os.path.join(self.tmp, "out")
        os.makedirs(self.out)
        os.chmod(self.out, 0o777)
        self._counter = 0
        self._name = H.sanitize_id(request.node.name, 24)
        self.rootfs_copies = []

    def _next(self):
        self._counter += 1
        return self._counter

    def new_id(self):
        return "%s-%s" % (self._name, uuid.uuid4().hex[:8])

    def config(self, args, out=True, rootfs=None, readonly=True):
        """base_config with a unique cgroupsPath below this test's prefix and
        (out=True) the host dir self.out bound read-write at /out."""
        cgroups_path = "%s/c%d" % (self.cgroup_prefix, self._next())
        config = H.base_config(args, rootfs or self.rootfs, cgroups_path, readonly)
        if out:
            H.add_bind(config, self.out, "/out")
        return config

    def private_rootfs(self):
        """A writable copy of the busybox rootfs for tests that change it."""
        dest = os.path.join(self.tmp, "rootfs-%d" % self._next())
        H.copy_rootfs(self.rootfs, dest)
        self.rootfs_copies.append(dest)
        return dest

    def bundle(self, config, name=None):
        path = os.path.join(self.tmp, name or "bundle-%d" % self._next())
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, "config.json"), "w") as handle:
            json.dump(config, handle, indent=1)
        return path

    def cgroup_dir(self, config, controller):
        return os.path.join(H.CGROUP_ROOT, controller, config["linux"]["cgroupsPath"].lstrip("/"))

    def out_file(self, name):
        return os.path.join(self.out, name)


@pytest.fixture
def oci(request, tmp_path, busybox_rootfs, runtime_binary):
    """Per-test context; its finalizer leaves nothing behind (or fails)."""
    state_root = str(tmp_path / "state-root")  # not created: runtimes make it
    workdir = str(tmp_path / "stdio")
    os.makedirs(workdir)
    runtime = H.Runtime(runtime_binary, state_root, workdir)
    prefix = "/oci-test-%s" % uuid.uuid4().hex[:10]
    ctx = Context(tmp_path, busybox_rootfs, runtime, prefix, request)
    yield ctx
    _cleanup(ctx, busybox_rootfs)


CLAIMS_DIR = "/run/opencontainer/cgroup-owners"


def _remove_claims_of(state_root):
    real = os.path.realpath(state_root)
    for name in os.listdir(CLAIMS_DIR) if os.path.isdir(CLAIMS_DIR) else ():
        path = os.path.join(CLAIMS_DIR, name)
        try:
            with open(path) as handle:
                owner = json.load(handle).get("state_root")
        except (IOError, OSError, ValueError, AttributeError):
            continue
        if owner == real:
            try:
                os.unlink(path)
            except OSError:
                pass


def _cleanup(ctx, busybox_rootfs):
    runtime = ctx.rt
    problems = []
    monitors = _monitor_pids(runtime)
    for container_id in reversed(runtime.ids):
        try:
            runtime.delete(container_id, force=True)
        except subprocess.TimeoutExpired:
            problems.append("delete --force %s timed out" % container_id)
    # Container processes that survived delete --force.
    stray = set(H.processes_rooted_in([busybox_rootfs] + ctx.rootfs_copies))
    stray.update(pid for pid, started in runtime.seen_pids
                 if started is not None and H.process_start_time(pid) == started
                 and H.pid_alive(pid))
    stray = sorted(stray)
    for pid in stray:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    if stray:
        problems.append("processes left running in container roots: %s" % stray)
    # Monitors of our runtime must exit with their container.
    deadline = time.monotonic() + 3
    for pid, started in monitors:
        while started is not None and H.process_start_time(pid) == started and \
                H.pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if started is not None and H.process_start_time(pid) == started and H.pid_alive(pid):
            problems.append("monitor process %d still alive after delete" % pid)
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    leftovers = H.remove_cgroup_tree(ctx.cgroup_prefix)
    if leftovers:
        problems.append("cgroups left behind: %s" % leftovers)
    # Host-wide cgroup claims (cgroups/owner.py) that this test's state root
    # still holds: delete gives a claim up, but a simulated reboot or a
    # wiped state root leaves it stale, which the runtime tolerates and a
    # test must not leave behind on the host.
    _remove_claims_of(runtime.root)
    mounts = H.host_mounts_under([busybox_rootfs, ctx.tmp])
    for point in sorted(mounts, key=len, reverse=True):
        subprocess.run(["umount", "-l", point], timeout=10,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    if mounts:
        problems.append("host mounts left behind: %s" % mounts)
    shutil.rmtree(runtime.root, ignore_errors=True)
    if problems:
        pytest.fail("cleanup found leftovers: " + "; ".join(problems))
