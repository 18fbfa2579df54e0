"""cgroups/membership.py: joining a container's cgroups from saved state (exec's path)."""
import os

import pytest

from runtime.cgroups import membership
from runtime.cgroups.manager import CgroupManager
from runtime.cgroups.detect import Hierarchy
from runtime.errors import CgroupError


def make_cgroup(root, name):
    directory = os.path.join(str(root), name, "ctr")
    os.makedirs(directory)
    with open(os.path.join(directory, "cgroup.procs"), "w"):
        pass
    return directory


def test_saved_directories_are_the_managers_paths(tmp_path):
    hierarchies = [Hierarchy("pids", "cgroup", str(tmp_path / "pids"), ["pids"]),
                   Hierarchy("unified", "cgroup2", str(tmp_path / "unified"), [])]
    manager = CgroupManager("c1", "hybrid", hierarchies, "ctr")
    saved = manager.to_dict()
    assert sorted(membership.saved_directories(saved)) == sorted(manager.paths.values())


@pytest.mark.parametrize("saved", [{"version": 2, "paths": {}}, {"version": 1}, {"version": 1, "paths": None}, []])
def test_unusable_saved_state_is_a_cgroup_error(saved):
    with pytest.raises(CgroupError, match="saved cgroup state is unusable"):
        membership.saved_directories(saved)


def test_join_writes_the_pid_to_every_cgroup_procs(tmp_path):
    directories = [make_cgroup(tmp_path, "pids"), make_cgroup(tmp_path, "memory")]
    membership.join(directories, 1234)
    for directory in directories:
        with open(os.path.join(directory, "cgroup.procs")) as f:
            assert f.read() == "1234"


def test_join_refuses_a_missing_cgroup_before_writing_anything_after_it(tmp_path):
    present = make_cgroup(tmp_path, "pids")
    missing = str(tmp_path / "memory" / "ctr")
    with pytest.raises(CgroupError, match="cgroup %s does not exist" % missing):
        membership.join([missing, present], 0)
    with open(os.path.join(present, "cgroup.procs")) as f:
        assert f.read() == ""


def test_join_names_the_file_and_the_reason_of_a_failed_write(tmp_path):
    directory = tmp_path / "pids" / "ctr"
    (directory / "cgroup.procs").mkdir(parents=True)  # open(O_WRONLY) of a directory: EISDIR
    with pytest.raises(CgroupError, match=r"adding process 0 to the container cgroup: writing 0 to "
                                          r".*/cgroup.procs: Is a directory"):
        membership.join([str(directory)], 0)
