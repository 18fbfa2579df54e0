# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""User namespaces (linux.uidMappings/gidMappings), time namespaces
(linux.timeOffsets), linux.personality and LSM fields with real containers."""
from __future__ import absolute_import, division, print_function

import os
import platform
import subprocess

import pytest

import itest_helpers as H
from host_features import lsm, namespace, no_lsm, requires, user_namespaces

HOST_ID = 100000
SIZE = 65536


@pytest.fixture
def searchable(oci):
    """Path lookups in a user namespace are made as the mapped root: let it reach the test's
    directory (pytest makes its base directories 0700), as a real rootfs's parents must be."""
    changed = []
    path = oci.tmp
    while path not in ("/", "/tmp"):
        mode = os.stat(path).st_mode & 0o7777
        if mode & 0o001 == 0:
            os.chmod(path, mode | 0o001)
            changed.append((path, mode))
        path = os.path.dirname(path)
    yield
    for path, mode in changed:
        os.chmod(path, mode)


def userns_config(oci, args):
    rootfs = oci.private_rootfs()
    # A rootfs owned by the mapped ids, as the user provides it.
    subprocess.run(["chown", "-R", "%d:%d" % (HOST_ID, HOST_ID), rootfs], check=True, timeout=60)
    config = oci.config(args, rootfs=rootfs)
    H.set_namespace(config, "user")
    config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": HOST_ID, "size": SIZE}]
    config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": HOST_ID, "size": SIZE}]
    return config


def run_out(oci, config, name="out"):
    result = oci.rt.run(oci.new_id(), oci.bundle(config))
    assert result.returncode == 0, result
    with open(oci.out_file(name)) as handle:
        return handle.read()


@requires(user_namespaces())
def test_uid_mapping_seen_from_inside(oci, searchable):
    config = userns_config(oci, ["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups > /out/out;"
                                 " id -u >> /out/out; id -g >> /out/out; touch /out/made"])
    lines = [line.split() for line in run_out(oci, config).splitlines()]
    assert lines[0] == ["0", str(HOST_ID), str(SIZE)]
    assert lines[1] == ["0", str(HOST_ID), str(SIZE)]
    assert lines[2] == ["allow"]  # written by root: setgroups(2) stays allowed
    assert lines[3] == ["0"] and lines[4] == ["0"]
    made = os.stat(oci.out_file("made"))
    assert (made.st_uid, made.st_gid) == (HOST_ID, HOST_ID)


@requires(user_namespaces())
def test_host_sees_mapped_ids_and_exec_joins_the_user_namespace(oci, searchable):
    config = userns_config(oci, ["sleep", "1000"])
    container_id = oci.new_id()
    state = oci.rt.create_started(container_id, oci.bundle(config))
    pid = state["pid"]
    assert H.proc_status_field(pid, "Uid").split()[0] == str(HOST_ID)
    assert os.readlink("/proc/%d/ns/user" % pid) != os.readlink("/proc/self/ns/user")
    result = oci.rt.cmd("exec", container_id, "sh", "-c",
                        "id -u; readlink /proc/self/ns/user; readlink /proc/1/ns/user; cat /proc/1/cmdline")
    assert result.returncode == 0, result
    lines = result.stdout.splitlines()
    assert lines[0] == "0"
    assert lines[1] == lines[2]
    assert lines[3] == "sleep\x001000\x00"
    # A non-root user of the container is host id HOST_ID + 1000.
    result = oci.rt.cmd("exec", "--user", "1000:1000", container_id, "sh", "-c", "id -u; cat /proc/self/uid_map")
    assert result.returncode == 0, result
    assert result.stdout.splitlines()[0] == "1000"


@requires(user_namespaces())
def test_additional_gids_work_in_the_user_namespace(oci, searchable):
    config = userns_config(oci, ["sh", "-c", "id -G > /out/out"])
    config["process"]["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [10, 20]}
    assert sorted(run_out(oci, config).split()) == ["10", "1000", "20"]


@requires(user_namespaces())
def test_unmapped_root_fails_clearly(oci, searchable):
    config = userns_config(oci, ["true"])
    config["linux"]["uidMappings"] = [{"containerID": 1, "hostID": HOST_ID, "size": 10}]
    result = oci.rt.run(oci.new_id(), oci.bundle(config))
    assert result.returncode != 0
    assert "uidMappings" in result.stderr, result


@requires(namespace("time"))
def test_time_offsets(oci):
    config = oci.config(["sh", "-c", "cat /proc/uptime > /out/out; cat /proc/self/timens_offsets >> /out/out"])
    H.set_namespace(config, "time")
    config["linux"]["timeOffsets"] = {"boottime": {"secs": 86400 * 365, "nanosecs": 0},
                                      "monotonic": {"secs": 3600, "nanosecs": 5}}
    lines = run_out(oci, config).splitlines()
    assert float(lines[0].split()[0]) > 86400 * 365
    assert ["monotonic", "3600", "5"] in [line.split() for line in lines[1:]]


@pytest.mark.skipif(platform.machine() != "x86_64", reason="LINUX32 maps x86_64 to i686 only on x86")
def test_personality_linux32(oci):
    config = oci.config(["sh", "-c", "uname -m > /out/out"])
    config["linux"]["personality"] = {"domain": "LINUX32"}
    assert run_out(oci, config).strip() == "i686"
    config = oci.config(["sleep", "1000"])
    config["linux"]["personality"] = {"domain": "LINUX32"}
    container_id = oci.new_id()
    oci.rt.create_started(container_id, oci.bundle(config))
    result = oci.rt.cmd("exec", container_id, "uname", "-m")
    assert result.stdout.strip() == "i686", result


# The runtime's own test (security/lsm.py) is AppArmor's module parameter; the check here
# also counts a mounted securityfs apparmor dir, so neither view of the host sees an LSM.
@requires(no_lsm("apparmor", "selinux"))
@pytest.mark.parametrize("section,key", [("process", "apparmorProfile"), ("process", "selinuxLabel"),
                                         ("linux", "mountLabel")])
def test_lsm_fields_without_the_lsm(oci, section, key):
    config = oci.config(["sh", "-c", "echo ran > /out/out"])
    config[section][key] = "some_label"
    result = oci.rt.run(oci.new_id(), oci.bundle(config))
    assert result.returncode != 0
    assert key in result.stderr and "not enabled on this host" in result.stderr, result
    assert not os.path.exists(oci.out_file("out"))
    # config.md: an empty value means no label, accepted anywhere.
    config[section][key] = ""
    assert run_out(oci, config) == "ran\n"


@requires(lsm("selinux"))
def test_mount_label_with_selinux(oci):
    # A label the host's policy knows: the one of the test's own directory.
    label = os.getxattr(oci.tmp, "security.selinux").rstrip(b"\0").decode()
    config = oci.config(["sh", "-c", "cat /proc/self/mountinfo > /out/out"])
    config["linux"]["mountLabel"] = label
    lines = {}
    for line in run_out(oci, config).splitlines():
        fields = line.split()
        lines[fields[4]] = line  # the top-most mount of each mount point
    # SELinux shows the context= option among the super block options.
    for mount_point in ("/dev", "/dev/pts", "/dev/shm", "/dev/mqueue"):
        assert "context=" in lines[mount_point] and label.split(":")[2] in lines[mount_point], lines[mount_point]
    for mount_point in ("/proc", "/sys"):
        assert "context=" not in lines[mount_point], lines[mount_point]


@requires(namespace("time"))
def test_exec_joins_the_time_namespace(oci):
    config = oci.config(["sleep", "1000"])
    H.set_namespace(config, "time")
    config["linux"]["timeOffsets"] = {"boottime": {"secs": 86400 * 365, "nanosecs": 0}}
    container_id = oci.new_id()
    oci.rt.create_started(container_id, oci.bundle(config))
    result = oci.rt.cmd("exec", container_id, "cat", "/proc/uptime")
    assert result.returncode == 0, result
    assert float(result.stdout.split()[0]) > 86400 * 365
