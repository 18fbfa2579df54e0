import signal

import pytest

from runtime.errors import InvalidIDError
from runtime.ids import MAX_ID_LENGTH, validate_id
from runtime.signals import SignalError, parse_signal, signal_name


@pytest.mark.parametrize("cid", ["a", "web-1", "A.b_c+d", "0abc", "x" * MAX_ID_LENGTH])
def test_valid_ids(cid):
    assert validate_id(cid) == cid


@pytest.mark.parametrize("cid", ["", "..", "../x", "a/b", "/abs", ".hidden", "-dash", "a..b",
                                 "a\x00b", "sp ace", "x" * (MAX_ID_LENGTH + 1), None, 5, "é"])
def test_invalid_ids_are_named(cid):
    with pytest.raises(InvalidIDError) as err:
        validate_id(cid)
    if isinstance(cid, str) and cid:
        assert repr(cid[:32])[1:-1][:10] in str(err.value)


@pytest.mark.parametrize("text,number", [
    ("TERM", signal.SIGTERM), ("SIGTERM", signal.SIGTERM), ("sigkill", signal.SIGKILL),
    ("9", 9), (15, 15), ("hup", signal.SIGHUP), ("RTMIN+3", signal.SIGRTMIN + 3),
    ("SIGRTMAX-1", signal.SIGRTMAX - 1), ("SIGRTMIN", signal.SIGRTMIN),
])
def test_parse_signal(text, number):
    assert parse_signal(text) == number


@pytest.mark.parametrize("text", ["", "NOPE", "0", "999", "-1", "RTMIN+x", "SIG"])
def test_bad_signals(text):
    with pytest.raises(SignalError):
        parse_signal(text)


def test_names_and_numbers_agree_with_the_signal_module():
    # signals.py reads _signal to skip signal.py's enums; the result must be the same.
    for number in range(1, signal.SIGRTMAX + 1):
        try:
            expected = signal.Signals(number).name
        except ValueError:
            continue
        assert signal_name(number) == expected
    for name, member in signal.Signals.__members__.items():
        assert parse_signal(name) == member.value
        assert parse_signal(name[3:].lower()) == member.value


def test_signal_name():
    assert signal_name(9) == "SIGKILL"
    assert signal_name(signal.SIGRTMIN + 2) == "SIGRTMIN+2"
