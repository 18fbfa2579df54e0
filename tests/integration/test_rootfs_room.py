# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rootfs room against the real kernel (root).

A forked child unshares a mount namespace, runs prepare_rootfs, pivot_root
and finalize_rootfs on a tiny busybox rootfs and reports what it sees from
inside (stat of device nodes, its mountinfo, EROFS on read-only places)
through a pipe; the parent asserts. Everything is mounted in the child's
namespace, which dies with it; the parent still checks that the host's
mount table did not change and detaches anything that leaked before the
temporary directory is removed.
"""
from __future__ import absolute_import, division, print_function

import errno
import json
import os
import select
import shutil
import signal
import stat
import traceback

import pytest

from runtime.rootfs import devices, mountinfo, securejoin, setup
from runtime.syscalls import consts as C
from runtime.syscalls.host import real

from host_features import char_device, namespace, requires, user_namespaces

pytestmark = [
    pytest.mark.ours,
    pytest.mark.skipif(os.geteuid() != 0, reason="mounts and pivot_root need root"),
]

BUSYBOX = "/bin/busybox"
CHILD_TIMEOUT = 60
# A cgroup directory the container tries (and must fail) to create; unique so
# that the cleanup can find and remove it on the host if the test fails.
CGROUP_PROBE = "rootfs-room-probe-%d" % os.getpid()
# The masked file: /proc/kcore where the kernel has one (CONFIG_PROC_KCORE).
MASKED_FILE = next((p for p in ("/proc/kcore", "/proc/keys", "/proc/timer_list")
                    if os.path.exists(p)), "/proc/kcore")


def _write(path, text):
    with open(path, "w") as handle:
        handle.write(text)


def _host_mounts():
    return [(m.mount_point, m.fstype, m.source, tuple(m.optional))
            for m in mountinfo.read_mounts("/proc/self/mountinfo")]


@pytest.fixture
def world(tmp_path):
    """rootfs + host dirs; the finalizer refuses to leave host mounts behind."""
    if not os.path.isfile(BUSYBOX):
        pytest.skip("%s is missing (install busybox-static)" % BUSYBOX)
    base = os.path.realpath(str(tmp_path))
    rootfs = os.path.join(base, "bundle", "rootfs")
    for d in ("bin", "proc", "sys", "dev", "etc", "tmp"):
        os.makedirs(os.path.join(rootfs, d))
    shutil.copy2(BUSYBOX, os.path.join(rootfs, "bin", "busybox"))
    for applet in ("sh", "cat", "ls", "touch"):
        os.symlink("busybox", os.path.join(rootfs, "bin", applet))
    # An absolute symlink to the host's /etc used as a mount target.
    os.symlink("/etc", os.path.join(rootfs, "hostetc"))
    world = {"base": base, "rootfs": rootfs}
    for name in ("data", "locked", "etc_src"):  # variant C mounts a locked tmpfs on "locked"
        world[name] = os.path.join(base, name)
        os.makedirs(world[name])
    _write(os.path.join(world["data"], "marker"), "hello from the host")
    _write(os.path.join(world["etc_src"], "rootfs-room-marker"), "landed inside")
    _write(os.path.join(world["etc_src"], "secret"), "host secret")
    world["before"] = _host_mounts()
    yield world
    # Detach leaks first: pytest later deletes tmp_path, which must not
    # reach through a mount into the host's files.
    leaked = sorted({m[0] for m in _host_mounts() if m[0].startswith(base + "/")},
                    key=len, reverse=True)
    for point in leaked:
        try:
            real().umount2(point, C.MNT_DETACH)
        except Exception:  # noqa: BLE001 - keep detaching the others
            pass
    probes = _remove_cgroup_probes()
    assert not leaked, "host mounts leaked under %s: %s" % (base, leaked)
    assert not probes, "the container created cgroups on the host: %s" % probes


def _remove_cgroup_probes():
    found = []
    for m in mountinfo.read_mounts("/proc/self/mountinfo"):
        if m.fstype in ("cgroup", "cgroup2") and m.mount_point.startswith("/sys/fs/cgroup"):
            for top, dirs, _files in os.walk(m.mount_point):
                if CGROUP_PROBE in dirs:
                    found.append(os.path.join(top, CGROUP_PROBE))
                    os.rmdir(found[-1])
    return found


def _host_cgroup_hierarchies():
    """cgroup_mounts as the cgroup room would give them, for the host's root cgroups."""
    found = []
    for m in mountinfo.read_mounts("/proc/self/mountinfo"):
        if not m.mount_point.startswith("/sys/fs/cgroup/"):
            continue
        if m.fstype == "cgroup":
            opts = [o for o in m.super_options if o not in ("rw", "ro")]
            found.append({"name": ",".join(opts), "fstype": "cgroup",
                          "options": ",".join(opts), "host_path": m.mount_point})
        elif m.fstype == "cgroup2":
            found.append({"name": "unified", "fstype": "cgroup2", "options": "",
                          "host_path": m.mount_point})
    return found


# Two containers: A sees the host's pids in its /proc and gets the host's
# cgroup directories bound; B has no /proc at all (so after pivot_root the
# room must work without /proc/self/fd) and a cgroup namespace (hierarchies
# mounted, not bound).
VARIANT_A = {
    "unshare": C.CLONE_NEWNS, "proc": True, "masked_file": MASKED_FILE,
    "masked_dirs": ["/proc/acpi", "/sys/firmware"],
    "readonly": ["/proc/sys", "/proc/sysrq-trigger"],
    "ro_probe": "/proc/sys/kernel/hostname",
}
VARIANT_B = {
    "unshare": C.CLONE_NEWNS | C.CLONE_NEWCGROUP, "proc": False, "masked_file": "/etc/secret",
    "masked_dirs": ["/sys/firmware"], "readonly": ["/dev/shm"], "ro_probe": "/dev/shm/probe",
}
# C runs in a user namespace (host root mapped to 0) with its own IPC but the
# host's network namespace, like a rootless container: mknod is refused (host
# nodes get bound), sysfs is refused (the host's /sys gets bound), /proc is a
# bind of the host's, and every remount must keep the locked flags.
VARIANT_C = dict(VARIANT_A, unshare=C.CLONE_NEWNS | C.CLONE_NEWIPC, userns=True, proc="bind",
                 readonly=["/proc/sys"])
DEVICES = [{"path": "/dev/mydev", "type": "c", "major": 1, "minor": 3, "fileMode": 0o600,
            "uid": 1000, "gid": 1000},
           {"path": "/dev/myfifo", "type": "p", "fileMode": 0o640}]
# In a user namespace a config device can only be the host's node, bound.
DEVICES_USERNS = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229},
                  {"path": "/dev/myfifo", "type": "p", "fileMode": 0o640}]


def _config(world, variant):
    namespaces = ["mount"] + (["cgroup"] if variant["unshare"] & C.CLONE_NEWCGROUP else [])
    proc = {True: [{"destination": "/proc", "type": "proc", "source": "proc"}], False: [],
            "bind": [{"destination": "/proc", "type": "bind", "source": "/proc",
                      "options": ["rbind"]}]}[variant["proc"]]
    return {
        "root": {"path": "rootfs", "readonly": True},
        "mounts": proc + [
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
             "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
            {"destination": "/data", "type": "bind", "source": world["data"],
             "options": ["rbind", "ro", "nosuid"]},
            {"destination": "/hostetc", "type": "none", "source": world["etc_src"],
             "options": ["bind"]},
            {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]},
            {"destination": "/locked", "type": "bind", "source": world["locked"],
             "options": ["bind", "ro"]},
        ],
        "linux": {
            "namespaces": [{"type": t} for t in namespaces],
            "devices": DEVICES_USERNS if variant.get("userns") else DEVICES,
            "maskedPaths": [variant["masked_file"]] + variant["masked_dirs"] + ["/proc/no-such"],
            "readonlyPaths": variant["readonly"] + ["/no/such"],
        },
    }


def _attempt_write(path, directory=False):
    try:
        if directory:
            os.mkdir(path)
        else:
            with open(path, "w") as handle:
                handle.write("x")
        return "ok"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))


def _exec_busybox(args):
    """Run busybox in the new root; return (exit status, stdout)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.dup2(write_end, 1)
            os.execv("/bin/busybox", ["busybox"] + args)
        finally:
            os._exit(127)
    os.close(write_end)
    out = b""
    while True:
        chunk = os.read(read_end, 4096)
        if not chunk:
            break
        out += chunk
    os.close(read_end)
    dummy, status = os.waitpid(pid, 0)
    return os.WEXITSTATUS(status), out.decode()


def _inside_report(variant, sc):
    """Everything the parent checks, seen from inside the container."""
    report = {"devices": {}, "links": {}, "procfd": securejoin.procfd_available()}
    proc = "/proc"
    if not variant["proc"]:
        # Only now, for reading mountinfo: a private proc on the /tmp tmpfs.
        proc = "/tmp/proc"
        os.mkdir(proc)
        sc.mount("proc", proc, "proc", 0, None)
    for name in ("null", "zero", "full", "random", "urandom", "tty", "mydev", "myfifo", "fuse"):
        try:
            st = os.lstat("/dev/" + name)
        except OSError:
            continue
        report["devices"][name] = [stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode),
                                   os.major(st.st_rdev), os.minor(st.st_rdev), st.st_uid]
    for name in ("fd", "stdin", "stdout", "stderr", "ptmx", "core"):
        try:
            report["links"][name] = os.readlink("/dev/" + name)
        except OSError:
            report["links"][name] = None
    report["mounts"] = [[m.mount_point, m.fstype, m.options]
                        for m in mountinfo.read_mounts(proc + "/self/mountinfo")]
    report["root_listing"] = sorted(os.listdir("/"))
    masked = os.stat(variant["masked_file"])
    report["masked_file"] = [stat.S_ISCHR(masked.st_mode), os.major(masked.st_rdev),
                             os.minor(masked.st_rdev)]
    with open(variant["masked_file"], "rb") as handle:
        report["masked_content"] = handle.read(16).decode()
    report["masked_dirs"] = [sorted(os.listdir(d)) for d in variant["masked_dirs"]]
    with open("/data/marker") as handle:
        report["data"] = handle.read()
    with open("/etc/rootfs-room-marker") as handle:
        report["etc_marker"] = handle.read()
    report["writes"] = {
        "root": _attempt_write("/newfile"),
        "data": _attempt_write("/data/newfile"),
        "readonly_path": _attempt_write(variant["ro_probe"]),
        "cgroup": _attempt_write("/sys/fs/cgroup/newdir", directory=True),
        "tmp": _attempt_write("/tmp/newfile"),
        "locked": _attempt_write("/locked/newfile"),
    }
    report["cgroup_dirs"] = sorted(os.listdir("/sys/fs/cgroup"))
    report["cgroup_hierarchy_writes"] = {
        name: _attempt_write("/sys/fs/cgroup/%s/%s" % (name, CGROUP_PROBE), directory=True)
        for name in report["cgroup_dirs"]}
    report["busybox"] = _exec_busybox(["cat", "/data/marker"])
    report["cwd"] = os.getcwd()
    return report


def _run_child(world, variant, hierarchies):
    config = _config(world, variant)
    sc = real()  # loads libc (find_library may run tools) before the fork
    read_end, write_end = os.pipe()
    mapped_r, mapped_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(read_end)
            os.close(mapped_w)
            try:
                if variant.get("userns"):
                    # A source whose flags the user namespace will see locked
                    # (mount_namespaces(7)): mounted by real root, in a mount
                    # namespace of our own, before the user namespace exists.
                    sc.unshare(C.CLONE_NEWNS)
                    sc.mount("", "/", "", C.MS_SLAVE | C.MS_REC, None)
                    sc.mount("tmpfs", world["locked"], "tmpfs",
                             C.MS_NOSUID | C.MS_NODEV | C.MS_NOEXEC | C.MS_NOATIME, "size=1m")
                    sc.unshare(C.CLONE_NEWUSER)
                    os.write(write_end, b"U")  # parent: write my id maps
                    if os.read(mapped_r, 1) != b"M":
                        raise RuntimeError("parent did not map the user namespace")
                sc.unshare(variant["unshare"])
                setup.prepare_rootfs(config, world["rootfs"], hierarchies, sc)
                setup.pivot_root(world["rootfs"], sc)
                setup.finalize_rootfs(config, sc)
                result = {"ok": _inside_report(variant, sc)}
            except BaseException:
                result = {"error": traceback.format_exc()}
            os.write(write_end, json.dumps(result).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    os.close(mapped_r)
    chunks = []
    try:
        if variant.get("userns"):
            _map_root(pid, read_end, mapped_w)
        while True:
            ready, dummy, dummy = select.select([read_end], [], [], CHILD_TIMEOUT)
            if not ready:
                os.kill(pid, signal.SIGKILL)
                pytest.fail("the child did not report within %ds" % CHILD_TIMEOUT)
            chunk = os.read(read_end, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        os.close(mapped_w)
        os.waitpid(pid, 0)
    result = json.loads(b"".join(chunks).decode() or '{"error": "child sent nothing"}')
    if "error" in result:
        pytest.fail("child failed:\n" + result["error"])
    return result["ok"]


def _map_root(pid, read_end, mapped_w):
    """Map host uid/gid 0 to 0 in the child's new user namespace."""
    ready, dummy, dummy = select.select([read_end], [], [], CHILD_TIMEOUT)
    if not ready or os.read(read_end, 1) != b"U":
        return  # the child failed before unsharing: its report says why
    for name in ("uid_map", "gid_map"):
        with open("/proc/%d/%s" % (pid, name), "w") as handle:
            handle.write("0 0 1\n")
    os.write(mapped_w, b"M")


def _check(report, world, variant):
    devs = report["devices"]
    userns = variant.get("userns")
    for name, major, minor in devices.DEFAULT_DEVICES:
        # mknod'ed with mode 0666, or in a user namespace the host's node bound
        mode = stat.S_IMODE(os.stat("/dev/" + name).st_mode) if userns else 0o666
        assert devs[name] == [stat.S_IFCHR, mode, major, minor, 0], name
    if userns:
        assert devs["fuse"][0] == stat.S_IFCHR and devs["fuse"][2:4] == [10, 229]
    else:
        assert devs["mydev"] == [stat.S_IFCHR, 0o600, 1, 3, 1000]
    assert devs["myfifo"][:2] == [stat.S_IFIFO, 0o640]
    links = report["links"]
    assert links["fd"] == "/proc/self/fd"
    assert [links["stdin"], links["stdout"], links["stderr"]] == [
        "/proc/self/fd/0", "/proc/self/fd/1", "/proc/self/fd/2"]
    assert links["ptmx"] == "pts/ptmx"
    assert links["core"] == ("/proc/kcore" if os.path.exists("/proc/kcore") else None)

    by_point = {}
    for point, fstype, options in report["mounts"]:
        by_point[point] = (fstype, options)  # later entries are on top
    assert by_point["/"][1][0] == "ro"
    assert ("/proc" in by_point) == bool(variant["proc"])
    assert by_point["/dev"][0] == "tmpfs" and "nosuid" in by_point["/dev"][1]
    assert by_point["/dev/pts"][0] == "devpts"
    assert by_point["/dev/shm"][0] == "tmpfs"
    assert by_point["/dev/mqueue"][0] == "mqueue"
    assert by_point["/sys"][0] == "sysfs" and "ro" in by_point["/sys"][1]
    assert by_point["/sys/fs/cgroup"][0] == "tmpfs" and "ro" in by_point["/sys/fs/cgroup"][1]
    assert "ro" in by_point["/data"][1] and "nosuid" in by_point["/data"][1]
    for path in variant["readonly"]:
        if os.path.exists(path):  # the host's /proc tells what this kernel has
            assert "ro" in by_point[path][1], path
        else:
            assert path not in by_point, path
    for path in variant["masked_dirs"]:
        assert by_point[path][0] == "tmpfs" and "ro" in by_point[path][1], path
    assert "ro" in by_point["/locked"][1]
    if userns:  # the locked flags were kept by the ro remount
        assert {"nosuid", "nodev", "noexec", "noatime"} <= set(by_point["/locked"][1])
    if userns:  # the fallbacks were taken
        assert "/dev/null" in by_point  # mknod refused: the host's node is bound
        assert [m[0] for m in report["mounts"]].count("/sys/fs/cgroup") >= 2  # /sys rbound
    else:
        assert "/dev/null" not in by_point
    # the container's /dev/null: on the /dev tmpfs, or the host's node bound
    assert by_point[variant["masked_file"]][0] == ("devtmpfs" if userns else "tmpfs")
    # the mount aimed at the symlink hostetc -> /etc landed on the rootfs's /etc
    assert "/etc" in by_point and "/hostetc" not in by_point
    assert report["etc_marker"] == "landed inside"
    assert not any(point.startswith(world["base"]) for point in by_point)

    assert report["masked_file"] == [True, 1, 3]
    assert report["masked_content"] == ""
    assert report["masked_dirs"] == [[] for dummy in variant["masked_dirs"]]
    assert report["data"] == "hello from the host"
    assert report["writes"] == {"root": "EROFS", "data": "EROFS", "readonly_path": "EROFS",
                                "cgroup": "EROFS", "tmp": "ok", "locked": "EROFS"}
    assert set(report["cgroup_hierarchy_writes"].values()) == {"EROFS"}
    assert report["busybox"] == [0, "hello from the host"]
    assert report["cwd"] == "/"
    assert "bin" in report["root_listing"] and "hostetc" in report["root_listing"]
    # nothing reached the host
    assert not os.path.exists("/etc/rootfs-room-marker")
    assert not os.path.exists(os.path.join(world["data"], "newfile"))
    with open(os.path.join(world["etc_src"], "secret")) as handle:
        assert handle.read() == "host secret"


def _assert_host_unchanged(world):
    watched = ("/etc", "/proc", "/sys", "/dev", world["base"])

    def relevant(entries):
        return sorted(e for e in entries if e[0] == "/" or any(
            e[0] == w or e[0].startswith(w + "/") for w in watched))

    assert relevant(_host_mounts()) == relevant(world["before"])


def _names(hierarchies):
    return sorted(h["name"].replace("name=", "") for h in hierarchies)


def test_rootfs_with_host_proc_and_bound_cgroups(world):
    hierarchies = _host_cgroup_hierarchies()
    if not hierarchies:
        pytest.skip("no cgroup hierarchies mounted under /sys/fs/cgroup")
    report = _run_child(world, VARIANT_A, hierarchies)
    _check(report, world, VARIANT_A)
    assert report["procfd"] is True
    assert report["cgroup_dirs"] == _names(hierarchies)
    _assert_host_unchanged(world)


@requires(namespace("cgroup"))
def test_rootfs_without_proc_and_with_cgroupns(world):
    """No /proc in the container: after pivot_root the room must work
    without /proc/self/fd. With a cgroup namespace the hierarchies are
    mounted, not bound."""
    hierarchies = [h for h in _host_cgroup_hierarchies()
                   if h["name"] in ("memory", "pids", "name=systemd", "unified")]
    if not hierarchies:
        pytest.skip("no memory/pids/systemd/unified cgroup hierarchy on this host")
    report = _run_child(world, VARIANT_B, hierarchies)
    _check(report, world, VARIANT_B)
    assert report["procfd"] is False
    assert report["cgroup_dirs"] == _names(hierarchies)
    _assert_host_unchanged(world)


@requires(user_namespaces(), char_device("/dev/fuse"))  # a config device the user namespace binds
def test_rootfs_in_a_user_namespace(world):
    hierarchies = _host_cgroup_hierarchies()
    report = _run_child(world, VARIANT_C, hierarchies)
    _check(report, world, VARIANT_C)
    assert report["cgroup_dirs"] == _names(hierarchies)
    _assert_host_unchanged(world)
