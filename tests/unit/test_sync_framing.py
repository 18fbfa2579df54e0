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
    """A byte stream (a pipe) whose reads return a few bytes at a time."""
    keeps_boundaries = False

    def __init__(self, data, step):
        self.data = data
        self.step = step
        self.reads = 0

    def recv(self, size):
        self.reads += 1
        got, self.data = self.data[:min(size, self.step)], self.data[min(size, self.step):]
        return got


class Recorder(object):
    """The writing end of a SOCK_SEQPACKET socket: keeps each send as one record."""

    def __init__(self):
        self.records = []

    def send(self, data):
        self.records.append(bytes(data))
        return len(data)


class Replay(object):
    """The reading end of a SOCK_SEQPACKET socket: one record per recv, cut short as the kernel would."""

    def __init__(self, records):
        self.records = list(records)
        self.truncated = 0

    def recv(self, size):
        if not self.records:
            return b""
        record = self.records.pop(0)
        if len(record) > size:
            self.truncated += 1  # MSG_TRUNC: the rest of the record is lost
        return record[:size]


def _framed(kind, **payload):
    rec = Recorder()
    sync.send(rec, kind, **payload)
    return rec.records


def test_a_small_message_is_one_record():
    records = _framed("pid", pid=42)
    assert len(records) == 1
    assert records[0] == b"%08x" % (len(records[0]) - sync.HEADER_SIZE) + b'{"pid":42,"type":"pid"}'


def test_a_large_message_is_cut_into_records_of_chunk_bytes():
    text = _big_payload(3 * sync.CHUNK)
    records = _framed("continue", state=text)
    data = b"".join(records)
    assert int(data[:sync.HEADER_SIZE], 16) == len(data) - sync.HEADER_SIZE
    assert all(len(r) == sync.CHUNK for r in records[:-1])
    assert 0 < len(records[-1]) <= sync.CHUNK
    replay = Replay(records)
    assert sync.recv(replay, expect="continue")["state"] == text
    assert replay.truncated == 0 and replay.records == []


@pytest.mark.parametrize("step", [1, 7, 4096, sync.CHUNK - 1])
def test_a_message_split_across_many_reads_arrives_whole(step):
    text = _big_payload(100 * 1024)
    data = b"".join(_framed("continue", state=text)) + b"".join(_framed("created"))
    peer = Dribble(data, step)
    assert sync.recv(peer, expect="continue")["state"] == text
    assert peer.reads > 1
    assert sync.recv(peer, expect="created")  # the stream reader took no byte of the next message
    assert sync.recv_unless_eof(peer) is None


def test_eof_before_a_message_is_none_and_recv_says_the_peer_exited():
    assert sync.recv_unless_eof(Dribble(b"", 10)) is None
    assert sync.recv_unless_eof(Replay([])) is None
    with pytest.raises(sync.SyncError, match="^container init exited unexpectedly$"):
        sync.recv(Dribble(b"", 10))


def test_eof_in_the_middle_of_a_message_is_a_protocol_error():
    records = _framed("continue", state=_big_payload(100000))
    data = b"".join(records)
    with pytest.raises(sync.SyncError, match="closed the channel"):
        sync.recv_unless_eof(Dribble(data[:30000], 4096))
    with pytest.raises(sync.SyncError, match="closed the channel"):
        sync.recv_unless_eof(Dribble(data[:5], 4096))  # inside the header
    with pytest.raises(sync.SyncError, match="closed the channel"):
        sync.recv_unless_eof(Replay(records[:-1]))


def test_a_bad_header_is_a_protocol_error():
    with pytest.raises(sync.SyncError, match="bad message header"):
        sync.recv_unless_eof(Dribble(b'{"type":"pid"}', 100))
    with pytest.raises(sync.SyncError, match="bad message header"):
        sync.recv_unless_eof(Replay([b'{"type":"pid"}']))
    with pytest.raises(sync.SyncError, match="bad message header"):
        sync.recv_unless_eof(Replay([b"0000"]))


def test_an_announced_size_over_the_limit_is_refused_before_reading_it():
    for peer in (Dribble(b"%08x" % (sync.MAX_MESSAGE + 1), 100), Replay([b"%08x" % (sync.MAX_MESSAGE + 1)])):
        with pytest.raises(sync.SyncError, match="over the limit of %d bytes" % sync.MAX_MESSAGE):
            sync.recv_unless_eof(peer)


def test_a_record_running_past_its_message_is_a_protocol_error():
    with pytest.raises(sync.SyncError, match="announced, 4 bytes sent"):
        sync.recv_unless_eof(Replay([b"00000002" + b"{}{}"]))


def test_a_message_over_the_limit_is_refused_and_nothing_is_sent():
    rec = Recorder()
    with pytest.raises(sync.SyncError, match=r"^the 'continue' message is \d+ bytes, over the limit of .* \(16 MiB\)"):
        sync.send(rec, "continue", state="x" * sync.MAX_MESSAGE)
    assert rec.records == []


def test_a_message_at_the_limit_passes():
    overhead = len(_framed("continue", state="")[0]) - sync.HEADER_SIZE
    text = "y" * (sync.MAX_MESSAGE - overhead)
    records = _framed("continue", state=text)
    assert int(records[0][:sync.HEADER_SIZE], 16) == sync.MAX_MESSAGE
    assert sync.recv(Replay(records), expect="continue")["state"] == text


def test_two_writers_on_one_end_never_interleave_their_messages():
    """The monitor sends "pid" and the init may send "error" on the same end at the same moment."""
    import os
    ours, theirs = sync.channel()
    count = 500
    children = []
    try:
        for kind in ("pid", "prestart"):
            pid = os.fork()
            if pid == 0:
                try:
                    ours.close()  # so that a parent that gives up ends our sends (EPIPE)
                    for i in range(count):
                        sync.send(theirs, kind, i=i, pad="z" * 20000)  # each message is one record
                finally:
                    os._exit(0)
            children.append(pid)
        theirs.close()
        ours.settimeout(10)  # a reader that lost the framing would wait forever
        seen = {"pid": [], "prestart": []}
        for dummy in range(2 * count):
            msg = sync.recv(ours)
            assert msg["pad"] == "z" * 20000
            seen[msg["type"]].append(msg["i"])
        assert seen == {"pid": list(range(count)), "prestart": list(range(count))}
    finally:
        ours.close()
        theirs.close()
        for pid in children:
            os.waitpid(pid, 0)
