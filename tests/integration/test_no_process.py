# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""config.md "Process": optional for create, required by start.

runtime.md "start": "This operation MUST generate an error if process was
not set." A container created from a config without ``process`` has its
namespaces, cgroups and rootfs; state, kill and delete work on it.
"""
from __future__ import absolute_import, division, print_function

import os

import pytest

import itest_helpers as H


def created_without_process(oci):
    config = oci.config(["true"], out=False)
    del config["process"]
    cid = oci.new_id()
    oci.rt.create(cid, oci.bundle(config)).check()
    return cid, config


def test_create_without_process_then_start_fails(oci):
    cid, dummy = created_without_process(oci)
    state = oci.rt.state(cid)
    assert state["status"] == "created"
    pid = state["pid"]
    assert H.pid_alive(pid)
    # The container is built: its own mount namespace, root at the rootfs.
    assert os.readlink("/proc/%d/ns/mnt" % pid) != os.readlink("/proc/self/ns/mnt")
    assert os.stat("/proc/%d/root" % pid).st_ino == os.stat(oci.rootfs).st_ino
    message = H.assert_fails(oci.rt.start(cid), "process")
    if H.binary_is_ours():
        assert "no process" in message
    # start changed nothing (runtime.md: an error and no effect).
    assert oci.rt.state(cid)["status"] == "created"
    assert H.pid_alive(pid)
    oci.rt.delete(cid, force=True).check()
    assert not oci.rt.state_result(cid).ok
    H.wait_for(lambda: not H.pid_alive(pid), what="init %d gone" % pid)


@pytest.mark.ours
def test_exec_into_a_container_without_process(oci):
    """runc 1.1 lets exec into a created container: its namespaces and root are there."""
    cid, dummy = created_without_process(oci)
    result = oci.rt.cmd("exec", cid, "cat", "/etc/hostname")
    assert result.returncode == 0, result
    assert result.stdout.strip() == "rootfs"
    assert oci.rt.state(cid)["status"] == "created"


@pytest.mark.parametrize("signal_name", ["KILL", "TERM"])
def test_kill_and_delete_without_process(oci, signal_name):
    cid, dummy = created_without_process(oci)
    pid = oci.rt.state(cid)["pid"]
    oci.rt.kill(cid, signal_name).check()
    oci.rt.wait_status(cid, "stopped")
    assert not H.pid_alive(pid)
    oci.rt.delete(cid).check()
    assert not oci.rt.state_result(cid).ok


def test_delete_force_without_process(oci):
    cid, config = created_without_process(oci)
    oci.rt.delete(cid, force=True).check()
    assert not oci.rt.state_result(cid).ok
    assert H.cgroup_dirs_under(config["linux"]["cgroupsPath"]) == {}


@pytest.mark.ours
def test_run_without_process_fails_and_leaves_nothing(oci):
    config = oci.config(["true"], out=False)
    del config["process"]
    cid = oci.new_id()
    H.assert_fails(oci.rt.run(cid, oci.bundle(config)), "process")
    assert not oci.rt.state_result(cid).ok
    assert H.cgroup_dirs_under(config["linux"]["cgroupsPath"]) == {}
