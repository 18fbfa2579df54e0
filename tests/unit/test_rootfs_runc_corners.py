# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mount logic that follows runc's order (issue 21), on recorded syscalls."""
import os

from runtime.rootfs import paths
from runtime.rootfs.options import readonly_deferred
from runtime.syscalls import consts as C
from runtime.syscalls.fake import FakeSyscalls

DEV = {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "ro", "mode=755"]}
PTS = {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["newinstance"]}


def test_read_only_dev_is_deferred_even_alone():
    assert readonly_deferred([DEV], 0)
    assert readonly_deferred([DEV, PTS], 0)


def test_read_only_tmpfs_deferred_only_with_mounts_beneath():
    data = {"destination": "/data", "type": "tmpfs", "options": ["ro"]}
    below = {"destination": "/data/sub/x", "type": "tmpfs"}
    beside = {"destination": "/database", "type": "tmpfs"}
    assert not readonly_deferred([data, beside], 0)
    assert readonly_deferred([data, beside, below], 0)
    assert not readonly_deferred([below, data], 1)  # only later mounts count


def test_read_write_binds_and_remounts_are_not_deferred():
    assert not readonly_deferred([dict(DEV, options=["rw"])], 0)
    assert not readonly_deferred([dict(DEV, type="bind", options=["rbind", "ro"])], 0)
    assert not readonly_deferred([dict(DEV, type="", options=["bind", "ro"])], 0)
    assert not readonly_deferred([dict(DEV, options=["remount", "ro"])], 0)


def test_deferred_remount_restates_flags_and_data(tmp_path, monkeypatch):
    (tmp_path / "dev" / "pts").mkdir(parents=True)
    monkeypatch.setattr(paths, "procfd_available", lambda: False)
    sc = FakeSyscalls()
    paths.remount_deferred_readonly([DEV, PTS], str(tmp_path), sc, "")
    mounts = [c for c in sc.calls if c[0] == "mount"]
    assert mounts == [("mount", "", os.path.join(str(tmp_path), "dev"), "tmpfs",
                       C.MS_REMOUNT | C.MS_RDONLY | C.MS_NOSUID, "mode=755")]


def test_no_pivot_hides_host_proc_and_sys_then_moves_and_chroots(tmp_path, monkeypatch):
    from runtime.rootfs import mountinfo, pivot
    info = tmp_path / "mountinfo"
    info.write_text(
        "27 1 254:0 / / rw - ext4 /dev/vda rw\n"
        "28 27 0:5 / /proc rw - proc proc rw\n"
        "29 27 0:6 / /sys rw - sysfs sysfs rw\n"
        "30 27 0:5 /sys /proc/sys ro - proc proc rw\n"  # not a full proc: kept
        "31 27 0:7 / /rootfs/proc rw - proc proc rw\n")  # the container's own
    monkeypatch.setattr(mountinfo, "MOUNTINFO_PATH", str(info))
    steps = []
    monkeypatch.setattr(pivot.os, "chdir", lambda path: steps.append(("chdir", path)))
    sc = FakeSyscalls(fail={"umount2": 1})  # EPERM: covered by a tmpfs instead
    pivot.move_root_into("/rootfs", sc)
    assert sc.calls == [
        ("mount", "", "/proc", "", C.MS_SLAVE | C.MS_REC, None), ("umount2", "/proc", C.MNT_DETACH),
        ("mount", "tmpfs", "/proc", "tmpfs", 0, None),
        ("mount", "", "/sys", "", C.MS_SLAVE | C.MS_REC, None), ("umount2", "/sys", C.MNT_DETACH),
        ("mount", "tmpfs", "/sys", "tmpfs", 0, None),
        ("mount", "/rootfs", "/", "", C.MS_MOVE, None), ("chroot", ".")]
    assert steps == [("chdir", "/rootfs"), ("chdir", "/")]


def test_recursive_options_become_mount_setattr_attributes():
    from runtime.rootfs.options import parse_mount_options
    opts = parse_mount_options(["rbind", "rro", "rnosuid", "rnoexec", "rnoatime", "ro"])
    assert opts.flags == C.MS_BIND | C.MS_REC | C.MS_RDONLY
    assert opts.recursive_set == (C.MOUNT_ATTR_RDONLY | C.MOUNT_ATTR_NOSUID | C.MOUNT_ATTR_NOEXEC
                                  | C.MOUNT_ATTR_NOATIME)
    assert opts.recursive_clear == C.MOUNT_ATTR__ATIME
    assert opts.recursive_names == ["rro", "rnosuid", "rnoexec", "rnoatime"]
    assert opts.data == ""


def test_later_recursive_options_win():
    from runtime.rootfs.options import parse_mount_options
    opts = parse_mount_options(["rro", "rrw", "rdev", "rnodev", "rnoatime", "rstrictatime"])
    assert opts.recursive_set == C.MOUNT_ATTR_NODEV | C.MOUNT_ATTR_STRICTATIME
    assert opts.recursive_clear == C.MOUNT_ATTR_RDONLY | C.MOUNT_ATTR__ATIME
    # A negative atime option picks a whole mode: clearing part of
    # MOUNT_ATTR__ATIME would be EINVAL (mount_setattr(2)).
    opts = parse_mount_options(["ratime"])
    assert (opts.recursive_set, opts.recursive_clear) == (C.MOUNT_ATTR_RELATIME, C.MOUNT_ATTR__ATIME)


def _mount_ctx(tmp_path, sc):
    from runtime.rootfs.mountcalls import MountContext
    (tmp_path / "mnt").mkdir()
    return MountContext(str(tmp_path), sc)


def test_recursive_attributes_are_one_mount_setattr_after_the_mount(tmp_path):
    from runtime.rootfs.mounts import mount_entry
    sc = FakeSyscalls()
    entry = {"destination": "/mnt", "type": "tmpfs", "source": "tmpfs", "options": ["rnodev", "rro"]}
    mount_entry(0, entry, _mount_ctx(tmp_path, sc), [entry])
    names = [c[0] for c in sc.calls if c[0] != "openat2"]
    assert names == ["mount", "mount_setattr"]
    call = [c for c in sc.calls if c[0] == "mount_setattr"][0]
    assert call[1] == C.AT_FDCWD and call[2].startswith("/proc/self/fd/")
    assert call[3:6] == (C.AT_RECURSIVE, C.MOUNT_ATTR_NODEV | C.MOUNT_ATTR_RDONLY, 0)


def test_kernel_without_mount_setattr_names_the_options(tmp_path):
    import errno
    import pytest
    from runtime.errors import UnsupportedError
    from runtime.rootfs.mounts import mount_entry
    sc = FakeSyscalls(fail={"mount_setattr": errno.ENOSYS})
    entry = {"destination": "/mnt", "type": "bind", "source": str(tmp_path), "options": ["rbind", "rro"]}
    with pytest.raises(UnsupportedError) as info:
        mount_entry(3, entry, _mount_ctx(tmp_path, sc), [entry])
    assert "mounts[3] /mnt" in str(info.value) and "rro" in str(info.value)
    assert "mount_setattr(2)" in str(info.value)


# -- cgroup v1 update order (runc's fs/memory.go, fs/cpu.go) ------------------

class _Files(object):
    """Control files in a dict; ``refuse(path, value, files)`` True means EINVAL."""

    def __init__(self, values, refuse):
        self.values = dict(values)
        self.refuse = refuse
        self.log = []

    def exists(self, path):
        return path in self.values

    def read(self, path):
        return self.values[path]

    def write(self, path, text):
        import errno
        self.log.append((path, text))
        if self.refuse(path, text, self.values):
            raise OSError(errno.EINVAL, "Invalid argument")
        self.values[path] = text


def _cpu_targets(period, quota):
    from runtime.cgroups import v1
    return [("/cg", w.filename, w) for w in v1.cpu({"period": period, "quota": quota})]


def _exceeds_parent(path, text, values):
    """The kernel's check: quota/period of the cgroup at most the parent's 0.5."""
    quota = int(text if path.endswith("quota_us") else values["/cg/cpu.cfs_quota_us"])
    period = int(text if path.endswith("period_us") else values["/cg/cpu.cfs_period_us"])
    return quota > 0 and quota * 2 > period


def test_cpu_period_refused_with_the_old_quota_is_retried_after_the_quota():
    from runtime.cgroups.files import write_plan
    files = _Files({"/cg/cpu.cfs_period_us": "100000", "/cg/cpu.cfs_quota_us": "50000"}, _exceeds_parent)
    done = []
    write_plan(files, _cpu_targets(50000, 25000), done)
    assert files.log == [("/cg/cpu.cfs_period_us", "50000"), ("/cg/cpu.cfs_quota_us", "25000"),
                         ("/cg/cpu.cfs_period_us", "50000")]
    assert files.values == {"/cg/cpu.cfs_period_us": "50000", "/cg/cpu.cfs_quota_us": "25000"}
    assert done == [("/cg", "cpu.cfs_quota_us", "50000"), ("/cg", "cpu.cfs_period_us", "100000")]


def test_cpu_pair_that_cannot_fit_still_fails_naming_the_field():
    import pytest
    from runtime.cgroups.files import write_plan
    from runtime.errors import CgroupError
    files = _Files({"/cg/cpu.cfs_period_us": "100000", "/cg/cpu.cfs_quota_us": "50000"}, _exceeds_parent)
    done = []
    with pytest.raises(CgroupError) as info:
        write_plan(files, _cpu_targets(50000, 40000), done)
    assert "cpu.period" in str(info.value) and "Invalid argument" in str(info.value)
    assert done == [("/cg", "cpu.cfs_quota_us", "50000")]  # what a failed update restores


def test_only_the_period_before_a_quota_is_retried():
    from runtime.cgroups import v1
    writes = v1.cpu({"period": 50000})
    assert [w.retry_after_next for w in writes] == [False]
    writes = v1.cpu({"period": 50000, "quota": 1000, "shares": 2})
    assert [(w.filename, w.retry_after_next) for w in writes] == [
        ("cpu.shares", False), ("cpu.cfs_period_us", True), ("cpu.cfs_quota_us", False)]


def test_unlimited_memory_lifts_a_swap_limit():
    from runtime.lifecycle.update import unlimited_memory_lifts_swap
    current = {"memory": {"limit": 64, "swap": 128}}
    assert unlimited_memory_lifts_swap(current, {"memory": {"limit": -1}}) == {"memory": {"limit": -1, "swap": -1}}
    # an explicit swap, a finite limit or no swap limit so far: unchanged
    assert unlimited_memory_lifts_swap(current, {"memory": {"limit": -1, "swap": 256}}) == \
        {"memory": {"limit": -1, "swap": 256}}
    assert unlimited_memory_lifts_swap(current, {"memory": {"limit": 32}}) == {"memory": {"limit": 32}}
    assert unlimited_memory_lifts_swap({"memory": {"limit": 64}}, {"memory": {"limit": -1}}) == \
        {"memory": {"limit": -1}}


def test_v1_memory_and_swap_unlimited_raise_memsw_first():
    from runtime.cgroups import v1
    writes = v1.memory({"limit": -1, "swap": -1}, current_limit=64)
    assert [w.filename for w in writes] == ["memory.memsw.limit_in_bytes", "memory.limit_in_bytes"]
    writes = v1.memory({"limit": 32, "swap": 48}, current_limit=1 << 62)
    assert [w.filename for w in writes] == ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"]


# -- bind sources opened on the host side (user namespaces) -----------------

def test_open_bind_sources_clones_only_bind_sources(tmp_path):
    from runtime.rootfs.mountcalls import close_fds, open_bind_sources
    sc = FakeSyscalls()
    mounts = [{"destination": "/proc", "type": "proc", "source": "proc"},
              {"destination": "/a", "type": "bind", "source": "/srv/a", "options": ["rbind", "ro"]},
              {"destination": "/b", "type": "none", "source": "data/b", "options": ["bind"]},
              {"destination": "/c", "type": "bind", "source": "/srv/c", "options": ["remount", "ro"]}]
    fds = open_bind_sources(mounts, "/bundle", sc)
    assert sorted(fds) == [1, 2]
    assert [c for c in sc.calls if c[0] == "open_tree"] == [
        ("open_tree", C.AT_FDCWD, "/srv/a", C.OPEN_TREE_CLONE | C.OPEN_TREE_CLOEXEC | C.AT_RECURSIVE),
        ("open_tree", C.AT_FDCWD, "/bundle/data/b", C.OPEN_TREE_CLONE | C.OPEN_TREE_CLOEXEC)]
    close_fds(fds)
    assert fds == {}


def test_bind_by_fd_is_moved_then_made_a_slave(tmp_path):
    from runtime.rootfs.mountcalls import MountContext, open_bind_sources
    from runtime.rootfs.mounts import mount_entry
    (tmp_path / "rootfs" / "mnt").mkdir(parents=True)
    sc = FakeSyscalls()
    entry = {"destination": "/mnt", "type": "bind", "source": "/srv/a", "options": ["rbind"]}
    ctx = MountContext(str(tmp_path / "rootfs"), sc, source_fds=open_bind_sources([entry], None, sc))
    mount_entry(0, entry, ctx, [entry])
    calls = [c for c in sc.calls if c[0] in ("move_mount", "mount")]
    assert [c[0] for c in calls] == ["move_mount", "mount"]
    assert calls[0][1:3] == (ctx.source_fds[0], "")
    assert calls[0][5] == C.MOVE_MOUNT_F_EMPTY_PATH | C.MOVE_MOUNT_T_SYMLINKS
    assert calls[1][4] == C.MS_SLAVE | C.MS_REC
    os.close(ctx.source_fds[0])


def test_read_only_sysfs_with_cgroup_mounts_beneath_is_not_deferred():
    sysfs = {"destination": "/sys", "type": "sysfs", "options": ["nosuid", "ro"]}
    cgroup = {"destination": "/sys/fs/cgroup", "type": "cgroup", "options": ["ro"]}
    assert not readonly_deferred([sysfs, cgroup], 0)
