# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers for the integration tests that drive a runc-compatible CLI.

Everything here talks to the runtime only through its command line, so the
same tests validate bin/oci-runtime and /usr/sbin/runc (OCI_RUNTIME_BIN picks
the binary).  Configs are built from plain dicts in the style of crun's
tests: base_config() gives a small working container, the tests add what they
need.
"""
from __future__ import absolute_import, division, print_function

import copy
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_BINARY = os.path.join(REPO, "bin", "oci-runtime")
CGROUP_ROOT = "/sys/fs/cgroup"

# Every CLI call gets a timeout so a hung runtime fails the test instead of
# hanging the suite.
CMD_TIMEOUT = float(os.environ.get("OCI_TEST_CMD_TIMEOUT") or 30)
POLL_INTERVAL = 0.02

DEFAULT_CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
# capability(7) numbers, index == bit.
CAP_NAMES = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
    "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
    "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
    "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
]

DEFAULT_MASKED = [
    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
    "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
]
DEFAULT_READONLY = [
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
]

# Directories that exist in the shared rootfs so bind/tmpfs mounts need not
# create mount points in it.
ROOTFS_DIRS = ["bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys",
               "dev", "tmp", "out", "mnt", "mnt/a", "mnt/b", "mnt/c",
               "root", "home/user", "var"]


def runtime_binary():
    return os.environ.get("OCI_RUNTIME_BIN") or DEFAULT_BINARY


def binary_is_ours(binary=None):
    """True when the binary under test is this project's runtime.

    OCI_RUNTIME_IS_OURS=1/0 overrides the path comparison (e.g. for an
    installed copy of bin/oci-runtime).
    """
    forced = os.environ.get("OCI_RUNTIME_IS_OURS")
    if forced in ("0", "1"):
        return forced == "1"
    binary = binary or runtime_binary()
    return os.path.realpath(binary) == os.path.realpath(DEFAULT_BINARY)


def cap_mask(names):
    mask = 0
    for name in names:
        mask |= 1 << CAP_NAMES.index(name)
    return mask


def proc_status_field(pid_or_self, field):
    """A line of /proc/PID/status (e.g. CapEff), stripped, or None."""
    with open("/proc/%s/status" % pid_or_self) as handle:
        for line in handle:
            key, dummy, value = line.partition(":")
            if key == field:
                return value.strip()
    return None


def parse_status_text(text):
    """Parse the text of /proc/PID/status into a dict."""
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    return fields


def process_start_time(pid):
    """Field 22 of /proc/PID/stat, or None when the pid does not exist."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            data = handle.read()
    except (IOError, OSError):
        return None
    # comm may contain spaces and parentheses: split after the last ')'.
    rest = data[data.rindex(")") + 2:].split()
    return int(rest[19])


def pid_alive(pid):
    """True for a live, non-zombie process."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            data = handle.read()
    except (IOError, OSError):
        return False
    state = data[data.rindex(")") + 2:].split()[0]
    return state not in ("Z", "X")


def wait_for(predicate, timeout=10.0, interval=POLL_INTERVAL, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


def wait_file(path, timeout=10.0, nonempty=True):
    def ready():
        try:
            return os.path.getsize(path) > 0 if nonempty else os.path.exists(path)
        except OSError:
            return False
    wait_for(ready, timeout, what="file %s" % path)
    with open(path) as handle:
        return handle.read()


def base_config(args, rootfs, cgroups_path=None, readonly=True):
    """A minimal working config: busybox rootfs read-only, tmpfs /tmp.

    terminal is false so the container inherits the caller's stdio.
    """
    config = {
        "ociVersion": "1.0.2",
        "process": {
            "terminal": False,
            "user": {"uid": 0, "gid": 0},
            "args": list(args),
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "TERM=xterm"],
            "cwd": "/",
            # No ambient set: capabilities(7) lets a capability be ambient
            # only when it is also inheritable (runc's spec template lists
            # ambient without inheritable and runc silently drops them).
            "capabilities": {key: list(DEFAULT_CAPS) for key in
                             ("bounding", "effective", "permitted")},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": rootfs, "readonly": readonly},
        "hostname": "oci-test",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666",
                         "mode=0620", "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "mode=1777", "size=16m"]},
        ],
        "linux": {
            "resources": {"devices": [{"allow": False, "access": "rwm"}]},
            "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
            "maskedPaths": list(DEFAULT_MASKED),
            "readonlyPaths": list(DEFAULT_READONLY),
        },
    }
    if cgroups_path:
        config["linux"]["cgroupsPath"] = cgroups_path
    return config


def add_bind(config, source, destination, options=("rbind", "rw")):
    config["mounts"].append({"destination": destination, "type": "bind",
                             "source": source, "options": list(options)})
    return config


def set_namespace(config, ns_type, path=None):
    """Add (or replace) a namespace entry; path joins an existing one."""
    namespaces = [ns for ns in config["linux"]["namespaces"] if ns["type"] != ns_type]
    entry = {"type": ns_type}
    if path:
        entry["path"] = path
    namespaces.append(entry)
    config["linux"]["namespaces"] = namespaces
    return config


def remove_namespace(config, ns_type):
    config["linux"]["namespaces"] = [ns for ns in config["linux"]["namespaces"]
                                     if ns["type"] != ns_type]
    return config


def add_hook(config, kind, path, args=None, env=None, timeout=None):
    hook = {"path": path}
    if args is not None:
        hook["args"] = list(args)
    if env is not None:
        hook["env"] = list(env)
    if timeout is not None:
        hook["timeout"] = timeout
    config.setdefault("hooks", {}).setdefault(kind, []).append(hook)
    return hook


def shell_hook(script, env=None, timeout=None, argv0="sh"):
    """(path, args, env, timeout) for a host hook running a busybox shell.

    busybox picks the applet from argv[0], so the hook only works when the
    runtime passes args[0] as argv0: a cheap check that args are honoured.
    """
    return dict(path="/bin/busybox", args=[argv0, "-c", script], env=env, timeout=timeout)


class Result(object):
    """Outcome of one CLI call: argv, returncode, stdout, stderr (text)."""

    def __init__(self, argv, returncode, stdout, stderr, duration):
        self.argv = argv
        self.returncode = returncode
        self.stdout = stdout or ""
        self.stderr = stderr or ""
        self.duration = duration

    @property
    def ok(self):
        return self.returncode == 0

    def __repr__(self):
        return "Result(%r, rc=%r, stdout=%r, stderr=%r)" % (
            " ".join(self.argv), self.returncode, self.stdout[-2000:], self.stderr[-2000:])

    def check(self):
        if self.returncode != 0:
            raise AssertionError("command failed: %r" % (self,))
        return self


class Runtime(object):
    """Wraps the runtime's CLI; remembers every container id it was given.

    ``root`` is the per-test state root passed as --root to every call.
    """

    def __init__(self, binary, root, workdir):
        self.binary = binary
        self.root = root
        self.workdir = workdir
        self.ids = []
        # (pid, start time) of container processes seen by state(): the
        # finalizer checks none of them survives delete --force.
        self.seen_pids = set()

    # -- raw calls ---------------------------------------------------------
    def cmd(self, *args, **kwargs):
        """Run the CLI; kwargs: timeout, stdin, stdout, stderr, input, cwd,
        pass_fds, global_args.  stdout/stderr default to pipes."""
        timeout = kwargs.pop("timeout", CMD_TIMEOUT)
        global_args = list(kwargs.pop("global_args", ()))
        argv = [self.binary, "--root", self.root] + global_args + [str(a) for a in args]
        stdin = kwargs.pop("stdin", subprocess.DEVNULL)
        if "input" in kwargs:
            stdin = None
        start = time.monotonic()
        proc = subprocess.run(argv, stdin=stdin,
                              stdout=kwargs.pop("stdout", subprocess.PIPE),
                              stderr=kwargs.pop("stderr", subprocess.PIPE),
                              timeout=timeout, universal_newlines=True, check=False, **kwargs)
        return Result(argv, proc.returncode, proc.stdout, proc.stderr,
                      time.monotonic() - start)

    def _remember(self, container_id):
        if container_id not in self.ids:
            self.ids.append(container_id)

    def output_path(self, container_id, stream):
        # Ids under test may hold "/" or be too long for a file name.
        digest = hashlib.sha1(container_id.encode("utf-8", "surrogateescape")).hexdigest()[:8]
        return os.path.join(self.workdir, "%s-%s.%s" % (
            sanitize_id(container_id, 60), digest, stream))

    def _with_files(self, container_id, args, kwargs):
        """Run a command whose children may keep stdio open (create, run -d):
        pipes would never reach EOF, so stdio goes to per-container files."""
        out_path = self.output_path(container_id, "stdout")
        err_path = self.output_path(container_id, "stderr")
        with open(out_path, "a") as out, open(err_path, "a") as err:
            out_start, err_start = out.tell(), err.tell()
            result = self.cmd(*args, stdout=out, stderr=err, **kwargs)
        with open(out_path) as out, open(err_path) as err:
            out.seek(out_start)
            err.seek(err_start)
            result.stdout, result.stderr = out.read(), err.read()
        return result

    # -- lifecycle ---------------------------------------------------------
    def create(self, container_id, bundle, pid_file=None, **kwargs):
        self._remember(container_id)
        args = ["create", "--bundle", bundle]
        if pid_file:
            args += ["--pid-file", pid_file]
        return self._with_files(container_id, args + [container_id], kwargs)

    def start(self, container_id, **kwargs):
        return self.cmd("start", container_id, **kwargs)

    def run(self, container_id, bundle, detach=False, pid_file=None, **kwargs):
        """Foreground run captures the container's output through pipes."""
        self._remember(container_id)
        args = ["run"]
        if detach:
            args.append("--detach")
        args += ["--bundle", bundle]
        if pid_file:
            args += ["--pid-file", pid_file]
        args.append(container_id)
        if detach:
            return self._with_files(container_id, args, kwargs)
        return self.cmd(*args, **kwargs)

    def state_result(self, container_id, **kwargs):
        return self.cmd("state", container_id, **kwargs)

    def state(self, container_id):
        result = self.state_result(container_id).check()
        state = json.loads(result.stdout)
        pid = state.get("pid")
        if isinstance(pid, int) and pid > 0 and state.get("status") in ("created", "running"):
            self.seen_pids.add((pid, process_start_time(pid)))
        return state

    def status(self, container_id):
        return self.state(container_id)["status"]

    def kill(self, container_id, sig=None, all_processes=False, **kwargs):
        args = ["kill"]
        if all_processes:
            args.append("--all")
        args.append(container_id)
        if sig is not None:
            args.append(str(sig))
        return self.cmd(*args, **kwargs)

    def delete(self, container_id, force=False, **kwargs):
        args = ["delete"] + (["--force"] if force else []) + [container_id]
        return self.cmd(*args, **kwargs)

    def list(self, *extra, **kwargs):
        return self.cmd("list", *extra, **kwargs)

    # -- conveniences ------------------------------------------------------
    def create_started(self, container_id, bundle):
        self.create(container_id, bundle).check()
        self.start(container_id).check()
        return self.state(container_id)

    def wait_status(self, container_id, status, timeout=10.0):
        last = {}

        def reached():
            last["state"] = self.state(container_id)
            return last["state"]["status"] == status
        try:
            wait_for(reached, timeout, what="status %s" % status)
        except AssertionError:
            raise AssertionError("container %s never reached %s: %r" % (
                container_id, status, last.get("state")))
        return last["state"]

    def container_stdout(self, container_id):
        with open(self.output_path(container_id, "stdout")) as handle:
            return handle.read()

    def state_file(self, container_id):
        """Path of our runtime's state.json for the container."""
        return os.path.join(self.root, container_id, "state.json")

    def read_state_file(self, container_id):
        with open(self.state_file(container_id)) as handle:
            return json.load(handle)


# -- cleanup helpers -------------------------------------------------------
def cgroup_mounts():
    """(hierarchy dir) for each cgroup v1/v2 hierarchy mounted on the host."""
    result = []
    with open("/proc/self/mountinfo") as handle:
        for line in handle:
            fields = line.split()
            sep = fields.index("-")
            fstype = fields[sep + 1]
            if fstype in ("cgroup", "cgroup2"):
                result.append(fields[4])
    return result


def cgroup_dirs_under(prefix):
    """{hierarchy top dir of ``prefix``: [its existing dirs, deepest first]}."""
    found = {}
    for mount in cgroup_mounts():
        top = os.path.join(mount, prefix.lstrip("/"))
        if os.path.isdir(top):
            found[top] = [dirpath for dirpath, _d, _f in os.walk(top, topdown=False)]
    return found


def cgroup_procs(path):
    try:
        with open(os.path.join(path, "cgroup.procs")) as handle:
            return [int(x) for x in handle.read().split()]
    except (IOError, OSError):
        return []


def _thaw_and_kill(path):
    # A frozen freezer cgroup must be thawed or SIGKILL would never land.
    state = os.path.join(path, "freezer.state")
    if os.path.exists(state):
        try:
            with open(state, "w") as handle:
                handle.write("THAWED")
        except OSError:
            pass
    for pid in cgroup_procs(path):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _rmdir_retry(path, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.rmdir(path)
            return True
        except FileNotFoundError:
            return True
        except OSError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)


def remove_cgroup_tree(prefix):
    """Kill what lives under cgroup path ``prefix`` and rmdir it in every
    hierarchy.  Returns the dirs that existed below the prefix: runtimes
    create the parents of cgroupsPath but must remove their own leaf."""
    leftovers = []
    for top, dirs in cgroup_dirs_under(prefix).items():
        for path in dirs:
            _thaw_and_kill(path)
        for path in dirs:
            if path != top:
                leftovers.append(path)
            if not _rmdir_retry(path):
                leftovers.append(path + " (could not be removed)")
    return leftovers


def processes_rooted_in(paths):
    """Pids whose root directory is one of ``paths`` (container processes
    that outlived their container).  readlink(/proc/PID/root) says "/" for
    a pivoted root in another mount namespace, so compare device and inode."""
    wanted = set()
    for path in paths:
        try:
            info = os.stat(path)
        except OSError:
            continue
        wanted.add((info.st_dev, info.st_ino))
    pids = []
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            info = os.stat("/proc/%s/root" % entry)
        except OSError:
            continue
        if (info.st_dev, info.st_ino) in wanted and pid_alive(int(entry)):
            pids.append(int(entry))
    return pids


def host_mounts_under(paths):
    mounts = []
    with open("/proc/self/mountinfo") as handle:
        for line in handle:
            point = line.split()[4].replace("\\040", " ")
            for path in paths:
                if point == path or point.startswith(path.rstrip("/") + "/"):
                    mounts.append(point)
    return mounts


def build_busybox_rootfs(dest, busybox="/bin/busybox"):
    """Busybox rootfs: /bin/busybox, applet symlinks, passwd/group, dirs."""
    os.makedirs(dest, exist_ok=True)
    os.chmod(dest, 0o755)
    for rel in ROOTFS_DIRS:
        os.makedirs(os.path.join(dest, rel), exist_ok=True)
        os.chmod(os.path.join(dest, rel), 0o755)
    os.chmod(os.path.join(dest, "tmp"), 0o1777)
    shutil.copy2(busybox, os.path.join(dest, "bin", "busybox"))
    os.chmod(os.path.join(dest, "bin", "busybox"), 0o755)
    listing = subprocess.run([busybox, "--list"], stdout=subprocess.PIPE,
                             universal_newlines=True, check=True, timeout=10).stdout
    for applet in listing.split():
        if applet == "busybox" or "/" in applet:
            continue
        link = os.path.join(dest, "bin", applet)
        if not os.path.lexists(link):
            os.symlink("busybox", link)
    files = {
        "etc/passwd": "root:x:0:0:root:/root:/bin/sh\n"
                      "user:x:1000:1000:user:/home/user:/bin/sh\n"
                      "nobody:x:65534:65534:nobody:/:/bin/false\n",
        "etc/group": "root:x:0:\nwheel:x:10:user\ndialout:x:20:user\n"
                     "user:x:1000:\nnogroup:x:65534:\n",
        "etc/hostname": "rootfs\n",
    }
    for rel, text in files.items():
        with open(os.path.join(dest, rel), "w") as handle:
            handle.write(text)
        os.chmod(os.path.join(dest, rel), 0o644)
    return dest


def copy_rootfs(src, dest):
    shutil.copytree(src, dest, symlinks=True)
    os.chmod(dest, 0o755)
    return dest


def sanitize_id(text, limit=40):
    text = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.")
    return text[:limit] or "c"


def deep_copy(config):
    return copy.deepcopy(config)


def assert_fails(result, *mentions):
    """The CLI call failed with a message on stderr.

    ``mentions`` (e.g. the container id) must appear in that message when
    the binary is ours; runc's messages often do not name the id.
    """
    assert result.returncode != 0, "expected failure: %r" % (result,)
    message = result.stderr.strip()
    assert message, "failure without a message on stderr: %r" % (result,)
    if binary_is_ours():
        assert len(message.splitlines()) == 1, "error message is not one line: %r" % (result,)
        for word in mentions:
            assert word in message, "%r not named in %r" % (word, message)
    return message
