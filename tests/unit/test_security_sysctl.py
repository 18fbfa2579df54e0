# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
import os

import pytest

from runtime.errors import SecurityError
from runtime.security.sysctl import apply_sysctls, check_sysctl_namespaces, sysctl_path
from runtime.security.sysctl import required_namespace


@pytest.mark.parametrize("key, path", [
    ("net.ipv4.ip_forward", "/proc/sys/net/ipv4/ip_forward"),
    ("kernel.shmmax", "/proc/sys/kernel/shmmax"),
    ("net/ipv4/conf/eth0.100/forwarding", "/proc/sys/net/ipv4/conf/eth0.100/forwarding"),
])
def test_key_to_path(key, path):
    assert sysctl_path(key) == path


@pytest.mark.parametrize("key", ["", "net..ipv4", "net.ipv4.", "../../etc/passwd",
                                 "net/../../etc", "/net/ipv4", ".net"])
def test_bad_keys(key):
    with pytest.raises(SecurityError, match=r"linux\.sysctl\."):
        sysctl_path(key)


def _proc(tmp_path, *files):
    for rel in files:
        path = tmp_path / "sys" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("0\n")
    return str(tmp_path)


def test_apply_writes_each_value(tmp_path):
    root = _proc(tmp_path, "net/ipv4/ip_forward", "kernel/shmmax", "net/ipv4/conf/eth0.100/forwarding")
    apply_sysctls({"net.ipv4.ip_forward": "1", "kernel.shmmax": "65536",
                   "net/ipv4/conf/eth0.100/forwarding": "1"}, proc_root=root)
    assert (tmp_path / "sys/net/ipv4/ip_forward").read_text() == "1"
    assert (tmp_path / "sys/kernel/shmmax").read_text() == "65536"
    assert (tmp_path / "sys/net/ipv4/conf/eth0.100/forwarding").read_text() == "1"


def test_unknown_sysctl_is_an_error_and_creates_nothing(tmp_path):
    root = _proc(tmp_path, "net/ipv4/ip_forward")
    with pytest.raises(SecurityError) as info:
        apply_sysctls({"net.ipv4.nope": "1"}, proc_root=root)
    assert str(info.value).startswith("linux.sysctl.net.ipv4.nope:")
    assert "no such parameter" in str(info.value)
    assert not os.path.exists(str(tmp_path / "sys/net/ipv4/nope"))


def test_value_must_be_string(tmp_path):
    root = _proc(tmp_path, "kernel/shmmax")
    with pytest.raises(SecurityError, match=r"linux\.sysctl\.kernel\.shmmax: value must be a string"):
        apply_sysctls({"kernel.shmmax": 5}, proc_root=root)


def test_symlinked_leaf_is_refused(tmp_path):
    root = _proc(tmp_path, "kernel/other")
    target = tmp_path / "outside"
    target.write_text("keep")
    os.symlink(str(target), str(tmp_path / "sys/kernel/shmmax"))
    with pytest.raises(SecurityError, match=r"linux\.sysctl\.kernel\.shmmax"):
        apply_sysctls({"kernel.shmmax": "1"}, proc_root=root)
    assert target.read_text() == "keep"


def test_required_namespaces():
    assert required_namespace("kernel.sem") == "ipc"
    assert required_namespace("fs.mqueue.msg_max") == "ipc"
    assert required_namespace("net.core.somaxconn") == "network"
    assert required_namespace("kernel.hostname") == "uts"
    assert required_namespace("vm.swappiness") is None


def test_check_sysctl_namespaces():
    check_sysctl_namespaces({"net.ipv4.ip_forward": "1", "kernel.shmmax": "1"}, ["network", "ipc"])
    with pytest.raises(SecurityError, match=r"linux\.sysctl\.net\.ipv4\.ip_forward: needs .* network"):
        check_sysctl_namespaces({"net.ipv4.ip_forward": "1"}, ["ipc", "mount"])
    with pytest.raises(SecurityError, match=r"linux\.sysctl\.vm\.swappiness: not a namespaced"):
        check_sysctl_namespaces({"vm.swappiness": "1"}, ["network", "ipc", "uts"])
