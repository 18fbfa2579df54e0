# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A config far larger than one socket message: 1 MiB of annotations.

The runtime hands the container's state (annotations included) to the init
over its create-time channel (runtime/process/sync.py); that message must
arrive whole whatever its size, and the annotations must come back
unchanged from state, list and state.json.
"""
from __future__ import absolute_import, division, print_function

import json

import pytest

import itest_helpers as H
import playbook_helpers as P


def annotations(count):
    """``count`` annotations of 4 KiB values."""
    return dict(("org.example.large.%03d" % i, ("%03d" % i) * 1365 + "x") for i in range(count))


# 1 MiB in total: far above one SOCK_SEQPACKET record (net.core.wmem_default,
# ~208 KiB) and the 64 KiB single read the channel once had.
LARGE_ANNOTATIONS = annotations(256)


@pytest.mark.parametrize("count", [25, 256], ids=["100KiB", "1MiB"])
def test_large_annotations_create_start_state_list(oci, count):
    expected = annotations(count)
    assert sum(len(k) + len(v) for k, v in expected.items()) >= count * 4096
    config = oci.config(["sh", "-c", "echo started > /out/ran; sleep 30"])
    config["annotations"] = dict(expected)
    cid = oci.new_id()
    bundle = oci.bundle(config)
    oci.rt.create(cid, bundle).check()
    assert oci.rt.state(cid)["annotations"] == expected
    oci.rt.start(cid).check()
    H.wait_file(oci.out_file("ran"))
    state = oci.rt.state(cid)
    assert state["status"] == "running"
    assert state["annotations"] == expected
    listed = json.loads(oci.rt.list("--format", "json").check().stdout)
    mine = [entry for entry in listed if entry["id"] == cid]
    assert len(mine) == 1
    if H.binary_is_ours():
        assert mine[0]["annotations"] == expected
        assert oci.rt.read_state_file(cid)["annotations"] == expected
    oci.rt.kill(cid, "KILL").check()
    oci.rt.wait_status(cid, "stopped")
    oci.rt.delete(cid).check()


def test_large_annotations_create_hook_gets_the_whole_state(oci):
    """createContainer hooks get the state on stdin in the container's namespace (config.md "Hooks")."""
    config = oci.config(["sleep", "30"])
    config["annotations"] = dict(LARGE_ANNOTATIONS)
    # Host paths: createContainer hooks run before pivot_root (config.md "createContainer Hooks").
    H.add_hook(config, "createContainer", **H.shell_hook("cat > %s" % oci.out_file("hook-state")))
    cid = oci.new_id()
    oci.rt.create(cid, oci.bundle(config)).check()
    with open(oci.out_file("hook-state")) as handle:
        seen = json.load(handle)
    assert seen["id"] == cid
    assert seen["annotations"] == LARGE_ANNOTATIONS
    oci.rt.delete(cid, force=True).check()


@pytest.mark.ours
def test_annotations_over_the_limit_fail_clearly_and_leave_nothing(oci):
    config = oci.config(["sleep", "30"])
    config["annotations"] = annotations(1200)  # ~4.7 MiB, over the 4 MiB limit
    cid = oci.new_id()
    result = oci.rt.create(cid, oci.bundle(config))
    H.assert_fails(result, "annotations", "more than the limit")
    assert "Traceback" not in result.stderr
    assert not oci.rt.state_result(cid).ok
    assert cid not in oci.rt.list("--quiet").check().stdout.split()


@pytest.mark.ours
def test_large_annotations_through_the_modules(oci):
    """oci_container creates and starts it (then changes nothing), oci_container_info shows the annotations."""
    name = "big-" + oci.new_id()[-8:]
    oci.rt._remember(name)  # the finalizer deletes it and checks for leftovers
    work = oci.tmp
    container = {"name": name, "state_root": oci.rt.root, "rootfs": oci.rootfs, "command": "sleep 1000",
                 "annotations": LARGE_ANNOTATIONS, "bundle_dir": work + "/bundle",
                 "spec": {"linux": {"cgroupsPath": oci.cgroup_prefix + "/big"}}}
    checks = ["first is changed", "first.container.status == 'running'", "again is not changed",
              "first.container.annotations == info.containers[0].annotations",
              "info.containers[0].annotations | length == %d" % len(LARGE_ANNOTATIONS)]
    code, output = P.run_playbook(work, "big", [
        {"name": "create and start", "opencontainer.runtime.oci_container": container, "register": "first"},
        {"name": "again", "opencontainer.runtime.oci_container": container, "register": "again"},
        {"name": "info", "opencontainer.runtime.oci_container_info": {"state_root": oci.rt.root, "name": name},
         "register": "info"},
        {"name": "check", "ansible.builtin.assert": {"that": checks}},
        {"name": "remove", "opencontainer.runtime.oci_container": {"name": name, "state_root": oci.rt.root,
                                                                   "state": "absent"}},
    ])
    assert code == 0, output[-3000:]
    assert not oci.rt.state_result(name).ok
