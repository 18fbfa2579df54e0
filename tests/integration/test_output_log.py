# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Container output captured by the monitor into a size-capped log file
(create(..., log_path=...)), the way the Ansible modules run containers."""
from __future__ import absolute_import, division, print_function

import os

import pytest

import itest_helpers as H
from runtime.lifecycle.create import create
from runtime.lifecycle.start import start

pytestmark = pytest.mark.ours


def _run_logged(oci, args, **kwargs):
    cid = oci.new_id()
    bundle = oci.bundle(oci.config(args, out=False))
    oci.rt.ids.append(cid)  # the fixture's cleanup deletes it
    state = create(oci.rt.root, cid, bundle, **kwargs)
    start(oci.rt.root, cid)
    return cid, state


def _wait_stopped(oci, cid):
    return H.wait_for(lambda: oci.rt.read_state_file(cid).get("status") == "stopped" and
                      oci.rt.read_state_file(cid), 10, what="%s to stop" % cid)


def test_stdout_and_stderr_go_to_the_log(oci):
    cid, state = _run_logged(oci, ["sh", "-c", "echo out; echo err >&2; exit 3"], log_path=True)
    saved = _wait_stopped(oci, cid)
    assert saved["exit_code"] == 3
    path = state["log_path"]
    assert path == os.path.join(oci.rt.root, cid, "container.log")
    with open(path) as handle:
        assert handle.read().splitlines() == ["out", "err"]
    assert oci.rt.state(cid)["log_path"] == path


def test_log_is_capped_with_one_rotation(oci):
    # 300 lines of 100 bytes = 30000 bytes through a 8192-byte cap.
    script = "i=0; while [ $i -lt 300 ]; do printf '%099d\\n' $i; i=$((i+1)); done"
    cid, state = _run_logged(oci, ["sh", "-c", script], log_path=True, log_max_size=8192)
    _wait_stopped(oci, cid)
    path = state["log_path"]
    assert os.path.getsize(path) <= 8192
    # The output may arrive in one read (the oldest part is then dropped at
    # once) or in several (then the log has rotated once).
    kept = os.path.getsize(path) + (os.path.getsize(path + ".1") if os.path.exists(path + ".1") else 0)
    assert kept <= 2 * 8192
    with open(path) as handle:
        last = handle.read().splitlines()[-1]
    assert int(last) == 299


def test_custom_log_path_in_missing_directory_is_refused(oci):
    cid = oci.new_id()
    bundle = oci.bundle(oci.config(["true"], out=False))
    with pytest.raises(Exception) as info:
        create(oci.rt.root, cid, bundle, log_path=os.path.join(oci.tmp, "nope", "x.log"))
    assert "log_path" in str(info.value)
    assert not os.path.exists(os.path.join(oci.rt.root, cid))


def test_output_after_the_module_returns_keeps_flowing(oci):
    """The monitor, not the caller, holds the pipe: output written later is logged."""
    cid, state = _run_logged(oci, ["sh", "-c", "sleep 0.3; echo late"], log_path=True)
    _wait_stopped(oci, cid)
    with open(state["log_path"]) as handle:
        assert handle.read() == "late\n"
