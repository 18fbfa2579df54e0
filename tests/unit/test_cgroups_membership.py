"""cgroups/membership.py: joining a container's cgroups (saved state, tasks or cgroup.procs) and
forking into its cgroup2 cgroup where the kernel can."""
import errno
import os

import pytest

from runtime.cgroups import membership
from runtime.cgroups.manager import CgroupManager
from runtime.cgroups.detect import Hierarchy
from runtime.errors import CgroupError, SyscallError


def make_cgroup(root, name):
    """A fake cgroup directory with the files a v1 one has (cgroup2 has no ``tasks``)."""
    directory = os.path.join(str(root), name, "ctr")
    os.makedirs(directory)
    for name in ("cgroup.procs", "tasks"):
        with open(os.path.join(directory, name), "w"):
            pass
    return directory


def read(directory, name):
    with open(os.path.join(directory, name)) as f:
        return f.read()


def test_saved_cgroups_are_the_managers_paths_with_their_kind(tmp_path):
    hierarchies = [Hierarchy("pids", "cgroup", str(tmp_path / "pids"), ["pids"]),
                   Hierarchy("name=systemd", "cgroup", str(tmp_path / "systemd"), [], "systemd"),
                   Hierarchy("unified", "cgroup2", str(tmp_path / "unified"), [])]
    manager = CgroupManager("c1", "hybrid", hierarchies, "ctr")
    saved = manager.to_dict()
    assert sorted(membership.saved_cgroups(saved)) == sorted([
        (manager.paths["pids"], False), (manager.paths["name=systemd"], False), (manager.paths["unified"], True)])


@pytest.mark.parametrize("saved", [{"version": 2, "paths": {}}, {"version": 1}, {"version": 1, "paths": None}, [],
                                   {"version": 1, "paths": {}, "hierarchies": [{"name": "pids", "fstype": "cgroup"}]}])
def test_unusable_saved_state_is_a_cgroup_error(saved):
    with pytest.raises(CgroupError, match="saved cgroup state is unusable"):
        membership.saved_cgroups(saved)


def test_join_writes_another_pid_to_every_cgroup_procs(tmp_path):
    v1, v2 = make_cgroup(tmp_path, "pids"), make_cgroup(tmp_path, "unified")
    membership.join([(v1, False), (v2, True)], 1234)
    assert [read(d, "cgroup.procs") for d in (v1, v2)] == ["1234", "1234"]
    assert [read(d, "tasks") for d in (v1, v2)] == ["", ""]


def test_the_calling_process_joins_v1_through_tasks_and_cgroup2_through_cgroup_procs(tmp_path):
    # tasks: the calling thread, moved without the host-wide lock (membership.py says why)
    v1, v2 = make_cgroup(tmp_path, "pids"), make_cgroup(tmp_path, "unified")
    membership.join([(v1, False), (v2, True)], 0)
    assert (read(v1, "tasks"), read(v1, "cgroup.procs")) == ("0", "")
    assert (read(v2, "tasks"), read(v2, "cgroup.procs")) == ("", "0")


def test_join_refuses_a_missing_cgroup_before_writing_anything_after_it(tmp_path):
    present = make_cgroup(tmp_path, "pids")
    missing = str(tmp_path / "memory" / "ctr")
    with pytest.raises(CgroupError, match="cgroup %s does not exist" % missing):
        membership.join([(missing, False), (present, False)], 0)
    assert read(present, "tasks") == ""


def test_join_names_the_file_and_the_reason_of_a_failed_write(tmp_path):
    directory = tmp_path / "unified" / "ctr"
    (directory / "cgroup.procs").mkdir(parents=True)  # open(O_WRONLY) of a directory: EISDIR
    with pytest.raises(CgroupError, match=r"adding process 0 to the container cgroup: writing 0 to "
                                          r".*/cgroup.procs: Is a directory"):
        membership.join([(str(directory), True)], 0)


class ForkingSyscalls(object):
    """fork_into_cgroup as the kernel would answer it: a pid, 0 (the child) or (errno,)."""

    def __init__(self, result):
        self.result = result
        self.directories = []

    def fork_into_cgroup(self, fd):
        self.directories.append(os.readlink("/proc/self/fd/%d" % fd))
        if isinstance(self.result, int):
            return self.result
        raise SyscallError("clone3", self.result[0], "CLONE_INTO_CGROUP")


@pytest.fixture
def forking(monkeypatch, tmp_path):
    """fork_into with posix.fork faked, in a single-threaded process, clone3 not refused yet."""
    forks = []
    monkeypatch.setattr(membership, "_CLONE_INTO_CGROUP", [True])
    monkeypatch.setattr(membership, "single_threaded", lambda: True)
    monkeypatch.setattr(membership.posix, "fork", lambda: forks.append(1) or 4321)
    v1, v2 = make_cgroup(tmp_path, "pids"), make_cgroup(tmp_path, "unified")

    def fork(result, cgroups=((v1, False), (v2, True))):
        sc = ForkingSyscalls(result)
        pid, to_join = membership.fork_into(cgroups, sc)
        return pid, to_join, sc.directories, len(forks)
    fork.v1, fork.v2 = v1, v2
    return fork


def test_the_child_starts_in_the_cgroup2_cgroup_and_joins_only_the_others(forking):
    assert forking(0) == (0, [(forking.v1, False)], [forking.v2], 0)
    assert forking(1234) == (1234, [(forking.v1, False)], [forking.v2], 0)


@pytest.mark.parametrize("err", [errno.ENOSYS, errno.E2BIG, errno.EINVAL])
def test_a_kernel_without_clone_into_cgroup_gets_a_fork_now_and_later(forking, err):
    assert forking((err,)) == (4321, [(forking.v1, False), (forking.v2, True)], [forking.v2], 1)
    assert forking((err,))[2:] == ([], 2)  # not asked again


def test_a_cgroup_that_refuses_the_child_is_left_to_join_to_name(forking):
    assert forking((errno.EBUSY,)) == (4321, [(forking.v1, False), (forking.v2, True)], [forking.v2], 1)
    assert forking(0)[2] == [forking.v2]  # asked again next time


@pytest.mark.parametrize("err", [errno.EAGAIN, errno.ENOMEM])
def test_a_failed_clone_is_a_failed_fork(forking, err):
    with pytest.raises(OSError) as caught:
        forking((err,))
    assert caught.value.errno == err and not isinstance(caught.value, SyscallError)


def test_no_cgroup2_cgroup_a_missing_one_or_another_thread_means_a_plain_fork(forking, monkeypatch):
    assert forking(0, cgroups=[(forking.v1, False)]) == (4321, [(forking.v1, False)], [], 1)
    gone = forking.v2 + "-gone"
    assert forking(0, cgroups=[(gone, True)]) == (4321, [(gone, True)], [], 2)
    monkeypatch.setattr(membership, "single_threaded", lambda: False)
    assert forking(0)[2:] == ([], 3)


def test_this_process_counts_its_threads():
    import threading
    assert membership.single_threaded() == (threading.active_count() == 1)
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        assert not membership.single_threaded()
    finally:
        release.set()
        thread.join()
