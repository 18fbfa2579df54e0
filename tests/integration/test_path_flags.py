# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Path flags that cannot name a file fail with the flag's name, before anything exists (runtime/pathcheck.py)."""
from __future__ import absolute_import, division, print_function

import os

import pytest

import itest_helpers as H

pytestmark = pytest.mark.ours

LONG_NAME = "p" * 256


def _nothing_created(oci):
    assert not os.path.isdir(oci.rt.root) or [n for n in os.listdir(oci.rt.root) if not n.startswith(".")] == []


@pytest.mark.parametrize("pid_file,message", [
    ("/nonexistent-dir-for-oci-tests/pid", "--pid-file: directory /nonexistent-dir-for-oci-tests does not exist"),
    ("/tmp/" + LONG_NAME, "--pid-file: has a component of 256 bytes"),
    ("/tmp", "--pid-file: /tmp is a directory"),
])
def test_create_with_unusable_pid_file(oci, pid_file, message):
    config = oci.config(["sleep", "30"])
    cid = oci.new_id()
    result = oci.rt.create(cid, oci.bundle(config), pid_file=pid_file)
    H.assert_fails(result, message)
    _nothing_created(oci)
    for directory in H.cgroup_dirs_under(config["linux"]["cgroupsPath"]):
        raise AssertionError("cgroup %s left behind" % directory)


@pytest.mark.parametrize("args,flag", [
    (["--root", "/tmp/" + LONG_NAME, "list"], "--root"),
    (["create", "--bundle", "/tmp/" + LONG_NAME, "x1"], "--bundle"),
    (["create", "--console-socket", "/tmp/" + LONG_NAME, "x1"], "--console-socket"),
])
def test_unusable_path_flags_name_the_flag(oci, args, flag):
    result = oci.rt.cmd(*args)
    H.assert_fails(result, flag + ": has a component of 256 bytes")
    _nothing_created(oci)
