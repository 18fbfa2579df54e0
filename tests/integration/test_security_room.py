# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The security room against the real kernel (root).

Every change of identity, limit or namespace happens in a forked child that
reports what the kernel says (mostly /proc/self/status) through a pipe and
always leaves with os._exit, so the pytest process itself stays root with its
own limits, fds and names.
"""
from __future__ import absolute_import, division, print_function

import errno
import json
import os
import resource
import socket
import sys
import traceback

import pytest

from runtime.errors import SecurityError, SyscallError
from runtime.security.fds import close_inherited_fds
from runtime.security.identity import apply_identity
from runtime.security.process_attrs import apply_umask, set_no_new_privileges, set_oom_score_adj
from runtime.security.rlimits import apply_rlimits
from runtime.security.sysctl import apply_sysctls
from runtime.security.uts import set_domainname, set_hostname
from runtime.syscalls import consts as C
from runtime.syscalls.host import real

from host_features import hard_rlimits, requires

pytestmark = [
    pytest.mark.ours,
    pytest.mark.skipif(os.geteuid() != 0, reason="changes uid, caps and namespaces: needs root"),
]

CAP_KILL = 1 << 5
CAP_NET_BIND_SERVICE = 1 << 10


def _read_all(fd):
    chunks = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def run_in_child(body):
    """Fork; the child runs body(report_fd) and sends its JSON result (or the
    traceback) back through report_fd."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(read_end)
            try:
                result = {"ok": body(write_end)}
            except BaseException:
                result = {"error": traceback.format_exc()}
            try:
                data = json.dumps(result)
            except (TypeError, ValueError):
                data = json.dumps({"error": traceback.format_exc()})
            os.write(write_end, data.encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    try:
        data = _read_all(read_end)
    finally:
        os.close(read_end)
        dummy, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, "child died: %r" % status
    result = json.loads(data.decode())
    assert "error" not in result, result.get("error")
    return result["ok"]


def run_program_in_child(prepare, argv):
    """Fork; the child runs prepare() then execs argv with stdout on a pipe. Returns stdout."""
    read_end, write_end = os.pipe()
    err_read, err_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            os.close(err_read)
            os.dup2(write_end, 1)
            prepare()
            os.execv(argv[0], argv)
        except BaseException:
            os.write(err_write, traceback.format_exc().encode())
        finally:
            os._exit(127)
    os.close(write_end)
    os.close(err_write)
    try:
        out = _read_all(read_end)
        err = _read_all(err_read)
    finally:
        os.close(read_end)
        os.close(err_read)
        dummy, status = os.waitpid(pid, 0)
    assert not err, err.decode()
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, "exit status %r" % status
    return out.decode()


def parse_status(text):
    fields = {}
    for line in text.splitlines():
        key, dummy, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def own_status():
    with open("/proc/self/status") as handle:
        return parse_status(handle.read())


def masks(status):
    return dict((key, int(status[key], 16))
                for key in ("CapBnd", "CapEff", "CapPrm", "CapInh", "CapAmb"))


IDENTITY_CFG = {
    "user": {"uid": 1000, "gid": 1000, "additionalGids": [10, 20]},
    "capabilities": {
        "bounding": ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
        "permitted": ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
        "effective": ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
    },
}


def test_identity_and_capabilities(tmp_path):
    probe = tmp_path / "owned-by-root"
    probe.write_text("x")
    low_port = _free_low_port()

    def body(_report_fd):
        probe_fd = os.open(str(probe), os.O_RDONLY)  # opened as root: no path lookup later
        set_no_new_privileges()
        apply_identity(IDENTITY_CFG)
        status = own_status()
        # What the capability sets mean in practice: CAP_CHOWN is gone, and the
        # saved uid is not 0, so root cannot be regained.
        try:
            os.fchown(probe_fd, 1000, 1000)
            chown = "allowed"
        except OSError as exc:
            chown = errno.errorcode[exc.errno]
        try:
            os.setuid(0)
            setuid = "allowed"
        except OSError as exc:
            setuid = errno.errorcode[exc.errno]
        # CAP_NET_BIND_SERVICE is effective: a port below 1024 can be bound.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind(("127.0.0.1", low_port))
            bind = "allowed"
        except OSError as exc:
            bind = errno.errorcode.get(exc.errno, str(exc.errno))
        finally:
            sock.close()
        return {"status": status, "chown": chown, "setuid": setuid, "bind": bind}

    out = run_in_child(body)
    status = out["status"]
    assert status["Uid"].split() == ["1000"] * 4
    assert status["Gid"].split() == ["1000"] * 4
    assert status["Groups"].split() == ["10", "20"]
    assert masks(status) == {"CapBnd": CAP_KILL | CAP_NET_BIND_SERVICE,
                             "CapEff": CAP_KILL | CAP_NET_BIND_SERVICE,
                             "CapPrm": CAP_KILL | CAP_NET_BIND_SERVICE,
                             "CapInh": 0, "CapAmb": 0}
    assert status["NoNewPrivs"] == "1"
    assert out["chown"] == "EPERM"
    assert out["setuid"] == "EPERM"
    assert out["bind"] == "allowed"
    # the test process itself is untouched
    assert os.geteuid() == 0 and own_status()["NoNewPrivs"] == "0"


def _free_low_port():
    """A port below 1024 that nothing listens on (checked as root, before it matters)."""
    for port in range(900, 1000):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            sock.close()
    raise RuntimeError("no free port below 1000")


def test_ambient_capabilities_survive_exec_of_unprivileged_program():
    cfg = {
        "user": {"uid": 1000, "gid": 1000},
        "capabilities": {
            "bounding": ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
            "permitted": ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
            "effective": ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
            "inheritable": ["CAP_NET_BIND_SERVICE"],
            "ambient": ["CAP_NET_BIND_SERVICE"],
        },
    }
    out = run_program_in_child(lambda: apply_identity(cfg), ["/bin/cat", "/proc/self/status"])
    status = parse_status(out)
    assert status["Uid"].split() == ["1000"] * 4
    assert status["Groups"] == ""  # setgroups([]) removed root's groups
    # capabilities(7): after execve of a program without file caps a non-root
    # process keeps only its ambient set, in permitted and effective.
    assert masks(status) == {"CapBnd": CAP_KILL | CAP_NET_BIND_SERVICE,
                             "CapEff": CAP_NET_BIND_SERVICE,
                             "CapPrm": CAP_NET_BIND_SERVICE,
                             "CapInh": CAP_NET_BIND_SERVICE,
                             "CapAmb": CAP_NET_BIND_SERVICE}
    assert status["NoNewPrivs"] == "0"


def test_root_user_keeps_exactly_the_configured_caps():
    cfg = {"capabilities": {"bounding": ["CAP_CHOWN", "CAP_KILL"],
                            "permitted": ["CAP_CHOWN", "CAP_KILL"],
                            "effective": ["CAP_CHOWN"]}}
    status = run_in_child(lambda _fd: (apply_identity(cfg), own_status())[1])
    assert status["Uid"].split() == ["0"] * 4
    assert masks(status) == {"CapBnd": 0x21, "CapEff": 0x1, "CapPrm": 0x21,
                             "CapInh": 0, "CapAmb": 0}


@requires(hard_rlimits(CORE=resource.RLIM_INFINITY))
def test_rlimits_and_oom_score_adj():
    def body(_report_fd):
        apply_rlimits([{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1024},
                       {"type": "RLIMIT_CORE", "soft": 0, "hard": 2 ** 64 - 1},
                       {"type": "RLIMIT_LOCKS", "soft": 100, "hard": 200}])
        set_oom_score_adj(345)
        with open("/proc/self/oom_score_adj") as handle:
            oom = handle.read().strip()
        with open("/proc/self/limits") as handle:
            locks = [line for line in handle if line.startswith("Max file locks")][0].split()
        # without CAP_SYS_RESOURCE the hard limit can no longer be raised
        apply_identity({"user": {"uid": 1000, "gid": 1000}})
        try:
            apply_rlimits([{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 2048}])
            raise_error = None
        except SecurityError as exc:
            raise_error = str(exc)
        return {"nofile": resource.getrlimit(resource.RLIMIT_NOFILE),
                "core": resource.getrlimit(resource.RLIMIT_CORE),
                "locks": locks[3:5], "oom": oom, "raise_error": raise_error}

    out = run_in_child(body)
    assert out["nofile"] == [512, 1024]
    assert out["core"] == [0, resource.RLIM_INFINITY]
    assert out["locks"] == ["100", "200"]
    assert out["oom"] == "345"
    assert out["raise_error"].startswith("process.rlimits[0].type: setting RLIMIT_NOFILE")
    assert "needs CAP_SYS_RESOURCE" in out["raise_error"]


def _ensure_stdio():
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            os.dup2(os.open(os.devnull, os.O_RDWR), fd)


def _open_fds():
    limit = min(resource.getrlimit(resource.RLIMIT_NOFILE)[0], 65536)
    found = []
    for fd in range(limit):
        try:
            os.fstat(fd)
            found.append(fd)
        except OSError:
            pass
    return found


class _NoCloseRange(object):
    """A kernel before 5.9, to exercise the /proc/self/fd fallback for real."""

    def close_range(self, first, last=0, flags=0):
        raise SyscallError("close_range", errno.ENOSYS)


@pytest.mark.parametrize("syscalls", [None, _NoCloseRange()], ids=["close_range", "proc-fallback"])
def test_close_inherited_fds(tmp_path, syscalls):
    leaked = os.open(str(tmp_path), os.O_RDONLY | os.O_DIRECTORY)  # like runc's CVE-2024-21626 fd
    try:
        def body(report_fd):
            _ensure_stdio()
            extra = [os.open("/dev/null", os.O_RDONLY) for dummy in range(5)]
            hole = os.dup2(extra[0], 200)
            kept = [extra[2], hole, report_fd]
            method = close_inherited_fds(keep=kept, syscalls=syscalls)
            return {"open": _open_fds(), "kept": kept, "method": method}

        out = run_in_child(body)
        assert out["open"] == [0, 1, 2] + sorted(out["kept"])
        assert out["method"] == ("close_range" if syscalls is None else "fallback")
        os.fstat(leaked)  # only the child closed it
    finally:
        os.close(leaked)


def test_cloexec_mode_keeps_fds_until_exec(tmp_path):
    leaked = os.open(str(tmp_path), os.O_RDONLY | os.O_DIRECTORY)
    os.set_inheritable(leaked, True)
    try:
        state = {}

        def prepare():
            _ensure_stdio()
            state["kept"] = os.dup2(os.open("/dev/null", os.O_RDONLY), 150)  # dup2: inheritable
            close_inherited_fds(keep=[state["kept"]], cloexec=True)
            os.fstat(leaked)  # still usable by the init itself
        script = ("import os\n"
                  "fds = []\n"
                  "for fd in range(1024):\n"
                  "    try:\n"
                  "        os.fstat(fd)\n"
                  "        fds.append(fd)\n"
                  "    except OSError:\n"
                  "        pass\n"
                  "print(' '.join(map(str, fds)))\n")
        out = run_program_in_child(prepare, [sys.executable, "-S", "-c", script])
        assert out.split() == ["0", "1", "2", "150"]
    finally:
        os.close(leaked)


def test_hostname_domainname_and_sysctl_in_new_namespaces():
    host_name = os.uname()[1]
    with open("/proc/sys/kernel/shmmni") as handle:
        host_shmmni = handle.read().strip()
    new_shmmni = "1234" if host_shmmni != "1234" else "1235"

    def body(_report_fd):
        real().unshare(C.CLONE_NEWUTS | C.CLONE_NEWIPC)
        set_hostname("security-room")
        set_domainname("room.test")
        apply_sysctls({"kernel.shmmni": new_shmmni, "kernel/shm_rmid_forced": "1"})
        with open("/proc/sys/kernel/domainname") as handle:
            domain = handle.read().strip()
        with open("/proc/sys/kernel/shmmni") as handle:
            shmmni = handle.read().strip()
        with open("/proc/sys/kernel/shm_rmid_forced") as handle:
            rmid = handle.read().strip()
        try:
            apply_sysctls({"kernel.no_such_parameter": "1"})
            missing = None
        except SecurityError as exc:
            missing = str(exc)
        return {"hostname": os.uname()[1], "domain": domain, "shmmni": shmmni,
                "rmid": rmid, "missing": missing}

    out = run_in_child(body)
    assert out == {"hostname": "security-room", "domain": "room.test", "shmmni": new_shmmni,
                   "rmid": "1", "missing": out["missing"]}
    assert out["missing"].startswith("linux.sysctl.kernel.no_such_parameter:")
    assert os.uname()[1] == host_name
    with open("/proc/sys/kernel/shmmni") as handle:
        assert handle.read().strip() == host_shmmni


def test_umask_in_child():
    def body(_report_fd):
        apply_umask({"user": {"umask": 0o027}})
        path = "/proc/self/status"
        with open(path) as handle:
            return parse_status(handle.read())["Umask"]
    assert run_in_child(body) == "0027"
