# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
import errno
import fcntl
import os

import pytest

from runtime.errors import SecurityError
from runtime.security.fds import close_inherited_fds
from runtime.security.fds import ranges_to_close
from runtime.syscalls import consts as C
from runtime.syscalls.fake import FakeSyscalls

TOP = 0xFFFFFFFF


def test_ranges_around_kept_fds():
    assert ranges_to_close(()) == [(3, TOP)]
    assert ranges_to_close([5, 7, 1, 5]) == [(3, 4), (6, 6), (8, TOP)]
    assert ranges_to_close([3, 4]) == [(5, TOP)]


def test_close_range_calls():
    fake = FakeSyscalls()
    assert close_inherited_fds(keep=[4, 9], syscalls=fake) == "close_range"
    assert fake.calls == [("close_range", 3, 3, 0), ("close_range", 5, 8, 0),
                          ("close_range", 10, TOP, 0)]
    fake = FakeSyscalls()
    close_inherited_fds(cloexec=True, syscalls=fake)
    assert fake.calls == [("close_range", 3, TOP, C.CLOSE_RANGE_CLOEXEC)]


def test_other_close_range_error_is_reported():
    with pytest.raises(SecurityError, match="close_range"):
        close_inherited_fds(syscalls=FakeSyscalls(fail={"close_range": errno.EPERM}))


def _is_open(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


@pytest.fixture
def pipes():
    fds = []
    for dummy in range(2):
        fds.extend(os.pipe())
    yield fds
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def _fake_proc(tmp_path, fds):
    """A /proc whose self/fd lists only our pipes (plus a closed number), so the
    fallback touches nothing else of the pytest process."""
    fd_dir = tmp_path / "self" / "fd"
    fd_dir.mkdir(parents=True)
    for fd in list(fds) + [1, 2, 999999]:
        (fd_dir / str(fd)).write_text("")
    return str(tmp_path)


def test_fallback_closes_listed_fds_except_kept(tmp_path, pipes):
    fake = FakeSyscalls(fail={"close_range": errno.ENOSYS})
    result = close_inherited_fds(keep=[pipes[1]], syscalls=fake,
                                 proc_root=_fake_proc(tmp_path, pipes))
    assert result == "fallback"
    assert [_is_open(fd) for fd in pipes] == [False, True, False, False]
    assert _is_open(1) and _is_open(2)


def test_fallback_cloexec_marks_instead_of_closing(tmp_path, pipes):
    for fd in pipes:
        os.set_inheritable(fd, True)
    fake = FakeSyscalls(fail={"close_range": errno.EINVAL})
    close_inherited_fds(keep=[pipes[0]], cloexec=True, syscalls=fake,
                        proc_root=_fake_proc(tmp_path, pipes))
    flags = [fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC for fd in pipes]
    assert flags[0] == 0 and all(flags[1:])
