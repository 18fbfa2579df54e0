# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ids at and above the length limit (runtime/ids.py), with real containers."""
from __future__ import absolute_import, division, print_function

import os
import uuid

import pytest

import itest_helpers as H
from runtime.ids import MAX_ID_LENGTH

pytestmark = pytest.mark.ours


def _long_id(length):
    tag = uuid.uuid4().hex[:8]
    return tag + "x" * (length - len(tag))


def test_longest_id_runs_with_default_cgroup(oci):
    # The default cgroup path is made from the id: the longest id must give
    # a valid cgroup name, state directory and init.sock.
    cid = _long_id(MAX_ID_LENGTH)
    config = oci.config(["sleep", "30"])
    del config["linux"]["cgroupsPath"]
    oci.rt.create(cid, oci.bundle(config)).check()
    cgroup = oci.rt.read_state_file(cid)["cgroup"]["path"]
    try:
        oci.rt.start(cid).check()
        assert oci.rt.state(cid)["status"] == "running"
        listed = oci.rt.list("--format", "json").check()
        assert cid in listed.stdout
        oci.rt.kill(cid, "KILL").check()
        oci.rt.wait_status(cid, "stopped")
        oci.rt.delete(cid).check()
        assert not os.path.exists(os.path.join(oci.rt.root, cid))
    finally:  # outside the test's cgroup prefix: the fixture would not clean it
        assert H.remove_cgroup_tree(cgroup) == []


@pytest.mark.parametrize("length", [MAX_ID_LENGTH + 1, 256, 1024])
def test_too_long_id_fails_before_anything_exists(oci, length):
    cid = _long_id(length)
    result = oci.rt.create(cid, oci.bundle(oci.config(["true"])))
    H.assert_fails(result, "longer than %d characters" % MAX_ID_LENGTH)
    assert "File name too long" not in result.stderr
    assert not os.path.isdir(oci.rt.root) or os.listdir(oci.rt.root) == []
