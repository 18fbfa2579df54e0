# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""exec's pure parts: the process object (defaults from the container), the
CLI's flags turned into a process, exit codes, the wait/kill handle, and how
the child is forked (into its cgroup2 cgroup where it can)."""
import errno
import os
import signal
import time

import pytest

from runtime.cli.args import UsageError, parse
from runtime.cli.exec_cmd import parse_user, process_from_file, process_from_flags
from runtime.errors import RuntimeFailure, SpecError, UnsupportedError
from runtime.lifecycle.exec import ExecHandle, ExecTimeout, exit_code, merge_process

CONTAINER = {
    "terminal": False,
    "args": ["sleep", "100"],
    "env": ["PATH=/bin", "TERM=xterm"],
    "cwd": "/srv",
    "user": {"uid": 1000, "gid": 1000, "additionalGids": [10]},
    "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]},
    "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 1024}],
    "noNewPrivileges": True,
}


def test_missing_fields_default_to_the_container_process():
    merged = merge_process(CONTAINER, {"args": ["ls"]})
    assert merged["args"] == ["ls"]
    for key in ("env", "cwd", "user", "capabilities", "rlimits", "noNewPrivileges"):
        assert merged[key] == CONTAINER[key]
    assert merged["terminal"] is False


def test_given_fields_win_and_inputs_are_not_changed():
    given = {"args": ["id"], "env": ["A=1"], "cwd": "/", "user": {"uid": 0, "gid": 0},
             "noNewPrivileges": False}
    merged = merge_process(CONTAINER, given)
    assert merged["env"] == ["A=1"] and merged["cwd"] == "/" and merged["user"] == {"uid": 0, "gid": 0}
    assert merged["noNewPrivileges"] is False
    merged["capabilities"]["bounding"].append("CAP_CHOWN")
    assert CONTAINER["capabilities"]["bounding"] == ["CAP_KILL"]
    assert "capabilities" not in given


def test_cwd_defaults_to_root_without_a_container_cwd():
    assert merge_process({}, {"args": ["true"]})["cwd"] == "/"


@pytest.mark.parametrize("process,path", [
    ({}, "process.args"),
    ({"args": []}, "process.args"),
    ({"args": ["x"], "cwd": "relative"}, "process.cwd"),
    ({"args": ["x"], "user": {"uid": -1, "gid": 0}}, "process.user.uid"),
    ({"args": ["x"], "env": ["NOEQUALS"]}, "process.env[0]"),
    ({"args": ["x"], "capabilities": {"bounding": ["CAP_NOPE"]}}, "process.capabilities.bounding[0]"),
])
def test_invalid_process_names_the_json_path(process, path):
    with pytest.raises(SpecError) as info:
        merge_process(CONTAINER, process)
    assert str(info.value).startswith(path + ":")


def test_args_message():
    with pytest.raises(SpecError, match=r"^process\.args: must be a non-empty list"):
        merge_process(CONTAINER, {"cwd": "/"})


@pytest.mark.parametrize("process,field", [
    ({"args": ["x"], "apparmorProfile": "p"}, "process.apparmorProfile"),
    ({"args": ["x"], "selinuxLabel": "l"}, "process.selinuxLabel"),
])
def test_unsupported_features_are_refused(process, field):
    with pytest.raises(UnsupportedError, match=field):
        merge_process(CONTAINER, process)


def test_terminal_is_kept():
    assert merge_process(CONTAINER, {"args": ["x"], "terminal": True})["terminal"] is True


def test_flags_adjust_a_copy_of_the_container_process():
    flags = {"env": ["FOO=bar"], "cwd": "/tmp", "user": "0:5", "additional-gids": ["20"],
             "cap": ["net_admin", "CAP_KILL"], "no-new-privs": True}
    process = process_from_flags(flags, ["sh", "-c", "x"], CONTAINER)
    assert process["args"] == ["sh", "-c", "x"]
    assert process["env"] == ["PATH=/bin", "TERM=xterm", "FOO=bar"]
    assert process["cwd"] == "/tmp"
    assert process["user"] == {"uid": 0, "gid": 5, "additionalGids": [10, 20]}
    for name in ("bounding", "effective", "permitted"):
        assert process["capabilities"][name] == ["CAP_KILL", "CAP_NET_ADMIN"]
    assert "ambient" not in process["capabilities"]  # no inheritable set in the container
    assert process["noNewPrivileges"] is True
    assert CONTAINER["env"] == ["PATH=/bin", "TERM=xterm"]


def test_cap_goes_to_ambient_only_with_inheritable_caps():
    base = dict(CONTAINER, capabilities={"inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL"]})
    caps = process_from_flags({"cap": ["CAP_CHOWN"]}, ["id"], base)["capabilities"]
    assert caps["ambient"] == ["CAP_KILL", "CAP_CHOWN"]
    assert caps["inheritable"] == ["CAP_KILL", "CAP_CHOWN"]


def test_no_flags_keep_the_container_process():
    process = process_from_flags({}, ["id"], CONTAINER)
    assert dict(process, args=CONTAINER["args"]) == CONTAINER


@pytest.mark.parametrize("text,expected", [
    ("1000", {"uid": 1000}), ("1000:100", {"uid": 1000, "gid": 100}), ("0:0", {"uid": 0, "gid": 0}),
])
def test_parse_user(text, expected):
    assert parse_user(text) == expected


@pytest.mark.parametrize("text", ["root", "1000:", ":5", "-1", "4294967295"])
def test_parse_user_refuses_non_numeric(text):
    with pytest.raises(UsageError, match="--user"):
        parse_user(text)


def test_bad_env_flag():
    with pytest.raises(UsageError, match="KEY=VALUE"):
        process_from_flags({"env": ["NOVALUE"]}, ["id"], CONTAINER)


def test_process_file(tmp_path):
    path = tmp_path / "p.json"
    path.write_text('{"args": ["id"], "cwd": "/"}')
    assert process_from_file({"process": str(path)}, []) == {"args": ["id"], "cwd": "/"}
    with pytest.raises(UsageError, match="--process cannot be combined with --env"):
        process_from_file({"process": str(path), "env": ["A=1"]}, [])
    with pytest.raises(UsageError, match="a command"):
        process_from_file({"process": str(path)}, ["id"])
    path.write_text("[1]")
    with pytest.raises(Exception, match="JSON object"):
        process_from_file({"process": str(path)}, [])


def test_exit_code():
    assert exit_code(7 << 8) == 7
    assert exit_code(signal.SIGKILL) == 128 + signal.SIGKILL


def test_handle_wait_timeout_then_kill():
    pid = os.fork()
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    handle = ExecHandle(pid)
    with pytest.raises(ExecTimeout):
        handle.wait(timeout=0.05)
    assert handle.poll() is None
    handle.kill(signal.SIGTERM)
    assert handle.wait(timeout=5) == 128 + signal.SIGTERM
    assert handle.wait() == 128 + signal.SIGTERM
    handle.kill()  # reaped: a no-op, never a signal to a reused pid


def test_handle_wait_exit_status():
    pid = os.fork()
    if pid == 0:
        os._exit(3)
    assert ExecHandle(pid).wait(timeout=5) == 3


def test_cli_grammar_stops_at_the_container_id():
    dummy, cmd, flags, pos = parse(["exec", "-e", "A=1", "--env=B=2", "-u", "1:2", "-c", "CAP_KILL",
                                    "-d", "--pid-file", "/p", "web", "sh", "-c", "exit 7"])
    assert cmd == "exec" and pos == ["web", "sh", "-c", "exit 7"]
    assert flags == {"env": ["A=1", "B=2"], "user": "1:2", "cap": ["CAP_KILL"], "detach": True,
                     "pid-file": "/p"}
    dummy, dummy, flags, pos = parse(["exec", "--process", "p.json", "-t", "web"])
    assert flags == {"process": "p.json", "tty": True} and pos == ["web"]


@pytest.mark.parametrize("argv,msg", [
    (["exec"], "missing container id"),
    (["exec", "--bogus", "web", "id"], "unknown option --bogus"),
])
def test_cli_grammar_errors(argv, msg):
    with pytest.raises(UsageError, match=msg):
        parse(argv)


@pytest.mark.parametrize("pid,to_join", [(0, ["left"]), (1234, ["left"])])
def test_the_exec_child_joins_what_it_was_not_born_in(monkeypatch, pid, to_join):
    from runtime.lifecycle import exec as lifecycle_exec
    monkeypatch.setattr(lifecycle_exec.membership, "fork_into", lambda cgroups, sc: (pid, to_join))
    ctx = type("Ctx", (), {"cgroups": ["all"]})()
    assert lifecycle_exec._fork(None, ctx) == pid
    assert ctx.cgroups == (["left"] if pid == 0 else ["all"])  # the parent's is left alone


@pytest.mark.parametrize("err,msg", [(errno.EAGAIN, "Resource temporarily unavailable \\(the container's pids limit"),
                                     (errno.ENOMEM, "Cannot allocate memory$")])
def test_a_failed_fork_names_the_exec_process(monkeypatch, err, msg):
    from runtime.lifecycle import exec as lifecycle_exec

    def fail(cgroups, sc):
        raise OSError(err, os.strerror(err))
    monkeypatch.setattr(lifecycle_exec.membership, "fork_into", fail)
    with pytest.raises(RuntimeFailure, match="cannot fork the exec process into the container: " + msg):
        lifecycle_exec._fork(None, type("Ctx", (), {"cgroups": None})())


def write_process(tmp_path):
    path = tmp_path / "process.json"
    path.write_text('{"args": ["true"]}')
    return path
