# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `state` operation (runtime.md "State") and our state file
<root>/<id>/state.json."""
from __future__ import absolute_import, division, print_function

import json
import os
import stat

import pytest

import itest_helpers as H

ANNOTATIONS = {"org.example.key": "value", "org.example.other": "x y"}


def test_state_output_fields(oci):
    config = oci.config(["sleep", "30"])
    config["annotations"] = dict(ANNOTATIONS)
    cid = oci.new_id()
    bundle = oci.bundle(config)
    oci.rt.create(cid, bundle).check()
    state = oci.rt.state(cid)
    assert state["ociVersion"]
    assert state["id"] == cid
    assert state["status"] == "created"
    assert isinstance(state["pid"], int) and state["pid"] > 0
    assert state["bundle"] == bundle
    assert state["annotations"] == ANNOTATIONS


def test_state_bundle_is_absolute(oci):
    cid = oci.new_id()
    bundle = oci.bundle(oci.config(["sleep", "30"]))
    oci.rt.create(cid, ".", cwd=bundle).check()
    assert oci.rt.state(cid)["bundle"] == bundle


@pytest.mark.ours
def test_state_file_fields(oci):
    config = oci.config(["sleep", "30"])
    config["annotations"] = dict(ANNOTATIONS)
    cid = oci.new_id()
    bundle = oci.bundle(config)
    oci.rt.create(cid, ".", cwd=bundle).check()
    saved = oci.rt.read_state_file(cid)
    assert saved["id"] == cid
    assert saved["status"] == "created"
    assert saved["pid"] == oci.rt.state(cid)["pid"]
    assert saved["bundle"] == bundle
    assert saved["annotations"] == ANNOTATIONS
    assert saved["ociVersion"] and saved["version"] == saved["ociVersion"]
    assert saved["root"] == bundle


@pytest.mark.ours
def test_state_file_follows_status(oci):
    cid = oci.new_id()
    script = "while [ ! -e /out/go ]; do sleep 0.02; done"
    oci.rt.create(cid, oci.bundle(oci.config(["sh", "-c", script]))).check()
    assert oci.rt.read_state_file(cid)["status"] == "created"
    oci.rt.start(cid).check()
    assert oci.rt.read_state_file(cid)["status"] == "running"
    open(oci.out_file("go"), "w").close()
    H.wait_for(lambda: oci.rt.read_state_file(cid)["status"] == "stopped",
               what="state.json status stopped")


@pytest.mark.ours
def test_state_root_created_private(oci):
    assert not os.path.exists(oci.rt.root)
    cid = oci.new_id()
    oci.rt.create(cid, oci.bundle(oci.config(["sleep", "30"]))).check()
    mode = stat.S_IMODE(os.stat(oci.rt.root).st_mode)
    assert mode == 0o700, oct(mode)


@pytest.mark.ours
def test_state_file_says_creating_during_create(oci):
    # A createRuntime hook sees the state file while create is running.
    config = oci.config(["true"])
    cid = oci.new_id()
    state_file = os.path.join(oci.rt.root, cid, "state.json")
    H.add_hook(config, "createRuntime", "/bin/busybox",
               ["sh", "-c", "cat %s > %s" % (state_file, oci.out_file("during.json"))])
    oci.rt.create(cid, oci.bundle(config)).check()
    during = json.loads(H.wait_file(oci.out_file("during.json")))
    assert during["status"] == "creating"
    assert during["id"] == cid


def test_list_after_state_dir_removed_by_delete(oci):
    cid = oci.new_id()
    oci.rt.create(cid, oci.bundle(oci.config(["sleep", "30"]))).check()
    assert os.path.isdir(os.path.join(oci.rt.root, cid))
    oci.rt.delete(cid, force=True).check()
    assert not os.path.exists(os.path.join(oci.rt.root, cid))
    assert cid not in oci.rt.list("--quiet").check().stdout.split()
