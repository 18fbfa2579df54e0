# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""config-linux.md "Namespaces", hostname/domainname and sysctl."""
from __future__ import absolute_import, division, print_function

import os
import socket

import itest_helpers as H

NS_FILES = ["mnt", "pid", "net", "ipc", "uts", "cgroup"]


def run_ok(oci, config):
    result = oci.rt.run(oci.new_id(), oci.bundle(config))
    assert result.returncode == 0, result
    return result.stdout


def read_ns_script():
    return "; ".join("echo %s $(readlink /proc/self/ns/%s)" % (ns, ns) for ns in NS_FILES)


def parse_pairs(out):
    return dict(line.split(" ", 1) for line in out.splitlines() if line.strip())


def test_hostname_and_domainname(oci):
    host_before = socket.gethostname()
    config = oci.config(["sh", "-c", "hostname; cat /proc/sys/kernel/domainname"])
    config["hostname"] = "box-one"
    config["domainname"] = "example.test"
    hostname, domainname = run_ok(oci, config).split()
    assert hostname == "box-one"
    if H.binary_is_ours():
        # runc 1.1 ignores domainname (supported from runc 1.2).
        assert domainname == "example.test"
    assert socket.gethostname() == host_before


def test_private_pid_namespace(oci):
    config = oci.config(["sh", "-c", "echo $$; ls /proc | grep -c '^[0-9]'"])
    pid, count = run_ok(oci, config).split()
    assert pid == "1"
    # sh, ls and grep at most (plus maybe a subshell).
    assert int(count) <= 4


def test_private_network_has_only_loopback(oci):
    config = oci.config(["ls", "/sys/class/net"])
    assert run_ok(oci, config).split() == ["lo"]


def test_namespaces_differ_from_host(oci):
    config = oci.config(["sh", "-c", read_ns_script()])
    H.set_namespace(config, "cgroup")
    inside = parse_pairs(run_ok(oci, config))
    for ns in NS_FILES:
        assert inside[ns] != os.readlink("/proc/self/ns/%s" % ns), ns


def test_missing_namespace_shares_host(oci):
    config = oci.config(["sh", "-c", read_ns_script()])
    for ns_type in ("network", "ipc", "uts"):
        H.remove_namespace(config, ns_type)
    del config["hostname"]
    inside = parse_pairs(run_ok(oci, config))
    for ns in ("net", "ipc", "uts"):
        assert inside[ns] == os.readlink("/proc/self/ns/%s" % ns), ns
    assert inside["pid"] != os.readlink("/proc/self/ns/pid")


def test_cgroup_namespace_root(oci):
    config = oci.config(["cat", "/proc/self/cgroup"])
    H.set_namespace(config, "cgroup")
    lines = run_ok(oci, config).splitlines()
    assert lines
    for line in lines:
        assert line.split(":", 2)[2] == "/", line


def test_join_namespaces_by_path(oci):
    first_config = oci.config(["sleep", "30"])
    first_config["hostname"] = "shared-uts"
    first = oci.new_id()
    first_pid = oci.rt.create_started(first, oci.bundle(first_config))["pid"]

    second_config = oci.config(["sh", "-c", "hostname; " + read_ns_script()])
    del second_config["hostname"]
    H.set_namespace(second_config, "network", "/proc/%d/ns/net" % first_pid)
    H.set_namespace(second_config, "uts", "/proc/%d/ns/uts" % first_pid)
    out = run_ok(oci, second_config).splitlines()
    assert out[0] == "shared-uts"
    inside = parse_pairs("\n".join(out[1:]))
    assert inside["net"] == os.readlink("/proc/%d/ns/net" % first_pid)
    assert inside["uts"] == os.readlink("/proc/%d/ns/uts" % first_pid)
    assert inside["pid"] != os.readlink("/proc/%d/ns/pid" % first_pid)
    assert inside["ipc"] != os.readlink("/proc/%d/ns/ipc" % first_pid)
    assert oci.rt.status(first) == "running"


def test_join_missing_namespace_path_fails(oci):
    config = oci.config(["true"])
    H.set_namespace(config, "network", "/proc/999999999/ns/net")
    cid = oci.new_id()
    H.assert_fails(oci.rt.create(cid, oci.bundle(config)), "/proc/999999999/ns/net")
    assert not oci.rt.state_result(cid).ok


def test_sysctl_in_new_netns(oci):
    with open("/proc/sys/net/ipv4/ip_forward") as handle:
        host_value = handle.read()
    new_value = "0" if host_value.strip() == "1" else "1"
    config = oci.config(["cat", "/proc/sys/net/ipv4/ip_forward"])
    config["linux"]["sysctl"] = {"net.ipv4.ip_forward": new_value}
    assert run_ok(oci, config).strip() == new_value
    with open("/proc/sys/net/ipv4/ip_forward") as handle:
        assert handle.read() == host_value


def test_net_sysctl_without_netns_rejected(oci):
    config = oci.config(["true"])
    H.remove_namespace(config, "network")
    config["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}
    with open("/proc/sys/net/ipv4/ip_forward") as handle:
        host_value = handle.read()
    cid = oci.new_id()
    H.assert_fails(oci.rt.create(cid, oci.bundle(config)), "net.ipv4.ip_forward")
    with open("/proc/sys/net/ipv4/ip_forward") as handle:
        assert handle.read() == host_value
    assert H.cgroup_dirs_under(config["linux"]["cgroupsPath"]) == {}


def test_hostname_without_uts_namespace_rejected(oci):
    config = oci.config(["true"])
    H.remove_namespace(config, "uts")
    config["hostname"] = "must-not-change-host"
    host_before = socket.gethostname()
    cid = oci.new_id()
    H.assert_fails(oci.rt.create(cid, oci.bundle(config)), "hostname")
    assert socket.gethostname() == host_before
