import json
import os
import stat
import subprocess
import sys

import pytest

from runtime.errors import CorruptStateError, ContainerExists, ContainerNotFound, StateError, StatusError
from runtime.standalone import stateio
from runtime.state import StateRoot, spec_state
from runtime.status import live_status, require


@pytest.fixture
def root(tmp_path):
    return StateRoot(str(tmp_path / "state")).ensure()


def test_root_created_0700(root):
    st = os.lstat(root.path)
    assert stat.S_IMODE(st.st_mode) == 0o700


def test_root_mode_is_tightened(tmp_path):
    path = tmp_path / "loose"
    path.mkdir(mode=0o755)
    os.chmod(str(path), 0o777)
    StateRoot(str(path)).ensure()
    assert stat.S_IMODE(os.lstat(str(path)).st_mode) == 0o700


def test_root_symlink_refused(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    with pytest.raises(StateError, match="symlink"):
        StateRoot(str(link)).ensure()


def test_root_other_owner_refused(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to chown")
    path = tmp_path / "other"
    path.mkdir(mode=0o700)
    os.chown(str(path), 12345, 12345)
    with pytest.raises(StateError, match="owned by uid 12345"):
        StateRoot(str(path)).ensure()


def test_atomic_write_and_read(root):
    cdir = root.new_container_dir("c1")
    root.save({"id": "c1", "status": "created"})
    assert root.load("c1")["status"] == "created"
    assert os.listdir(cdir) == ["state.json"]  # no temp file left
    with pytest.raises(ContainerExists):
        root.new_container_dir("c1")
    assert root.ids() == ["c1"]


def test_missing_and_corrupt(root):
    with pytest.raises(ContainerNotFound):
        root.load("nope")
    cdir = root.new_container_dir("bad")
    with open(os.path.join(cdir, "state.json"), "w") as f:
        f.write("{half")
    with pytest.raises(CorruptStateError) as err:
        root.load("bad")
    # The message names the file, so a human knows what to look at.
    assert os.path.join(cdir, "state.json") in str(err.value)
    assert isinstance(err.value, StateError)


@pytest.mark.parametrize("content,problem", [
    (b"", "invalid JSON"),
    (b'{"id": "bad", "status": "run', "unreadable"),
    (b"\x00" * 64, "invalid JSON"),
    (b"\xff\xfe{}", "utf-8"),
    (b"null", "not a JSON object"),
    (b'["bad"]', "not a JSON object"),
    (b'{"id": "other", "status": "running"}', "'other'"),
    (b'{"id": "bad", "status": 3}', "status"),
    (b'{"id": "bad", "status": "running", "pid": "12"}', "pid"),
    (b'{"id": "bad", "status": "running", "pid": true}', "pid"),
    (b'{"id": "bad", "status": "running", "monitor_pid": -1}', "monitor_pid"),
    (b'{"id": "bad", "status": "running", "cgroup": []}', "cgroup"),
])
def test_unusable_state_files_are_corrupt(root, content, problem):
    cdir = root.new_container_dir("bad")
    with open(os.path.join(cdir, "state.json"), "wb") as f:
        f.write(content)
    with pytest.raises(CorruptStateError) as err:
        root.load("bad")
    assert problem in str(err.value)
    assert err.value.path == os.path.join(cdir, "state.json")


def test_write_killed_midway_keeps_old_state(root, tmp_path):
    """A writer killed before rename leaves the previous state intact."""
    cdir = root.new_container_dir("k")
    root.save({"id": "k", "status": "created"})
    code = ("import os, sys; sys.path.insert(0, %r); from runtime.standalone import stateio;"
            "stateio.posix.rename = lambda *a: os._exit(9);"
            "stateio.write_json(%r, {'id': 'k', 'status': 'running'})"
            % (os.path.join(os.path.dirname(__file__), "..", "..", "plugins", "module_utils"), cdir))
    assert subprocess.call([sys.executable, "-c", code]) == 9
    assert root.load("k")["status"] == "created"


def test_ids_skip_dot_dirs_and_dirs_without_state(root):
    os.mkdir(os.path.join(root.path, ".libexec"))
    os.mkdir(os.path.join(root.path, "empty"))
    assert root.ids() == []


def test_proc_stat_parses_odd_comm():
    letter, start = stateio.proc_stat(os.getpid())
    assert letter in "RS" and start > 0
    assert stateio.proc_stat(2 ** 22 + 12345) is None


def _sleeper():
    return subprocess.Popen(["sleep", "30"])


def test_status_rules():
    p = _sleeper()
    try:
        start = stateio.proc_stat(p.pid)[1]
        state = {"status": "running", "pid": p.pid, "pid_start_time": start}
        assert live_status(state) == "running"
        # same pid, different start time: reused pid -> stopped
        assert live_status(dict(state, pid_start_time=start + 1)) == "stopped"
        p.kill()
        p.wait()
        assert live_status(state) == "stopped"
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_zombie_is_stopped():
    p = _sleeper()
    start = stateio.proc_stat(p.pid)[1]
    p.kill()
    import time
    for dummy in range(200):
        if stateio.proc_stat(p.pid)[0] == "Z":
            break
        time.sleep(0.005)
    try:
        assert live_status({"status": "running", "pid": p.pid, "pid_start_time": start}) == "stopped"
    finally:
        p.wait()


def test_creating_without_live_creator_is_stopped():
    assert live_status({"status": "creating", "creator_pid": 2 ** 22 + 7}) == "stopped"
    me = stateio.proc_stat(os.getpid())[1]
    assert live_status({"status": "creating", "creator_pid": os.getpid(),
                        "creator_start_time": me}) == "creating"


@pytest.mark.parametrize("verb,status,ok", [
    ("start", "created", True), ("start", "running", False), ("start", "stopped", False),
    ("kill", "running", True), ("kill", "created", True), ("kill", "stopped", False),
    ("delete", "stopped", True), ("delete", "running", False), ("delete", "created", False),
    ("delete --force", "running", True),
])
def test_require(verb, status, ok):
    if ok:
        require(verb, "c", status)
    else:
        with pytest.raises(StatusError, match="it is %s" % status):
            require(verb, "c", status)


def test_spec_state_fields():
    stored = {"ociVersion": "1.2.0", "id": "c", "status": "stopped", "pid": 5, "bundle": "/b",
              "annotations": {"a": "b"}, "config": {}, "version": "1.2.0", "root": "/b"}
    out = spec_state(stored)
    assert set(out) == {"ociVersion", "id", "status", "pid", "bundle", "annotations"}
    assert json.loads(json.dumps(out)) == out


def _exited_pid():
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def _me():
    return {"monitor_pid": os.getpid(), "monitor_start_time": stateio.proc_stat(os.getpid())[1]}


def test_exit_pending_only_while_a_live_monitor_has_not_recorded():
    from runtime.status import exit_pending
    running = dict(_me(), status="running", pid=_exited_pid(), pid_start_time=1)
    assert exit_pending(running)
    assert exit_pending(dict(running, status="paused"))
    assert not exit_pending(dict(running, status="stopped", exit_code=0))
    assert not exit_pending(dict(running, monitor_pid=_exited_pid()))  # a killed monitor records nothing
    assert not exit_pending(dict(running, monitor_start_time=1))  # the monitor's pid was reused
    assert not exit_pending(dict(running, pid=os.getpid(), pid_start_time=None))  # still alive


def test_load_settled_waits_for_the_record(root):
    import threading
    import time
    from runtime.lifecycle import query
    state = dict(_me(), id="c1", status="running", pid=_exited_pid(), pid_start_time=1)
    os.mkdir(root.container_dir("c1"))
    root.save(state)
    recorder = threading.Timer(0.2, root.save, (dict(state, status="stopped", exit_code=3),))
    recorder.start()
    try:
        began = time.monotonic()
        settled = query.load_settled(root, "c1")
        assert time.monotonic() - began >= 0.15
        assert (settled["status"], settled["exit_code"]) == ("stopped", 3)
        described = query.list_containers(root.path)
        assert [(c["status"], c["exit_code"]) for c in described] == [("stopped", 3)]
    finally:
        recorder.cancel()


def test_load_settled_gives_up_after_the_bound(root, monkeypatch):
    import time
    from runtime.lifecycle import query
    monkeypatch.setattr(query, "EXIT_RECORD_WAIT", 0.1)
    for cid in ("c1", "c2"):
        os.mkdir(root.container_dir(cid))
    root.save(dict(_me(), id="c1", status="running", pid=_exited_pid(), pid_start_time=1))
    began = time.monotonic()
    out = query.state(root.path, "c1")
    assert 0.1 <= time.monotonic() - began < 1.0
    assert out["status"] == "stopped" and "exit_code" not in out
    # Without a live monitor nobody will record: no wait at all.
    monkeypatch.setattr(query, "EXIT_RECORD_WAIT", 5.0)
    root.save(dict(id="c2", status="running", pid=_exited_pid(), pid_start_time=1, monitor_pid=_exited_pid()))
    began = time.monotonic()
    assert query.state(root.path, "c2")["status"] == "stopped"
    assert time.monotonic() - began < 2.0
