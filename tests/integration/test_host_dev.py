# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A container's /dev that is the host's own: nothing created, replaced or re-owned there.

In a new mount namespace the container's /dev may still be the host's:
root.path "/" without a tmpfs on /dev, or the host's /dev bound into the
rootfs. Mount namespaces separate mount tables, not files, so a mknod,
unlink or chown there would change the host for every process on it
(rootfs/hostdev.py). Each test compares the host's mount table, /dev and the
owner and mode of /dev/null, /dev/zero and /dev/tty before and after.
"""
from __future__ import absolute_import, division, print_function

import os

import pytest

import itest_helpers as H
from hostview import HostView

pytestmark = pytest.mark.ours  # runc replaces and chowns the host's node here


def hosts_root_config(oci, args):
    """root.path "/" in a new mount namespace, the host's /dev not covered by a tmpfs."""
    config = oci.config(args, out=False, rootfs="/")
    config["root"]["readonly"] = False
    config["mounts"] = [m for m in config["mounts"] if not m["destination"].startswith("/dev")]
    return config


def hosts_dev_config(oci, args):
    """The busybox rootfs in a new mount namespace, with the host's /dev bound at /dev."""
    config = oci.config(args, out=False)
    config["mounts"] = [m for m in config["mounts"] if not m["destination"].startswith("/dev")]
    H.add_bind(config, "/dev", "/dev", ["rbind", "rw"])
    return config


def test_hosts_root_in_a_new_mount_namespace_leaves_dev_alone(oci):
    """root.path "/": pivot_root(2) refuses it (EBUSY), after the rootfs was prepared; the host is as before."""
    host = HostView([oci.tmp])
    config = hosts_root_config(oci, ["true"])
    cid = oci.new_id()
    H.assert_fails(oci.rt.create(cid, oci.bundle(config)), "pivot_root", "runtime's own root")
    oci.rt.delete(cid, force=True)
    host.assert_unchanged()


def test_hosts_dev_bound_into_the_container_is_left_alone(oci):
    host = HostView([oci.tmp, oci.rootfs])
    config = hosts_dev_config(oci, ["sh", "-c", "ls -ln /dev/null /dev/zero /dev/tty && echo x > /dev/null"])
    result = oci.rt.run(oci.new_id(), oci.bundle(config))
    assert result.returncode == 0, result
    host.assert_unchanged()


DEVICES_THE_HOST_DOES_NOT_HAVE_AS_ASKED = [
    {"path": "/dev/null", "type": "c", "major": 1, "minor": 3, "uid": 1000, "gid": 1000},
    {"path": "/dev/null", "type": "c", "major": 1, "minor": 3, "fileMode": 0o600},
    {"path": "/dev/zero", "type": "c", "major": 1, "minor": 3},
    {"path": "/dev/tty", "type": "b", "major": 5, "minor": 0},
    {"path": "/dev/oci-test-new-node", "type": "c", "major": 1, "minor": 3},
    {"path": "/dev/net/oci-test-tun", "type": "c", "major": 10, "minor": 200},
]


@pytest.mark.parametrize("device", DEVICES_THE_HOST_DOES_NOT_HAVE_AS_ASKED)
@pytest.mark.parametrize("how", ["root.path /", "bind of /dev"])
def test_linux_devices_never_change_the_hosts_dev(oci, device, how):
    host = HostView([oci.tmp, oci.rootfs])
    config = (hosts_root_config if how == "root.path /" else hosts_dev_config)(oci, ["true"])
    config["linux"]["devices"] = [device]
    cid = oci.new_id()
    H.assert_fails(oci.rt.create(cid, oci.bundle(config)), "linux.devices[0]", "host's /dev")
    host.assert_unchanged()
    assert not os.path.lexists("/dev/oci-test-new-node")
    assert not os.path.lexists("/dev/net/oci-test-tun")


def test_linux_devices_matching_the_hosts_node_are_fine(oci):
    host = HostView([oci.tmp, oci.rootfs])
    config = hosts_dev_config(oci, ["true"])
    config["linux"]["devices"] = [{"path": "/dev/null", "type": "c", "major": 1, "minor": 3, "fileMode": 0o666,
                                   "uid": 0, "gid": 0}]
    result = oci.rt.run(oci.new_id(), oci.bundle(config))
    assert result.returncode == 0, result
    host.assert_unchanged()


@pytest.mark.parametrize("how", ["root.path /", "bind of /dev"])
def test_mount_points_are_not_created_in_the_hosts_dev(oci, how):
    host = HostView([oci.tmp, oci.rootfs])
    config = (hosts_root_config if how == "root.path /" else hosts_dev_config)(oci, ["true"])
    config["mounts"].append({"destination": "/dev/oci-test-mqueue", "type": "mqueue", "source": "mqueue"})
    cid = oci.new_id()
    H.assert_fails(oci.rt.create(cid, oci.bundle(config)), "mounts[", "host's /dev")
    host.assert_unchanged()
    assert not os.path.lexists("/dev/oci-test-mqueue")


def test_terminal_over_the_hosts_dev_leaves_its_console(oci):
    """process.terminal binds the pty over /dev/console: in the host's /dev only over its node, in the container."""
    host = HostView([oci.tmp, oci.rootfs])
    config = hosts_dev_config(oci, ["sh", "-c", "tty; grep -c ' /dev/console ' /proc/self/mountinfo"])
    config["process"]["terminal"] = True
    result = oci.rt.run(oci.new_id(), oci.bundle(config), input="")
    assert result.returncode == 0, result
    lines = result.stdout.split()
    assert lines[0].startswith("/dev/pts/") and lines[1] == "1", result
    host.assert_unchanged()


@pytest.mark.parametrize("destination", ["/dev", "/dev/shm"])
def test_a_remount_of_the_hosts_dev_is_refused(oci, destination):
    """A remount without bind would make the host's devtmpfs (or /dev/shm) read-only for the whole host."""
    host = HostView([oci.tmp, oci.rootfs])
    config = hosts_dev_config(oci, ["true"])
    config["mounts"].append({"destination": destination, "options": ["remount", "ro"]})
    cid = oci.new_id()
    H.assert_fails(oci.rt.create(cid, oci.bundle(config)), "mounts[", "remount without")
    host.assert_unchanged()
    assert os.access("/dev/shm", os.W_OK)


def test_a_bind_remount_of_the_hosts_dev_is_the_containers_alone(oci):
    host = HostView([oci.tmp, oci.rootfs])
    config = hosts_dev_config(oci, ["sh", "-c", "touch /dev/shm/oci-test-x 2>/dev/null && echo rw || echo ro"])
    config["mounts"].append({"destination": "/dev/shm", "source": "/dev/shm", "options": ["bind", "remount", "ro"]})
    result = oci.rt.run(oci.new_id(), oci.bundle(config))
    assert result.returncode == 0, result
    assert result.stdout.split()[-1] == "ro"
    host.assert_unchanged()
    assert not os.path.exists("/dev/shm/oci-test-x")


def test_file_systems_below_the_hosts_dev_are_the_hosts_too(oci):
    """/dev/shm, /dev/pts... come along with a bind of the host's /dev: nothing is made in them either."""
    host = HostView([oci.tmp, oci.rootfs])
    shm = sorted(os.listdir("/dev/shm"))
    config = hosts_dev_config(oci, ["true"])
    config["linux"]["devices"] = [{"path": "/dev/shm/oci-test-fifo", "type": "p"}]
    H.assert_fails(oci.rt.create(oci.new_id(), oci.bundle(config)), "linux.devices[0]", "host's /dev")
    config = hosts_dev_config(oci, ["true"])
    config["mounts"].append({"destination": "/dev/shm/oci-test-dir", "type": "tmpfs", "source": "tmpfs"})
    H.assert_fails(oci.rt.create(oci.new_id(), oci.bundle(config)), "mounts[", "host's /dev")
    assert sorted(os.listdir("/dev/shm")) == shm
    host.assert_unchanged()
