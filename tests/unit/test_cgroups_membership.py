"""cgroups/membership.py: joining a container's cgroups from saved state (exec's path)."""
import os

import pytest

from runtime.cgroups import membership
from runtime.cgroups.manager import CgroupManager
from runtime.cgroups.detect import Hierarchy
from runtime.errors import CgroupError


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
