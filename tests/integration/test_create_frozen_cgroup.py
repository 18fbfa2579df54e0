# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""create and run into a frozen cgroup fail at once and leave nothing behind.

A process that joins a frozen cgroup is frozen too (cgroup v1 freezer:
freezer.state; v2: cgroup.freeze and the "frozen" key of cgroup.events),
also when only an ancestor is frozen. The container's init would sit there
forever, and create with it. The runtime checks before it creates anything:
no state directory, no process, no cgroup directory is left.
"""
from __future__ import absolute_import, division, print_function

import os
import time

import pytest

import itest_helpers as H
from host_features import cgroup2, cgroup_v1, requires

# Checked before the test makes and freezes a cgroup (the fixture's skips stay as a fallback).
V1_FREEZER = requires(cgroup_v1("freezer"))
V2_FREEZER = requires(cgroup2("cgroup.freeze", why=" (the cgroup v2 freezer needs Linux >= 5.2)"))

# Far below the 30 s a hanging create would need to hit the CLI timeout.
FAST = 5.0


def _mounts(fstype):
    found = []
    with open("/proc/self/mountinfo") as handle:
        for line in handle:
            fields = line.split()
            sep = fields.index("-")
            if fields[sep + 1] == fstype:
                found.append((fields[4], fields[-1].split(",")))
    return found


def freezer_v1_mount():
    return next((point for point, options in _mounts("cgroup") if "freezer" in options), None)


def cgroup2_mount():
    for point, _options in _mounts("cgroup2"):
        return point
    return None


def write(path, value):
    with open(path, "w") as handle:
        handle.write(value)


def read(path):
    with open(path) as handle:
        return handle.read().strip()


@pytest.fixture
def frozen(oci):
    """freeze(kind, relative_path): make that cgroup and freeze it; thawed and removed afterwards."""
    made = []

    def freeze(kind, path):
        if kind == "v1":
            mount = freezer_v1_mount()
            if mount is None:
                pytest.skip("no cgroup v1 freezer hierarchy on this host")
            directory = os.path.join(mount, path.lstrip("/"))
            os.makedirs(directory)
            made.append((directory, "freezer.state", "THAWED"))
            write(os.path.join(directory, "freezer.state"), "FROZEN")
            H.wait_for(lambda: read(os.path.join(directory, "freezer.state")) == "FROZEN", what="FROZEN")
        else:
            mount = cgroup2_mount()
            if mount is None:
                pytest.skip("no cgroup2 hierarchy on this host")
            directory = os.path.join(mount, path.lstrip("/"))
            os.makedirs(directory)
            made.append((directory, "cgroup.freeze", "0"))
            if not os.path.exists(os.path.join(directory, "cgroup.freeze")):
                pytest.skip("the kernel has no cgroup v2 freezer (Linux >= 5.2)")
            write(os.path.join(directory, "cgroup.freeze"), "1")
            H.wait_for(lambda: "frozen 1" in read(os.path.join(directory, "cgroup.events")), what="frozen 1")
        return directory
    yield freeze
    for directory, filename, thawed in reversed(made):
        try:
            write(os.path.join(directory, filename), thawed)
        except OSError:
            pass
    H.remove_cgroup_tree(oci.cgroup_prefix)  # the container's, had create gone wrong


def assert_nothing_left(oci, cid, frozen_dir, prefix):
    assert not oci.rt.state_result(cid).ok
    assert not os.path.exists(os.path.join(oci.rt.root, cid))
    assert H.cgroup_procs(frozen_dir) == []
    # Only the frozen cgroup the test made exists: no directory in any other hierarchy, none below it.
    assert H.cgroup_dirs_under(prefix) == {frozen_dir: [frozen_dir]}


# runc 1.1 checks only the v1 freezer.state of the container's own cgroup.
@pytest.mark.parametrize("where,kind", [
    pytest.param("itself", "v1", marks=V1_FREEZER),
    pytest.param("parent", "v1", marks=[pytest.mark.ours, V1_FREEZER]),
    pytest.param("itself", "v2", marks=[pytest.mark.ours, V2_FREEZER]),
    pytest.param("parent", "v2", marks=[pytest.mark.ours, V2_FREEZER])])
@pytest.mark.parametrize("verb", ["create", "run"])
def test_frozen_cgroup_fails_at_once(oci, frozen, kind, where, verb):
    prefix = oci.cgroup_prefix
    frozen_dir = frozen(kind, prefix)
    config = oci.config(["true"])
    config["linux"]["cgroupsPath"] = prefix if where == "itself" else prefix + "/c1"
    cid = oci.new_id()
    started = time.monotonic()
    if verb == "create":
        result = oci.rt.create(cid, oci.bundle(config), timeout=20)
    else:
        result = oci.rt.run(cid, oci.bundle(config), timeout=20)
    took = time.monotonic() - started
    assert not result.ok, result
    assert took < FAST, "took %.1fs" % took
    if H.binary_is_ours():
        assert "frozen" in result.stderr and frozen_dir in result.stderr, result
    assert_nothing_left(oci, cid, frozen_dir, prefix)


@V1_FREEZER
def test_thawed_cgroup_is_fine(oci, frozen):
    """The same cgroup, thawed again, takes the container."""
    prefix = oci.cgroup_prefix
    frozen_dir = frozen("v1", prefix)
    write(os.path.join(frozen_dir, "freezer.state"), "THAWED")
    config = oci.config(["true"])
    config["linux"]["cgroupsPath"] = prefix + "/c1"
    result = oci.rt.run(oci.new_id(), oci.bundle(config), timeout=20)
    assert result.ok, result
