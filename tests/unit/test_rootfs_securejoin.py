# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""securejoin: paths resolved inside a root never leave it.

Every test runs with both resolvers: the fake syscalls answer openat2 with
ENOSYS, which forces the userspace walk; the real ones use openat2(2)
RESOLVE_IN_ROOT (no privilege needed).
"""
import errno
import os

import pytest

from runtime.errors import SyscallError
from runtime.rootfs import securejoin
from runtime.rootfs.securejoin import mount_target, open_in_root, resolve_in_root
from runtime.syscalls.host import real
from runtime.syscalls.fake import FakeSyscalls


def _real_or_skip():
    sc = real()
    probe = os.open("/", os.O_PATH)
    try:
        os.close(sc.openat2(probe, ".", os.O_PATH, 0, 0))
    except SyscallError as exc:
        pytest.skip("openat2(2) unavailable here: %s" % exc)
    finally:
        os.close(probe)
    return sc


@pytest.fixture(params=["walk", "openat2"])
def sc(request):
    if request.param == "walk":
        return FakeSyscalls()
    return _real_or_skip()


@pytest.fixture
def root(tmp_path):
    """A hostile little rootfs."""
    r = tmp_path / "rootfs"
    (r / "etc").mkdir(parents=True)
    (r / "etc" / "marker").write_text("inside")
    (r / "a" / "b").mkdir(parents=True)
    (r / "file").write_text("x")
    os.symlink("/etc", str(r / "abs_etc"))             # absolute, would be the host's /etc
    os.symlink("../../../../../..", str(r / "a" / "up"))  # climbs far above the root
    os.symlink("../../../../etc", str(r / "a" / "b" / "rel_etc"))
    os.symlink("loop2", str(r / "loop1"))
    os.symlink("loop1", str(r / "loop2"))
    os.symlink("a/b", str(r / "last"))
    os.symlink("/newdir/sub", str(r / "dangling"))
    # Looks like a magic link chain; inside the root it is a plain tree.
    (r / "proc" / "self").mkdir(parents=True)
    os.symlink("/", str(r / "proc" / "self" / "root"))
    return str(r)


def _where(fd):
    try:
        return os.readlink(securejoin.fd_path(fd))
    finally:
        os.close(fd)


def test_absolute_symlink_stays_in_root(root, sc):
    assert _where(open_in_root(root, "/abs_etc", syscalls=sc)) == os.path.join(root, "etc")
    assert _where(open_in_root(root, "abs_etc/marker", syscalls=sc)) == \
        os.path.join(root, "etc", "marker")


def test_dotdot_never_leaves_root(root, sc):
    assert _where(open_in_root(root, "../../../../etc", syscalls=sc)) == os.path.join(root, "etc")
    assert _where(open_in_root(root, "/a/up/etc/marker", syscalls=sc)) == \
        os.path.join(root, "etc", "marker")
    assert _where(open_in_root(root, "a/b/rel_etc", syscalls=sc)) == os.path.join(root, "etc")
    assert _where(open_in_root(root, "/..", syscalls=sc)) == root


def test_symlink_as_last_component_is_followed_inside(root, sc):
    assert _where(open_in_root(root, "/last", syscalls=sc)) == os.path.join(root, "a", "b")


def test_proc_self_root_lookalike_stays_inside(root, sc):
    assert _where(open_in_root(root, "/proc/self/root/etc", syscalls=sc)) == \
        os.path.join(root, "etc")


def test_symlink_loop_is_eloop(root, sc):
    with pytest.raises(OSError) as info:
        open_in_root(root, "/loop1", syscalls=sc)
    assert info.value.errno == errno.ELOOP


def test_forty_links_resolve_and_forty_one_do_not(tmp_path, sc):
    r = tmp_path / "chain"
    r.mkdir()
    (r / "end").mkdir()
    os.symlink("end", str(r / "l0"))
    for i in range(1, 41):
        os.symlink("l%d" % (i - 1), str(r / ("l%d" % i)))
    assert _where(open_in_root(str(r), "l39", syscalls=sc)) == str(r / "end")
    with pytest.raises(OSError) as info:
        open_in_root(str(r), "l40", syscalls=sc)
    assert info.value.errno == errno.ELOOP


def test_missing_is_enoent_and_not_a_directory_is_enotdir(root, sc):
    with pytest.raises(OSError) as info:
        open_in_root(root, "/nope/deeper", syscalls=sc)
    assert info.value.errno == errno.ENOENT
    assert info.value.filename == os.path.join(root, "nope", "deeper")
    with pytest.raises(OSError) as info:
        open_in_root(root, "/file/below", syscalls=sc)
    assert info.value.errno == errno.ENOTDIR


def test_create_dir_through_dangling_absolute_symlink(root, sc):
    fd = open_in_root(root, "/dangling", create="dir", syscalls=sc)
    assert _where(fd) == os.path.join(root, "newdir", "sub")
    assert os.path.isdir(os.path.join(root, "newdir", "sub"))
    assert not os.path.exists("/newdir")


def test_create_file_through_absolute_symlink(root, sc):
    host_file = "/etc/securejoin-test-must-not-exist"
    fd = open_in_root(root, "/abs_etc/securejoin-test-must-not-exist", create="file",
                      syscalls=sc)
    inside = os.path.join(root, "etc", "securejoin-test-must-not-exist")
    assert _where(fd) == inside
    assert os.path.isfile(inside)
    assert not os.path.exists(host_file)


def test_create_file_makes_parents_as_directories(root, sc):
    fd = open_in_root(root, "/x/y/z.conf", create="file", syscalls=sc)
    assert _where(fd) == os.path.join(root, "x", "y", "z.conf")
    assert os.path.isdir(os.path.join(root, "x", "y"))
    assert os.path.isfile(os.path.join(root, "x", "y", "z.conf"))


def test_existing_path_is_not_recreated(root, sc):
    fd = open_in_root(root, "/etc/marker", create="file", syscalls=sc)
    assert _where(fd) == os.path.join(root, "etc", "marker")
    with open(os.path.join(root, "etc", "marker")) as handle:
        assert handle.read() == "inside"


def test_root_itself(root, sc):
    assert _where(open_in_root(root, "/", syscalls=sc)) == root
    assert _where(open_in_root(root, "", syscalls=sc)) == root


def test_bad_create_mode(root, sc):
    with pytest.raises(ValueError):
        open_in_root(root, "/etc", create="symlink", syscalls=sc)


def test_resolve_in_root(root, sc):
    assert resolve_in_root(root, "/abs_etc", syscalls=sc) == os.path.join(root, "etc")
    # Missing paths give the lexical join, for messages.
    assert resolve_in_root(root, "/no/such/../x", syscalls=sc) == os.path.join(root, "no", "x")


def test_mount_target_closes_its_fd(root, sc):
    with mount_target(root, "/abs_etc", syscalls=sc) as target:
        assert target.startswith("/proc/self/fd/")
        fd = int(target.rsplit("/", 1)[1])
        assert os.readlink(target) == os.path.join(root, "etc")
    with pytest.raises(OSError):
        os.fstat(fd)


def test_fake_resolver_really_walked():
    """The walk parametrization is only meaningful if the fake refuses openat2."""
    fake = FakeSyscalls()
    with pytest.raises(SyscallError) as info:
        fake.openat2(0, ".", 0)
    assert info.value.errno == errno.ENOSYS


# -- no_symlinks: proc and sysfs destinations (CVE-2019-19921) -----------------
@pytest.mark.parametrize("path,symlink", [
    ("/abs_etc", "abs_etc"), ("/abs_etc/marker", "abs_etc"), ("/last", "last"),
    ("/a/b/rel_etc", "a/b/rel_etc"), ("/a/up/etc", "a/up")])
def test_no_symlinks_refuses_any_symlink_and_names_it(root, sc, path, symlink):
    with pytest.raises(OSError) as info:
        open_in_root(root, path, syscalls=sc, no_symlinks=True)
    assert info.value.errno == errno.ELOOP
    assert info.value.filename == os.path.join(root, symlink)


def test_no_symlinks_creates_nothing_through_a_dangling_symlink(root, sc):
    with pytest.raises(OSError) as info:
        open_in_root(root, "/dangling", create="dir", syscalls=sc, no_symlinks=True)
    assert info.value.errno == errno.ELOOP
    assert not os.path.exists(os.path.join(root, "newdir"))


def test_no_symlinks_resolves_and_creates_plain_paths(root, sc):
    assert _where(open_in_root(root, "/etc/marker", syscalls=sc, no_symlinks=True)) == \
        os.path.join(root, "etc", "marker")
    assert _where(open_in_root(root, "/a/b/../../etc", syscalls=sc, no_symlinks=True)) == \
        os.path.join(root, "etc")
    assert _where(open_in_root(root, "/sys", create="dir", syscalls=sc, no_symlinks=True)) == \
        os.path.join(root, "sys")
    with mount_target(root, "/a/b", syscalls=sc, no_symlinks=True) as target:
        assert os.readlink(target) == os.path.join(root, "a", "b")
