# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""config.md "Mounts", "Root", config-linux.md maskedPaths/readonlyPaths and
mount propagation, seen from inside real containers."""
from __future__ import absolute_import, division, print_function

import os
import subprocess

import pytest

import itest_helpers as H
from host_features import host_content, requires


def run_ok(oci, config):
    result = oci.rt.run(oci.new_id(), oci.bundle(config))
    assert result.returncode == 0, result
    return result.stdout


def host_dir(oci, name, files=None):
    path = os.path.join(oci.tmp, name)
    os.makedirs(path)
    os.chmod(path, 0o777)
    for rel, text in (files or {}).items():
        with open(os.path.join(path, rel), "w") as handle:
            handle.write(text)
    return path


def mountinfo_line(stdout, mount_point):
    """The top-most (last) mountinfo entry of mount_point."""
    found = None
    for line in stdout.splitlines():
        fields = line.split()
        if len(fields) > 4 and fields[4] == mount_point:
            found = line
    return found


def test_bind_read_only(oci):
    src = host_dir(oci, "ro-src", {"data": "hello\n"})
    config = oci.config(["sh", "-c", "cat /mnt/a/data; touch /mnt/a/new 2>&1 || echo denied"])
    H.add_bind(config, src, "/mnt/a", ["bind", "ro"])
    out = run_ok(oci, config)
    assert out.startswith("hello\n")
    assert "Read-only file system" in out and out.rstrip().endswith("denied")
    assert not os.path.exists(os.path.join(src, "new"))


def test_bind_read_write(oci):
    src = host_dir(oci, "rw-src")
    config = oci.config(["sh", "-c", "echo written > /mnt/b/new"])
    H.add_bind(config, src, "/mnt/b", ["rbind", "rw"])
    run_ok(oci, config)
    with open(os.path.join(src, "new")) as handle:
        assert handle.read() == "written\n"


def test_bind_single_file(oci):
    src = os.path.join(oci.tmp, "single.txt")
    with open(src, "w") as handle:
        handle.write("one file\n")
    config = oci.config(["cat", "/mnt/single.txt"], rootfs=oci.private_rootfs())
    H.add_bind(config, src, "/mnt/single.txt", ["bind", "ro"])
    assert run_ok(oci, config) == "one file\n"


def test_tmpfs_size_and_mode(oci):
    config = oci.config(["sh", "-c", "stat -c %a /mnt/c; cat /proc/self/mountinfo"])
    config["mounts"].append({"destination": "/mnt/c", "type": "tmpfs", "source": "tmpfs",
                             "options": ["nosuid", "nodev", "size=1m", "mode=0710"]})
    out = run_ok(oci, config)
    mode, dummy, mountinfo = out.partition("\n")
    line = mountinfo_line(mountinfo, "/mnt/c")
    assert line and " tmpfs " in line, mountinfo
    assert "size=1024k" in line and "mode=710" in line
    if H.binary_is_ours():
        # runc 1.1 chmods the tmpfs root back to the mode of the directory
        # it covers; the spec's mode option should win.
        assert mode == "710"
    assert "nosuid" in line and "nodev" in line


def test_tmpfs_noexec(oci):
    config = oci.config(["sh", "-c", "cp /bin/busybox /mnt/c/bb && /mnt/c/bb true "
                                     "&& echo ran || echo refused"])
    config["mounts"].append({"destination": "/mnt/c", "type": "tmpfs", "source": "tmpfs",
                             "options": ["noexec", "size=8m"]})
    assert run_ok(oci, config).splitlines()[-1] == "refused"


@pytest.mark.parametrize("propagation,expect_seen", [("rslave", True), ("rprivate", False)])
def test_bind_propagation(oci, propagation, expect_seen):
    src = host_dir(oci, "shared-src")
    os.makedirs(os.path.join(src, "sub"))
    subprocess.run(["mount", "--bind", src, src], check=True, timeout=10)
    try:
        subprocess.run(["mount", "--make-shared", src], check=True, timeout=10)
        script = ("echo ready > /out/ready; while [ ! -e /out/go ]; do sleep 0.02; done; "
                  "if [ -e /mnt/a/sub/flag ]; then echo yes; else echo no; fi > /out/seen; "
                  "cat /proc/self/mountinfo > /out/mountinfo")
        config = oci.config(["sh", "-c", script])
        H.add_bind(config, src, "/mnt/a", ["rbind", propagation])
        cid = oci.new_id()
        oci.rt.create_started(cid, oci.bundle(config))
        H.wait_file(oci.out_file("ready"))
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs",
                        os.path.join(src, "sub")], check=True, timeout=10)
        open(os.path.join(src, "sub", "flag"), "w").close()
        open(oci.out_file("go"), "w").close()
        seen = H.wait_file(oci.out_file("seen")).strip()
        oci.rt.wait_status(cid, "stopped")
        line = mountinfo_line(H.wait_file(oci.out_file("mountinfo")), "/mnt/a")
        assert line, "no /mnt/a mount"
        assert seen == ("yes" if expect_seen else "no")
        assert ("master:" in line) == expect_seen, line
    finally:
        subprocess.run(["umount", "-l", os.path.join(src, "sub")], timeout=10,
                       stderr=subprocess.DEVNULL, check=False)
        subprocess.run(["umount", "-l", src], timeout=10, stderr=subprocess.DEVNULL, check=False)


@pytest.mark.parametrize("style", ["absolute", "relative"])
def test_symlink_mount_target_stays_in_rootfs(oci, style):
    target = host_dir(oci, "escape-target")
    rootfs = oci.private_rootfs()
    link_value = target if style == "absolute" else "../" * 20 + target.lstrip("/")
    os.symlink(link_value, os.path.join(rootfs, "mnt", "evil"))
    config = oci.config(["sh", "-c", "echo inside > /mnt/evil/marker; cat /proc/self/mountinfo"],
                        rootfs=rootfs)
    config["mounts"].append({"destination": "/mnt/evil", "type": "tmpfs", "source": "tmpfs",
                             "options": ["size=1m"]})
    out = run_ok(oci, config)
    assert os.listdir(target) == [], "mount escaped the rootfs to the host"
    line = mountinfo_line(out, target)
    assert line and " tmpfs " in line, "mount not inside the rootfs at %s:\n%s" % (target, out)


@requires(host_content("/sys/firmware", "/proc/keys"))
def test_masked_paths(oci):
    src = host_dir(oci, "masked-src", {"secret": "s3cret\n"})
    os.makedirs(os.path.join(src, "hidden-dir"))
    with open(os.path.join(src, "hidden-dir", "inner"), "w") as handle:
        handle.write("inner\n")
    config = oci.config(["sh", "-c", "wc -c < /proc/keys; wc -c < /mnt/b/secret; "
                                     "ls -A /sys/firmware | wc -l; ls -A /mnt/b/hidden-dir | wc -l; "
                                     "cat /mnt/b/visible"])
    with open(os.path.join(src, "visible"), "w") as handle:
        handle.write("visible\n")
    H.add_bind(config, src, "/mnt/b", ["bind", "ro"])
    config["linux"]["maskedPaths"] += ["/mnt/b/secret", "/mnt/b/hidden-dir"]
    # Masking must hide something that is there.
    assert os.listdir("/sys/firmware")
    with open("/proc/keys") as handle:
        assert handle.read()
    out = run_ok(oci, config).split()
    assert out[:4] == ["0", "0", "0", "0"]
    assert out[4] == "visible"


def test_readonly_paths(oci):
    src = host_dir(oci, "ro-path-src")
    config = oci.config(["sh", "-c", "touch /mnt/b/file 2>&1 || echo denied; "
                                     "cat /proc/self/mountinfo"])
    H.add_bind(config, src, "/mnt/b", ["bind", "rw"])
    config["linux"]["readonlyPaths"].append("/mnt/b")
    out = run_ok(oci, config)
    assert "Read-only file system" in out
    assert not os.path.exists(os.path.join(src, "file"))
    for point in ("/mnt/b", "/proc/sys"):
        line = mountinfo_line(out, point)
        assert line, point
        assert "ro" in line.split()[5].split(","), line


def test_root_readonly(oci):
    config = oci.config(["sh", "-c", "touch /newfile 2>&1 || echo denied; touch /tmp/ok && echo tmp-ok"])
    out = run_ok(oci, config)
    assert "Read-only file system" in out
    assert "denied" in out and "tmp-ok" in out
    assert not os.path.exists(os.path.join(oci.rootfs, "newfile"))


def test_root_writable(oci):
    rootfs = oci.private_rootfs()
    config = oci.config(["sh", "-c", "echo data > /newfile"], rootfs=rootfs, readonly=False)
    run_ok(oci, config)
    with open(os.path.join(rootfs, "newfile")) as handle:
        assert handle.read() == "data\n"


def test_proc_and_sys_mounted(oci):
    config = oci.config(["sh", "-c", "cat /proc/self/mountinfo"])
    out = run_ok(oci, config)
    proc = mountinfo_line(out, "/proc")
    sys_line = mountinfo_line(out, "/sys")
    assert proc and " proc " in proc
    assert sys_line and " sysfs " in sys_line
    assert "ro" in sys_line.split()[5].split(",")
    assert mountinfo_line(out, "/dev/pts") and mountinfo_line(out, "/dev/shm")


def test_rootfs_is_root_after_pivot(oci):
    # The host's files are not reachable: / is the busybox rootfs.
    config = oci.config(["sh", "-c", "ls /; test -e %s && echo host-visible || echo ok"
                         % os.path.dirname(oci.rootfs)])
    out = run_ok(oci, config)
    assert out.splitlines()[-1] == "ok"
    assert "bin" in out.split()
