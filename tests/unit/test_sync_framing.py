"""process/sync.py's framing: a message of any size up to MAX_MESSAGE arrives whole.

The "continue" message carries the container's annotations, so it can be
megabytes long: far above what one SOCK_SEQPACKET record can hold and
above the old single 64 KiB read that cut it short.
"""
import threading

import pytest

from runtime.errors import RuntimeFailure
from runtime.process import sync


def _big_payload(size):
    return "".join("%07d," % i for i in range(size // 8 + 1))[:size]


def _send_in_thread(end, kind, **payload):
    """send() blocks once the peer's receive buffer is full: the writer needs its own thread."""
    failures = []

    def run():
        try:
            sync.send(end, kind, **payload)
        except Exception as e:  # pylint: disable=broad-except
            failures.append(e)
    thread = threading.Thread(target=run)
    thread.start()
    return thread, failures


@pytest.mark.parametrize("size", [100, 70 * 1024, 300 * 1024, 1024 * 1024, 5 * 1024 * 1024])
def test_a_message_of_any_size_crosses_the_seqpacket_channel(size):
    ours, theirs = sync.channel()
    try:
        text = _big_payload(size)
        thread, failures = _send_in_thread(theirs, "continue", state=text)
        msg = sync.recv(ours, expect="continue")
        thread.join(10)
        assert not failures
        assert msg["state"] == text
    finally:
        ours.close()
        theirs.close()


def test_messages_keep_their_boundaries_one_after_another():
    ours, theirs = sync.channel()
    try:
        big = _big_payload(200 * 1024)

        def run():
            sync.send(theirs, "pid", pid=42)
            sync.send(theirs, "prestart", blob=big)
            sync.send(theirs, "created")
        thread = threading.Thread(target=run)
        thread.start()
        assert sync.recv(ours, expect="pid")["pid"] == 42
        assert sync.recv(ours, expect="prestart")["blob"] == big
        assert sync.recv(ours, expect="created") == {"type": "created"}
        thread.join(10)
    finally:
        ours.close()
        theirs.close()


def test_a_large_message_over_a_pipe():
    reading, writing = sync.one_way()
    try:
        text = _big_payload(1024 * 1024)
        thread, failures = _send_in_thread(writing, "error", error_class="SpecError", msg=text)
        with pytest.raises(RuntimeFailure) as caught:
            sync.recv_unless_eof(reading)
        thread.join(10)
        assert not failures
        assert str(caught.value) == text
    finally:
        reading.close()
        writing.close()


class Dribble(object):
    """A peer whose reads return a few bytes at a time, as a pipe may."""

    def __init__(self, data, step):
        self.data = data
        self.step = step
        self.reads = 0

    def recv(self, size):
        self.reads += 1
        got, self.data = self.data[:min(size, self.step)], self.data[min(size, self.step):]
        return got


class Recorder(object):
    """A SOCK_SEQPACKET stand-in: keeps each send as one record."""

    def __init__(self):
        self.records = []

    def send(self, data):
        self.records.append(bytes(data))
        return len(data)


def _framed(kind, **payload):
    rec = Recorder()
    sync.send(rec, kind, **payload)
    return rec.records


def test_records_are_a_header_then_chunks_no_larger_than_chunk():
    text = _big_payload(3 * sync.CHUNK)
    records = _framed("continue", state=text)
    assert len(records[0]) == sync.HEADER_SIZE
    body = b"".join(records[1:])
    assert int(records[0], 16) == len(body)
    assert all(0 < len(r) <= sync.CHUNK for r in records[1:])
    assert len(records) == 1 + -(-len(body) // sync.CHUNK)


@pytest.mark.parametrize("step", [1, 7, 4096, sync.CHUNK - 1])
def test_a_message_split_across_many_reads_arrives_whole(step):
    text = _big_payload(100 * 1024)
    peer = Dribble(b"".join(_framed("continue", state=text)), step)
    assert sync.recv(peer, expect="continue")["state"] == text
    assert peer.reads > 1
    assert sync.recv_unless_eof(peer) is None  # then EOF, nothing left over


def test_eof_before_a_message_is_none_and_recv_says_the_peer_exited():
    assert sync.recv_unless_eof(Dribble(b"", 10)) is None
    with pytest.raises(sync.SyncError, match="^container init exited unexpectedly$"):
        sync.recv(Dribble(b"", 10))


def test_eof_in_the_middle_of_a_message_is_a_protocol_error():
    data = b"".join(_framed("continue", state=_big_payload(50000)))
    with pytest.raises(sync.SyncError, match="closed the channel"):
        sync.recv_unless_eof(Dribble(data[:30000], 4096))
    with pytest.raises(sync.SyncError, match="closed the channel"):
        sync.recv_unless_eof(Dribble(data[:5], 4096))  # inside the header


def test_a_bad_header_is_a_protocol_error():
    with pytest.raises(sync.SyncError, match="bad message header"):
        sync.recv_unless_eof(Dribble(b'{"type":"pid"}', 100))


def test_an_announced_size_over_the_limit_is_refused_before_reading_it():
    peer = Dribble(b"%08x" % (sync.MAX_MESSAGE + 1), 100)
    with pytest.raises(sync.SyncError, match="over the limit of %d bytes" % sync.MAX_MESSAGE):
        sync.recv_unless_eof(peer)


def test_a_message_over_the_limit_is_refused_and_nothing_is_sent():
    rec = Recorder()
    with pytest.raises(sync.SyncError, match=r"^the 'continue' message is \d+ bytes, over the limit of .* \(16 MiB\)"):
        sync.send(rec, "continue", state="x" * sync.MAX_MESSAGE)
    assert rec.records == []


def test_a_message_at_the_limit_passes():
    overhead = len(b"".join(_framed("continue", state="")[1:]))
    text = "y" * (sync.MAX_MESSAGE - overhead)
    records = _framed("continue", state=text)
    assert int(records[0], 16) == sync.MAX_MESSAGE
    assert sync.recv(Dribble(b"".join(records), sync.CHUNK), expect="continue")["state"] == text
