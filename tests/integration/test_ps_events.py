# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ps (the container's pids) and events (cgroup statistics as runc prints them)."""
from __future__ import absolute_import, division, print_function

import json
import shutil

import pytest

import itest_helpers as H


def started(oci, args):
    config = oci.config(args)
    cid = oci.new_id()
    state = oci.rt.create_started(cid, oci.bundle(config))
    return cid, state["pid"], config


def test_ps_json_lists_every_process(oci):
    cid, pid, dummy = started(oci, ["sh", "-c", "sleep 30 & echo ready > /out/ready; wait"])
    H.wait_file(oci.out_file("ready"))
    pids = json.loads(oci.rt.cmd("ps", "--format", "json", cid).check().stdout)
    assert pid in pids
    assert len(pids) == 2, pids
    assert all(H.pid_alive(p) for p in pids)


def test_ps_table(oci):
    cid, pid, dummy = started(oci, ["sleep", "30"])
    out = oci.rt.cmd("ps", cid).check().stdout.splitlines()
    assert "PID" in out[0].split()
    column = out[0].split().index("PID")
    assert [int(line.split()[column]) for line in out[1:]] == [pid]
    if shutil.which("ps"):
        # options after the id go to ps(1)
        out = oci.rt.cmd("ps", cid, "-o", "pid,comm").check().stdout.split()
        assert out[:2] == ["PID", "COMMAND"] and str(pid) in out


def test_events_stats(oci):
    cid, dummy, dummy = started(oci, ["sh", "-c", "sleep 30 & sleep 30 & wait"])
    H.wait_for(lambda: len(json.loads(oci.rt.cmd("ps", "-f", "json", cid).check().stdout)) == 3,
               what="three processes")
    event = json.loads(oci.rt.cmd("events", "--stats", cid).check().stdout)
    assert event["type"] == "stats" and event["id"] == cid
    data = event["data"]
    assert data["memory"]["usage"]["usage"] > 0
    assert data["pids"]["current"] == 3
    assert data["cpu"]["usage"]["total"] > 0
    for key in ("blkio", "hugetlb"):
        assert key in data


@pytest.mark.ours
def test_events_interval_until_stopped(oci):
    # runc keeps printing after the container stopped; this runtime ends there.
    cid, dummy, dummy = started(oci, ["sleep", "1"])
    result = oci.rt.cmd("events", "--interval", "200ms", cid, timeout=15).check()
    samples = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(samples) >= 2
    assert all(s["type"] == "stats" and s["id"] == cid for s in samples)
    oci.rt.wait_status(cid, "stopped")


def test_events_stats_of_stopped_container_fails(oci):
    cid, dummy, dummy = started(oci, ["true"])
    oci.rt.wait_status(cid, "stopped")
    H.assert_fails(oci.rt.cmd("events", "--stats", cid), cid)
