# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""config-linux.md "Devices", "Default Devices", /dev symlinks and the
devices cgroup."""
from __future__ import absolute_import, division, print_function

import pytest

from host_features import cgroup_v1, requires

# config-linux.md "Default Devices": name -> (type, major, minor)
DEFAULT_DEVICES = {
    "/dev/null": ("c", 1, 3), "/dev/zero": ("c", 1, 5), "/dev/full": ("c", 1, 7),
    "/dev/random": ("c", 1, 8), "/dev/urandom": ("c", 1, 9), "/dev/tty": ("c", 5, 0),
}
DEV_SYMLINKS = {"/dev/fd": "/proc/self/fd", "/dev/stdin": "/proc/self/fd/0",
                "/dev/stdout": "/proc/self/fd/1", "/dev/stderr": "/proc/self/fd/2"}


def run_ok(oci, config):
    result = oci.rt.run(oci.new_id(), oci.bundle(config))
    assert result.returncode == 0, result
    return result.stdout


def parse_stat(out):
    """`stat -c '%n %F %t %T %a %u %g'` lines -> {name: (kind, major, minor, mode, uid, gid)}."""
    found = {}
    for line in out.splitlines():
        name, rest = line.split(" ", 1)
        parts = rest.rsplit(" ", 5)
        kind, major, minor, mode, uid, gid = parts
        found[name] = (kind, int(major, 16), int(minor, 16), mode, int(uid), int(gid))
    return found


def test_default_devices(oci):
    names = " ".join(sorted(DEFAULT_DEVICES))
    config = oci.config(["sh", "-c", "stat -c '%%n %%F %%t %%T %%a %%u %%g' %s" % names])
    found = parse_stat(run_ok(oci, config))
    for name, (kind, major, minor) in DEFAULT_DEVICES.items():
        assert name in found, name
        assert found[name][0] == "character special file", found[name]
        assert found[name][1:3] == (major, minor), name


def test_default_devices_usable(oci):
    config = oci.config(["sh", "-c", "echo x > /dev/null && head -c 5 /dev/zero | wc -c && "
                                     "head -c 7 /dev/urandom | wc -c && head -c 3 /dev/random | wc -c"])
    assert run_ok(oci, config).split() == ["5", "7", "3"]


def test_dev_symlinks(oci):
    names = " ".join(sorted(DEV_SYMLINKS))
    config = oci.config(["sh", "-c", "for l in %s; do echo $l $(readlink $l); done; "
                                     "test -e /dev/ptmx && echo ptmx-ok" % names])
    lines = run_ok(oci, config).splitlines()
    links = dict(line.split() for line in lines if line.startswith("/dev/"))
    assert links == DEV_SYMLINKS
    assert "ptmx-ok" in lines


def test_dev_pts_and_shm(oci):
    config = oci.config(["sh", "-c", "test -c /dev/pts/ptmx && echo pts; "
                                     "echo hi > /dev/shm/x && cat /dev/shm/x"])
    assert run_ok(oci, config).split() == ["pts", "hi"]


def test_config_device_node(oci):
    config = oci.config(["sh", "-c", "stat -c '%n %F %t %T %a %u %g' /dev/myurandom; "
                                     "head -c 4 /dev/myurandom | wc -c"])
    config["linux"]["devices"] = [{"path": "/dev/myurandom", "type": "c", "major": 1, "minor": 9,
                                   "fileMode": 0o640, "uid": 1000, "gid": 20}]
    # The owner (not root, which lacks CAP_DAC_OVERRIDE here) may read it.
    config["process"]["user"] = {"uid": 1000, "gid": 1000}
    out = run_ok(oci, config).splitlines()
    found = parse_stat(out[0])
    assert found["/dev/myurandom"] == ("character special file", 1, 9, "640", 1000, 20)
    assert out[1].strip() == "4"


def test_device_in_subdirectory(oci):
    config = oci.config(["stat", "-c", "%n %F %t %T %a %u %g", "/dev/sub/dir/zero2"])
    config["linux"]["devices"] = [{"path": "/dev/sub/dir/zero2", "type": "c", "major": 1,
                                   "minor": 5, "fileMode": 0o666}]
    found = parse_stat(run_ok(oci, config))
    assert found["/dev/sub/dir/zero2"][:4] == ("character special file", 1, 5, "666")


@pytest.mark.parametrize("allowed", [False, True])
def test_devices_cgroup(oci, allowed):
    # c 1:200 has no driver: when the devices cgroup lets the open through
    # the kernel answers ENXIO, when the cgroup denies it the answer is
    # EPERM before any driver is looked up.
    config = oci.config(["sh", "-c", "head -c 1 /dev/phantom; echo end"])
    config["linux"]["devices"] = [{"path": "/dev/phantom", "type": "c", "major": 1,
                                   "minor": 200, "fileMode": 0o666}]
    if allowed:
        config["linux"]["resources"]["devices"].append(
            {"allow": True, "type": "c", "major": 1, "minor": 200, "access": "rw"})
    result = oci.rt.run(oci.new_id(), oci.bundle(config))
    assert result.returncode == 0, result
    if allowed:
        assert "No such device or address" in result.stderr, result
    else:
        assert "Operation not permitted" in result.stderr, result


@requires(cgroup_v1("devices"))
def test_devices_cgroup_host_files(oci):
    config = oci.config(["sleep", "30"])
    config["linux"]["resources"]["devices"].append(
        {"allow": True, "type": "c", "major": 1, "minor": 200, "access": "r"})
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(config))
    with open(oci.cgroup_dir(config, "devices") + "/devices.list") as handle:
        rules = handle.read().split("\n")
    assert "c 1:200 r" in rules
    assert "a *:* rwm" not in rules
    # Default devices stay usable (runtime-spec "Default Devices").
    for rule in ("c 1:3 rwm", "c 1:9 rwm", "c 5:0 rwm"):
        assert rule in rules, rules
