# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""linux.mountLabel: the context="..." mount option, with recorded syscalls,
and the LSM check that accepts it only on a host with SELinux."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_rootfs_finalize import CGROUP_MOUNT, HIERARCHIES_V1  # noqa: E402
from test_rootfs_finalize import Recorder as TreeRecorder  # noqa: E402
# tree and env are fixtures, used by name as test arguments.
from test_rootfs_finalize import tree  # noqa: E402,F401  pylint: disable=unused-import
from test_rootfs_prepare import Recorder, env, typical_config  # noqa: E402,F401  pylint: disable=unused-import

from runtime.errors import SpecError, UnsupportedError  # noqa: E402
from runtime.rootfs import setup  # noqa: E402
from runtime.rootfs.mounts import labelled_data  # noqa: E402
from runtime.rootfs.options import format_mount_label, parse_mount_options  # noqa: E402
from runtime.security import lsm  # noqa: E402
from runtime.syscalls import consts as C  # noqa: E402

LABEL = "system_u:object_r:container_file_t:s0:c1,c2"
CONTEXT = 'context="%s"' % LABEL


@pytest.mark.parametrize("data,label,expect", [
    ("", "", ""),
    ("mode=755", "", "mode=755"),
    ("", LABEL, CONTEXT),
    ("mode=755,size=65536k", LABEL, "mode=755,size=65536k," + CONTEXT),
    (None, "", None),
    (None, LABEL, CONTEXT),
    # the mount entry's own context option wins over linux.mountLabel
    ('mode=755,context="a:b:c:s0"', LABEL, 'mode=755,context="a:b:c:s0"'),
    ("rootcontext=a:b:c:s0", LABEL, "rootcontext=a:b:c:s0"),
])
def test_format_mount_label(data, label, expect):
    assert format_mount_label(data, label) == expect


@pytest.mark.parametrize("fstype,options,expect", [
    ("tmpfs", ["mode=755"], "mode=755," + CONTEXT),
    ("mqueue", ["nosuid"], CONTEXT),
    ("proc", [], ""),
    ("sysfs", ["ro"], ""),
    ("tmpfs", ["remount", "ro", "size=1m"], "size=1m"),
])
def test_labelled_data(fstype, options, expect):
    assert labelled_data(fstype, parse_mount_options(options), LABEL) == expect


def _config(hostdir, label):
    config = typical_config(hostdir)
    config["mounts"].append({"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
                             "options": ["nosuid", "noexec", "nodev"]})
    config["mounts"].append({"destination": "/etc/conf.txt", "type": "none", "source": "conf.txt",
                             "options": ["bind", "ro"]})
    config["linux"]["mountLabel"] = label
    return config


def _data_by_target(calls):
    """The data of each mount(2) call but the propagation ones, by target."""
    found = {}
    for call in calls:
        found.setdefault(call[2], []).append(call[5])
    return found


def test_label_goes_to_filesystem_mounts_only(env):
    sc = Recorder(env["rootfs"])
    setup.prepare_rootfs(_config(env["hostdir"], LABEL), env["rootfs"], syscalls=sc)
    data = _data_by_target(sc.mounts())
    assert data["/dev"] == ["mode=755,size=65536k," + CONTEXT]
    assert data["/dev/pts"] == ["newinstance,ptmxmode=0666,mode=0620,gid=5," + CONTEXT]
    assert data["/dev/mqueue"] == [CONTEXT]
    # the kernel labels proc and sysfs itself; runc mounts them unlabelled
    assert data["/proc"] == [None]
    assert data["/sys"] == [None]
    # bind mounts (and their remounts) ignore the data: nothing is added
    assert all(value is None for value in data["/data"])
    assert all(value is None for value in data["/etc/conf.txt"])
    assert all(value is None for value in data[env["rootfs"]])


def test_without_a_label_the_data_is_unchanged(env):
    plain, empty = Recorder(env["rootfs"]), Recorder(env["rootfs"])
    config = _config(env["hostdir"], "")
    setup.prepare_rootfs(config, env["rootfs"], syscalls=empty)
    del config["linux"]["mountLabel"]
    setup.prepare_rootfs(config, env["rootfs"], syscalls=plain)
    assert empty.mounts() == plain.mounts()
    assert not any("context=" in (call[5] or "") for call in plain.mounts())
    assert _data_by_target(plain.mounts())["/dev/mqueue"] == [None]


def test_sysfs_fallback_bind_is_unlabelled(env):
    sc = Recorder(env["rootfs"], fail_when=lambda call: call[3] == "sysfs")
    config = {"mounts": [{"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["ro"]}],
              "linux": {"mountLabel": LABEL}}
    setup.prepare_rootfs(config, env["rootfs"], syscalls=sc)
    assert [c[5] for c in sc.mounts() if c[2] == "/sys"] == [None, None, None]  # sysfs, bind, remount


def test_cgroup_tmpfs_is_labelled_but_not_the_cgroup_mounts(tree):
    config = {"mounts": [CGROUP_MOUNT],
              "linux": {"namespaces": [{"type": "mount"}, {"type": "cgroup"}], "mountLabel": LABEL}}
    sc = TreeRecorder(tree)
    setup.prepare_rootfs(config, tree, cgroup_mounts=HIERARCHIES_V1, syscalls=sc)
    cgroup = [c for c in sc.mounts() if c[2].startswith("/sys/fs/cgroup")]
    assert cgroup[0][3] == "tmpfs" and cgroup[0][5] == "mode=755," + CONTEXT
    hierarchies = [c for c in cgroup if c[3] in ("cgroup", "cgroup2")]
    assert len(hierarchies) == 4
    assert not any("context=" in (c[5] or "") for c in hierarchies)
    # the read-only remount of the tmpfs keeps no data
    assert cgroup[-1][4] & C.MS_REMOUNT and cgroup[-1][5] is None


def test_cgroup2_mount_is_unlabelled(tree):
    config = {"mounts": [dict(CGROUP_MOUNT, options=["nosuid"])],
              "linux": {"namespaces": [{"type": "cgroup"}], "mountLabel": LABEL}}
    sc = TreeRecorder(tree)
    setup.prepare_rootfs(config, tree, cgroup_mounts=[HIERARCHIES_V1[-1]], syscalls=sc)
    assert [c for c in sc.mounts() if c[2] == "/sys/fs/cgroup"] == [
        ("mount", "cgroup2", "/sys/fs/cgroup", "cgroup2", C.MS_NOSUID, None)]


@pytest.mark.parametrize("label,expect", [(LABEL, CONTEXT), ("", None)])
def test_masked_directory_tmpfs(tree, label, expect):
    sc = TreeRecorder(tree)
    setup.finalize_in({"linux": {"maskedPaths": ["/proc/kcore", "/proc/scsi"], "mountLabel": label}}, tree, sc)
    assert sc.mounts() == [
        ("mount", "/dev/null", "/proc/kcore", "", C.MS_BIND, None),
        ("mount", "tmpfs", "/proc/scsi", "tmpfs", C.MS_RDONLY, expect),
    ]


def test_check_supported_with_selinux_accepts_the_label():
    lsm.check_supported({"linux": {"mountLabel": LABEL}}, apparmor=False, selinux=True)


def test_check_supported_without_selinux_names_the_field():
    with pytest.raises(UnsupportedError, match=r"linux\.mountLabel: .*SELinux is not enabled on this host"):
        lsm.check_supported({"linux": {"mountLabel": LABEL}}, apparmor=False, selinux=False)
    lsm.check_supported({"linux": {"mountLabel": ""}}, apparmor=False, selinux=False)


def test_check_supported_refuses_a_quote():
    with pytest.raises(SpecError, match=r"linux\.mountLabel: .*double quote"):
        lsm.check_supported({"linux": {"mountLabel": 'a"b'}}, selinux=True)
