# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An image rootfs: the overlay annotations and the mount the init makes instead of the rootfs bind."""
import pytest

from runtime.errors import SpecError
from runtime.rootfs import overlay, setup
from runtime.syscalls import consts as C

import test_rootfs_prepare

Recorder = test_rootfs_prepare.Recorder
env = test_rootfs_prepare.env   # the fixture: a rootfs, a mountinfo whose "/" is shared

P = overlay.PREFIX


def dirs(tmp_path, *names):
    out = []
    for name in names:
        (tmp_path / name).mkdir(parents=True, exist_ok=True)
        out.append(str(tmp_path / name))
    return out


def config_with(lower, upper, work, **extra):
    config = {"root": {"path": "rootfs"}, "annotations": {P + "lowerdir": ":".join(lower), P + "upperdir": upper,
                                                          P + "workdir": work}}
    config.update(extra)
    return config


def test_no_annotations_no_overlay():
    assert overlay.overlay_options({"annotations": {"x": "y"}}) is None


def test_options_string(tmp_path):
    l1, l2, up, wk = dirs(tmp_path, "l1", "l2", "up", "wk")
    assert overlay.overlay_options(config_with([l1, l2], up, wk)) == \
        "lowerdir=%s:%s,upperdir=%s,workdir=%s" % (l1, l2, up, wk)


@pytest.mark.parametrize("bad, message", [
    ("relative", "absolute"), ("/does/not/exist", "existing"), ("/tmp/a,b", "without"),
])
def test_bad_paths_name_the_annotation(tmp_path, bad, message):
    l1, up, wk = dirs(tmp_path, "l1", "up", "wk")
    with pytest.raises(SpecError, match=message) as info:
        overlay.overlay_options(config_with([l1], bad, wk))
    assert info.value.path == "annotations.%supperdir" % P


def test_missing_one_annotation(tmp_path):
    l1, = dirs(tmp_path, "l1")
    with pytest.raises(SpecError, match="required"):
        overlay.overlay_options({"annotations": {P + "lowerdir": l1}})


def test_refused_with_a_user_namespace(tmp_path):
    l1, up, wk = dirs(tmp_path, "l1", "up", "wk")
    with pytest.raises(SpecError, match="user namespace"):
        overlay.overlay_options(config_with([l1], up, wk, linux={"namespaces": [{"type": "user"}]}))


def test_too_many_layers_for_one_mount(tmp_path):
    lower = dirs(tmp_path, *["layer-%03d-%s" % (i, "x" * 60) for i in range(60)])
    up, wk = dirs(tmp_path, "up", "wk")
    with pytest.raises(SpecError, match="too many layers"):
        overlay.overlay_options(config_with(lower, up, wk))


def test_init_mounts_the_overlay_instead_of_binding_the_rootfs(env, tmp_path):  # noqa: F811
    l1, up, wk = dirs(tmp_path, "l1", "up", "wk")
    sc = Recorder(env["rootfs"])
    config = config_with([l1], up, wk, linux={"namespaces": [{"type": "mount"}]})
    setup.prepare_rootfs(config, env["rootfs"], syscalls=sc)
    rootfs = env["rootfs"]
    calls = sc.mounts()
    assert calls[:3] == [
        ("mount", "", "/", "", C.MS_SLAVE | C.MS_REC, None),      # nothing below reaches the host
        ("mount", "", "/", "", C.MS_PRIVATE, None),
        ("mount", "overlay", rootfs, "overlay", 0, "lowerdir=%s,upperdir=%s,workdir=%s" % (l1, up, wk)),
    ]
    assert not any(c[4] & C.MS_BIND and c[2] == rootfs for c in calls)
