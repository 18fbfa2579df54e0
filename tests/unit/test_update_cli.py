# -*- coding: utf-8 -*-
"""The update/ps/events command lines: sizes, weights, intervals, flags -> resources."""
import io
import json

import pytest

from runtime.cgroups.v2 import shares_to_weight
from runtime.cli import update_cmds as U
from runtime.cli.args import UsageError, parse


@pytest.mark.parametrize("text,value", [("512", 512), ("64k", 64 << 10), ("100m", 100 << 20), ("100M", 100 << 20),
                                        ("1g", 1 << 30), ("1.5g", 3 << 29), ("2GiB", 2 << 30), ("3kb", 3 << 10),
                                        ("-1", -1), ("-5", -5), ("7b", 7)])
def test_parse_size(text, value):
    assert U.parse_size("memory", text) == value


@pytest.mark.parametrize("text", ["", "m", "12x", "1..5g", "inf", "g1"])
def test_parse_size_rejects(text):
    with pytest.raises(UsageError, match="--memory"):
        U.parse_size("memory", text)


@pytest.mark.parametrize("weight", [1, 2, 39, 100, 5000, 9999, 10000])
def test_weight_to_shares_round_trips(weight):
    assert shares_to_weight(U.weight_to_shares(weight)) == weight


def test_weight_out_of_range():
    with pytest.raises(UsageError, match="between 1 and 10000"):
        U.weight_to_shares(0)


@pytest.mark.parametrize("text,seconds", [("5s", 5.0), ("250ms", 0.25), ("1m30s", 90.0), ("2", 2.0),
                                          ("1.5s", 1.5), ("1h", 3600.0)])
def test_parse_interval(text, seconds):
    assert U.parse_interval(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["0s", "0", "5x", "s", "-1s", ""])
def test_parse_interval_rejects(text):
    with pytest.raises(UsageError, match="--interval"):
        U.parse_interval(text)


def test_resources_from_flags(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"memory": {"limit": 1, "swap": 9}, "blockIO": {"weight": 20}}))
    _g, command, flags, positionals = parse([
        "update", "-r", str(path), "--memory", "1g", "--memory-swap", "-1", "--pids-limit", "7",
        "--cpu-quota", "-1", "--cpu-period", "100000", "--cpu-share", "512", "--cpuset-cpus", "0-1",
        "--cpuset-mems", "0", "--blkio-weight", "300", "--memory-reservation", "10m", "c1"])
    assert command == "update" and positionals == ["c1"]
    assert U.resources_from_flags(flags) == {
        "memory": {"limit": 1 << 30, "swap": -1, "reservation": 10 << 20},
        "pids": {"limit": 7},
        "cpu": {"quota": -1, "period": 100000, "shares": 512, "cpus": "0-1", "mems": "0"},
        "blockIO": {"weight": 300},
    }


def test_resources_from_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO('{"pids": {"limit": 3}}'))
    assert U.resources_from_flags({"resources": "-", "cpu-weight": "100"}) == {
        "pids": {"limit": 3}, "cpu": {"shares": U.weight_to_shares(100)}}


def test_ps_options_after_id_go_to_ps():
    _g, command, flags, positionals = parse(["ps", "-f", "json", "c1", "-o", "pid,comm"])
    assert flags == {"format": "json"} and positionals == ["c1", "-o", "pid,comm"]


def test_events_flags():
    _g, command, flags, positionals = parse(["events", "--stats", "--interval=1s", "c1"])
    assert flags == {"stats": True, "interval": "1s"} and positionals == ["c1"]


def test_ps_table_filters_by_pid_column(monkeypatch):
    class Done(object):
        returncode = 0
        stderr = ""
        stdout = "UID PID PPID CMD\nroot 1 0 init\nroot 42 1 sleep 30\nroot 420 1 other\n"
    monkeypatch.setattr("subprocess.run", lambda *a, **k: Done())
    assert U.ps_table([42], ["-ef"]) == "UID PID PPID CMD\nroot 42 1 sleep 30\n"


def test_ps_table_without_ps(monkeypatch):
    def missing(*a, **k):
        raise OSError(2, "No such file or directory")
    monkeypatch.setattr("subprocess.run", missing)
    import os
    out = U.ps_table([os.getpid()], ["-ef"]).splitlines()
    assert out[0].split() == ["PID", "CMD"] and out[1].split()[0] == str(os.getpid())
