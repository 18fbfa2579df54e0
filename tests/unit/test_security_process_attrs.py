# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
import errno
import os

import pytest

from runtime.errors import SecurityError
from runtime.security.process_attrs import apply_umask, set_no_new_privileges, set_oom_score_adj
from runtime.security.uts import set_domainname, set_hostname
from runtime.syscalls import consts as C
from runtime.syscalls.fake import FakeSyscalls


@pytest.fixture
def restore_umask():
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)


def _current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_umask_from_config_and_default(restore_umask):
    apply_umask({"user": {"uid": 0, "umask": 0o077}})
    assert _current_umask() == 0o077
    apply_umask({"user": {"uid": 0}})
    assert _current_umask() == 0o022
    os.umask(0o000)
    apply_umask({})
    assert _current_umask() == 0o022


@pytest.mark.parametrize("bad", [-1, 0o1000, "022", True])
def test_bad_umask(bad, restore_umask):
    with pytest.raises(SecurityError, match=r"process\.user\.umask"):
        apply_umask({"user": {"umask": bad}})


def test_no_new_privileges():
    fake = FakeSyscalls()
    set_no_new_privileges(syscalls=fake)
    assert fake.calls == [("prctl", C.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)]
    with pytest.raises(SecurityError, match=r"process\.noNewPrivileges"):
        set_no_new_privileges(syscalls=FakeSyscalls(fail={"prctl": errno.EINVAL}))


def test_oom_score_adj_written(tmp_path):
    (tmp_path / "self").mkdir()
    (tmp_path / "self" / "oom_score_adj").write_text("")
    set_oom_score_adj(-500, proc_root=str(tmp_path))
    assert (tmp_path / "self" / "oom_score_adj").read_text() == "-500"
    set_oom_score_adj(None, proc_root=str(tmp_path / "absent"))  # no-op


@pytest.mark.parametrize("bad", [1001, -1001, "5", 1.5])
def test_oom_score_adj_range(bad, tmp_path):
    with pytest.raises(SecurityError, match=r"process\.oomScoreAdj: must be"):
        set_oom_score_adj(bad, proc_root=str(tmp_path))


def test_oom_score_adj_write_error_names_field(tmp_path):
    with pytest.raises(SecurityError, match=r"process\.oomScoreAdj: writing 5 to .*oom_score_adj"):
        set_oom_score_adj(5, proc_root=str(tmp_path))


def test_hostname_and_domainname():
    fake = FakeSyscalls()
    set_hostname("box", syscalls=fake)
    set_domainname("example.org", syscalls=fake)
    assert fake.calls == [("sethostname", "box"), ("setdomainname", "example.org")]
    with pytest.raises(SecurityError, match=r"^hostname: .*longer than 64"):
        set_hostname("x" * 65, syscalls=fake)
    with pytest.raises(SecurityError, match=r"^domainname: setdomainname"):
        set_domainname("d", syscalls=FakeSyscalls(fail={"setdomainname": errno.EPERM}))
    with pytest.raises(SecurityError, match=r"^hostname: must be a string"):
        set_hostname(5, syscalls=fake)
