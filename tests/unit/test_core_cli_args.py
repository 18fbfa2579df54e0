import pytest

from runtime.cli.args import UsageError, parse


def test_global_then_command():
    g, cmd, flags, pos = parse(["--root", "/r", "--log-format=json", "create", "--bundle", "/b",
                                "--pid-file=/p", "c1"])
    assert g == {"root": "/r", "log-format": "json"}
    assert cmd == "create" and flags == {"bundle": "/b", "pid-file": "/p"} and pos == ["c1"]


def test_short_and_single_dash_forms():
    dummy, cmd, flags, pos = parse(["run", "-d", "-b", "/b", "x"])
    assert flags == {"detach": True, "bundle": "/b"} and pos == ["x"]
    dummy, dummy, flags, dummy = parse(["delete", "-force", "x"])
    assert flags == {"force": True}


def test_kill_signal_positional_and_flag_after():
    dummy, cmd, flags, pos = parse(["kill", "c", "KILL", "--all"])
    assert pos == ["c", "KILL"] and flags == {"all": True}


@pytest.mark.parametrize("argv,msg", [
    (["start"], "missing container id"),
    (["frob"], "unknown command"),
    (["create", "--nope", "x"], "unknown option --nope"),
    (["--bogus", "state", "x"], "unknown global option"),
    (["create", "--bundle"], "needs a value"),
    (["state", "a", "b"], "unexpected argument"),
])
def test_usage_errors(argv, msg):
    with pytest.raises(UsageError, match=msg):
        parse(argv)
