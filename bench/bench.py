# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time bin/oci-runtime against runc and crun on the same host, in one run.

    python3 bench/bench.py [--runs N] [--quick]      (as root)

Every iteration runs each runtime once, in a rotating order, so slow drifts of
the machine (page cache, CPU frequency) hit all runtimes alike. The table shows
medians in milliseconds and the ratios ours/runc and ours/crun (below 1 = ours
is faster). See bench/README.md.

crun refuses a hybrid cgroup layout (v1 controllers plus a cgroup2 hierarchy at
/sys/fs/cgroup/unified) as long as that hierarchy's cgroup.controllers lists a
controller. The bench therefore re-executes itself in a private mount namespace
(unshare --mount --propagation private) and hides that file under an empty bind
mount; all three runtimes are measured inside that same namespace.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# OCI_RUNTIME_BIN points the "ours" column at another build (as in scripts/demo.sh).
OURS = os.environ.get("OCI_RUNTIME_BIN") or os.path.join(REPO_ROOT, "bin", "oci-runtime")
NAMESPACE_MARKER = "OCIBENCH_IN_PRIVATE_MOUNT_NS"
UNIFIED_CONTROLLERS = "/sys/fs/cgroup/unified/cgroup.controllers"
CGROUP_PREFIX = "ocibench-%d" % os.getpid()
EXEC_LOOP = 5

METRICS = [  # (key, label)
    ("run_fg", "run `true` (foreground, start to exit)"),
    ("create", "create"),
    ("start", "start"),
    ("state", "state"),
    ("exec", "exec `true` (running container)"),
    ("exec_loop", "exec `true`, {loop} more back to back"),
    ("kill", "kill -9 (running sleep)"),
    ("delete", "delete (stopped)"),
    ("run_d_delete_f", "run -d + delete -f"),
    ("batch", "{n} x create+start (total)"),
    ("list", "list with {n} containers"),
]


class BenchError(Exception):
    """A runtime command failed; the message holds its command line and stderr."""


class Runtime(object):
    """One runtime binary with its own private state root."""

    def __init__(self, name, binary, workdir):
        self.name = name
        self.binary = binary
        self.root = os.path.join(workdir, "state-" + name)
        self.failure = None
        os.makedirs(self.root)

    def command(self, *args):
        return [self.binary, "--root", self.root] + list(args)

    def call(self, *args):
        """Run one command with stdio away from the terminal; return seconds taken."""
        # stderr goes to a file, not a pipe: `create` hands its stdio to the
        # container, and a pipe would stay open until the container exits.
        with tempfile.TemporaryFile() as errors:
            began = time.perf_counter()
            status = subprocess.call(self.command(*args), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=errors)
            elapsed = time.perf_counter() - began
            if status != 0:
                errors.seek(0)
                raise BenchError("%s exited %d: %s" % (" ".join(self.command(*args)), status,
                                                       errors.read().decode(errors="replace")[-600:]))
        return elapsed

    def quiet(self, *args):
        """Run a command whose failure does not matter (cleanup)."""
        subprocess.call(self.command(*args), stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def status(self, container_id):
        result = subprocess.run(self.command("state", container_id), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
        if result.returncode != 0:
            return None
        return json.loads(result.stdout.decode()).get("status")

    def wait_stopped(self, container_id, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.status(container_id) == "stopped":
                return
            time.sleep(0.005)
        raise BenchError("%s: %s did not stop within %.0f s" % (self.name, container_id, timeout))

    def ids(self):
        """Containers in the state root (names of its directories)."""
        try:
            return sorted(os.listdir(self.root))
        except OSError:
            return []


class Bundles(object):
    """A busybox rootfs shared read-only by many small per-container bundles.

    Each container gets its own bundle directory holding only config.json, so
    linux.cgroupsPath is unique per container (two containers in one cgroup
    would be killed together by `delete`) while root.path points to the one
    shared rootfs, absolute as config.md allows.
    """

    def __init__(self, workdir, template):
        self.workdir = workdir
        self.rootfs = os.path.join(workdir, "rootfs")
        self.template = template
        self._build_rootfs()

    def _build_rootfs(self):
        bindir = os.path.join(self.rootfs, "bin")
        os.makedirs(bindir)
        # Mount points exist in advance because the root is mounted read-only.
        for name in ("proc", "sys", "dev", "tmp", "etc", "root"):
            os.makedirs(os.path.join(self.rootfs, name))
        shutil.copy2("/bin/busybox", os.path.join(bindir, "busybox"))
        for applet in ("sh", "true", "sleep"):
            os.symlink("busybox", os.path.join(bindir, applet))

    def make(self, runtime, container_id, args):
        bundle = os.path.join(self.workdir, "bundles", runtime.name, container_id)
        os.makedirs(bundle)
        config = json.loads(json.dumps(self.template))
        config["root"] = {"path": self.rootfs, "readonly": True}
        config["process"]["terminal"] = False
        config["process"]["args"] = args
        config["process"]["env"] = ["PATH=/bin"]
        config["hostname"] = "bench"
        config["linux"]["cgroupsPath"] = "/%s-%s-%s" % (CGROUP_PREFIX, runtime.name, container_id)
        with open(os.path.join(bundle, "config.json"), "w") as handle:
            json.dump(config, handle)
        return bundle


def spec_template(binaries, workdir):
    """config.json as `spec` of the first available runtime writes it (runc first)."""
    for binary in binaries:
        target = os.path.join(workdir, "spec-" + os.path.basename(binary))
        os.makedirs(target)
        if subprocess.call([binary, "spec", "--bundle", target], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, cwd=target) == 0:
            with open(os.path.join(target, "config.json")) as handle:
                return json.load(handle)
    raise BenchError("no runtime could write a spec with `spec --bundle`")


def monitor_rss_kb(runtime, container_id):
    """RssAnon of our monitor process (state.json field monitor_pid), or None."""
    try:
        with open(os.path.join(runtime.root, container_id, "state.json")) as handle:
            pid = int(json.load(handle)["monitor_pid"])
        with open("/proc/%d/status" % pid) as handle:
            for line in handle:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return None


def measure_iteration(runtime, bundles, iteration, samples, with_batch, batch_size):
    """One round of every measurement for one runtime; appends seconds to samples."""
    tag = "%s%d" % (runtime.name[0], iteration)

    def add(key, value):
        samples.setdefault(key, []).append(value)

    run_id = "run-" + tag
    add("run_fg", runtime.call("run", "--bundle", bundles.make(runtime, run_id, ["true"]), run_id))
    runtime.quiet("delete", "--force", run_id)

    life_id = "life-" + tag
    bundle = bundles.make(runtime, life_id, ["sleep", "1000"])
    add("create", runtime.call("create", "--bundle", bundle, life_id))
    add("start", runtime.call("start", life_id))
    add("state", runtime.call("state", life_id))
    add("exec", runtime.call("exec", life_id, "true"))
    # Right after another exec, runc's and crun's write to cgroup.procs finds
    # the kernel's rcu_sync still in writer mode and skips the grace period
    # that their first exec after other commands waits for (ours waits for
    # none: runtime/cgroups/membership.py): a loop of execs, as a health
    # check or a script runs them, is its own case.
    for dummy in range(EXEC_LOOP):
        add("exec_loop", runtime.call("exec", life_id, "true"))
    if runtime.name == "ours":
        add("bare_exec", bare_exec(runtime, life_id))
    add("kill", runtime.call("kill", life_id, "KILL"))
    runtime.wait_stopped(life_id)
    add("delete", runtime.call("delete", life_id))

    detached_id = "det-" + tag
    bundle = bundles.make(runtime, detached_id, ["sleep", "1000"])
    elapsed = runtime.call("run", "--detach", "--bundle", bundle, detached_id)
    if runtime.name == "ours":
        rss = monitor_rss_kb(runtime, detached_id)
        if rss is not None:
            add("monitor_rss", rss)
    add("run_d_delete_f", elapsed + runtime.call("delete", "--force", detached_id))

    if with_batch:
        batch_ids = ["b%d-%s" % (number, tag) for number in range(batch_size)]
        total = 0.0
        try:
            for batch_id in batch_ids:
                bundle = bundles.make(runtime, batch_id, ["sleep", "1000"])
                total += runtime.call("create", "--bundle", bundle, batch_id)
                total += runtime.call("start", batch_id)
            add("batch", total)
            add("list", runtime.call("list"))
        finally:
            for batch_id in batch_ids:
                runtime.quiet("delete", "--force", batch_id)


def bare_exec(runtime, container_id):
    """Seconds bench/bare_exec.py takes to run `true` in our running container.

    The least any exec in Python does (see that file): its median against
    runc's and crun's exec is printed with the floors.
    """
    command = [floor_python(), "-I", "-S", BARE_EXEC, os.path.join(runtime.root, container_id, "state.json"), "true"]
    began = time.perf_counter()
    status = subprocess.call(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - began
    if status != 0:
        raise BenchError("%s exited %d" % (" ".join(command), status))
    return elapsed


def floor_python():
    return "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable


BARE_EXEC = os.path.join(REPO_ROOT, "bench", "bare_exec.py")

# Costs that bound any runtime's numbers from below, measured beside them.
FLOORS = [  # (key, label)
    ("python_start", "python3 -I -S -c pass (interpreter start)"),
    ("python_ctypes", "python3 -I -S -c 'import ctypes'"),
    ("attach_grace", "first cgroup.procs write after a quiet 100 ms"),
]


def measure_floors(samples):
    """One sample of each FLOORS row (seconds).

    attach_grace: a no-op migration (a sleeping child into the cgroup it is
    in) after the host's cgroup writers were quiet for 100 ms, the grace
    period rcu_sync_enter() waits before any first cgroup.procs write
    (kernel/rcu/sync.c). runc's and crun's exec pay it in line; ours joins
    its cgroups in ways that do not wait (runtime/cgroups/membership.py).
    """
    python = floor_python()
    for key, code in (("python_start", "pass"), ("python_ctypes", "import ctypes")):
        began = time.perf_counter()
        subprocess.check_call([python, "-I", "-S", "-c", code])
        samples.setdefault(key, []).append(time.perf_counter() - began)
    path = own_procs_file()
    if path is None:
        return
    child = subprocess.Popen(["sleep", "5"])
    try:
        time.sleep(0.1)
        fd = os.open(path, os.O_WRONLY)
        try:
            began = time.perf_counter()
            os.write(fd, str(child.pid).encode())
            samples.setdefault("attach_grace", []).append(time.perf_counter() - began)
        finally:
            os.close(fd)
    finally:
        child.kill()
        child.wait()


def own_procs_file():
    """The cgroup.procs of this process's cgroup2 cgroup, else of its v1 pids one, where
    systemd mounts them (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host); or None."""
    with open("/proc/self/cgroup") as handle:
        lines = handle.read().splitlines()
    for wanted, mount_points in (("", ("/sys/fs/cgroup/unified", "/sys/fs/cgroup")), ("pids", ("/sys/fs/cgroup/pids",))):
        for line in lines:
            dummy, controllers, path = line.split(":", 2)
            if controllers != wanted:
                continue
            for mount_point in mount_points:
                candidate = mount_point + path.rstrip("/") + "/cgroup.procs"
                if os.path.exists(candidate):
                    return candidate
    return None


def format_floors(samples, runtime_samples):
    lines = ["floors (median ms, the same for every runtime)", "-" * 60]
    for key, label in FLOORS:
        values = samples.get(key)
        lines.append("%-52s %7s" % (label, "%.1f" % (statistics.median(values) * 1000.0) if values else "n/a"))
    bare = runtime_samples.get("ours", {}).get("bare_exec")
    if bare:
        bare = statistics.median(bare)
        ratios = []
        for name in ("runc", "crun"):
            theirs = runtime_samples.get(name, {}).get("exec")
            if theirs:
                ratios.append("%.2f x %s" % (bare / statistics.median(theirs), name))
        lines.append("%-52s %7.1f  %s" % ("bare Python exec of `true` (bench/bare_exec.py)", bare * 1000.0,
                                          ", ".join(ratios)))
    return "\n".join(lines)


def hide_unified_controllers(workdir):
    """Bind an empty file over the cgroup2 controllers list (this namespace only)."""
    if not os.path.exists(UNIFIED_CONTROLLERS):
        return "no %s: nothing to hide" % UNIFIED_CONTROLLERS
    empty = os.path.join(workdir, "empty-cgroup.controllers")
    open(empty, "w").close()
    subprocess.check_call(["mount", "--bind", empty, UNIFIED_CONTROLLERS])
    return "%s hidden under an empty bind mount" % UNIFIED_CONTROLLERS


def remove_leftover_cgroups():
    """rmdir cgroups named after this bench that a runtime left behind."""
    for base, dirs, dummy in os.walk("/sys/fs/cgroup", topdown=True):
        for name in list(dirs):
            if name.startswith(CGROUP_PREFIX):
                try:
                    os.rmdir(os.path.join(base, name))
                except OSError as error:
                    print("warning: cgroup %s/%s left: %s" % (base, name, error))
        # The bench creates its cgroups at the top of each hierarchy only.
        if base.count("/") >= 4:
            dirs[:] = []


def describe_ours():
    lines = []
    if not os.access(OURS, os.X_OK):
        return ["%s: absent (its columns show n/a)" % OURS]
    with open(OURS, "rb") as handle:
        start = handle.read(4096)
    if not start.startswith(b"#!"):
        return ["%s: not a script (no interpreter line)" % OURS]
    head = start.decode(errors="replace").splitlines()[:5]
    lines.append("%s head: " % OURS + " | ".join(line for line in head if line))
    if head and head[0].startswith("#!"):
        words = head[0][2:].split()
        if words and os.path.basename(words[0]) == "env" and len(words) > 1:
            lines.append("  shebang interpreter %s resolves to %s"
                         % (words[1], shutil.which(words[1]) or "nothing on PATH"))
    lines.append("  OCI_RUNTIME_PYTHON=%s" % os.environ.get("OCI_RUNTIME_PYTHON", "(unset)"))
    return lines


def version_of(binary):
    try:
        output = subprocess.run([binary, "--version"], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, timeout=10, check=False).stdout.decode()
        return output.splitlines()[0] if output else "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def format_table(names, samples, batch_size):
    header = ["metric (median ms)"] + names + ["ours/runc", "ours/crun"]
    rows = []

    def median(name, key):
        values = samples[name].get(key)
        return statistics.median(values) if values else None

    def ratio(name, key):
        ours, other = median("ours", key), median(name, key)
        return "%.2f" % (ours / other) if ours is not None and other else "n/a"

    for key, label in METRICS:
        cells = [label.format(n=batch_size, loop=EXEC_LOOP)]
        for name in names:
            value = median(name, key)
            cells.append("%.1f" % (value * 1000.0) if value is not None else "n/a")
        rows.append(cells + [ratio("runc", key), ratio("crun", key)])
    rss = median("ours", "monitor_rss")
    rows.append(["monitor RssAnon kB (ours only)", "%d" % rss if rss is not None else "n/a"]
                + ["-"] * (len(names) + 1))
    widths = [max(len(row[column]) for row in [header] + rows) for column in range(len(header))]
    lines = []
    for index, row in enumerate([header] + rows):
        lines.append("  ".join(cell.ljust(widths[0]) if column == 0 else cell.rjust(widths[column])
                               for column, cell in enumerate(row)))
        if index == 0:
            lines.append("-" * len(lines[0]))
    return "\n".join(lines)


def save_results(args, runtimes, samples):
    """Raw samples as JSON under bench/results/ (git-ignored), for later comparison."""
    directory = os.path.join(REPO_ROOT, "bench", "results")
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, time.strftime("bench-%Y%m%dT%H%M%SZ.json", time.gmtime()))
    with open(path, "w") as handle:
        json.dump({"kernel": platform.release(), "runs": args.runs, "batch_runs": args.batch_runs,
                   "batch_size": args.batch_size, "samples": samples,
                   "runtimes": {runtime.name: {"binary": runtime.binary, "failure": runtime.failure,
                                               "version": version_of(runtime.binary)}
                                for runtime in runtimes}}, handle, indent=1)
    return path


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--runs", type=int, default=None,
                        help="iterations of the single-container measurements (default 10, quick 3)")
    parser.add_argument("--batch-runs", type=int, default=None,
                        help="iterations of the batch and list measurements (default 3, quick 1)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="containers in the batch and list measurements (default 100, quick 20)")
    parser.add_argument("--quick", action="store_true", help="smoke run, under a minute")
    parser.add_argument("--no-results-file", action="store_true",
                        help="do not write bench/results/<time>.json")
    args = parser.parse_args(argv)

    def pick(value, normal, quick):
        return value if value is not None else (quick if args.quick else normal)
    args.runs = max(1, pick(args.runs, 10, 3))
    args.batch_runs = min(args.runs, max(0, pick(args.batch_runs, 3, 1)))
    args.batch_size = max(1, pick(args.batch_size, 100, 20))
    return args


def reexec_in_private_mount_namespace():
    env = dict(os.environ)
    env[NAMESPACE_MARKER] = "1"
    argv = ["unshare", "--mount", "--propagation", "private", "--",
            sys.executable, os.path.abspath(__file__)] + sys.argv[1:]
    os.execvpe("unshare", argv, env)


def main(argv):
    args = parse_args(argv)
    if os.geteuid() != 0:
        print("bench.py: run as root (containers need namespaces and cgroups)", file=sys.stderr)
        return 2
    if os.environ.get(NAMESPACE_MARKER) != "1":
        reexec_in_private_mount_namespace()

    candidates = [("ours", OURS), ("runc", shutil.which("runc")), ("crun", shutil.which("crun"))]
    workdir = tempfile.mkdtemp(prefix="ocibench-")
    runtimes = []
    samples = {name: {} for name, dummy in candidates}
    floors = {}
    try:
        print("kernel: %s %s" % (platform.system(), platform.release()))
        print("bench python: %s" % sys.executable)
        for line in describe_ours():
            print(line)
        print(hide_unified_controllers(workdir))
        for name, binary in candidates:
            if binary and os.access(binary, os.X_OK):
                runtimes.append(Runtime(name, binary, workdir))
                print("%s: %s (%s)" % (name, binary, version_of(binary)))
            else:
                print("%s: not installed (n/a)" % name)
        others = [runtime.binary for runtime in runtimes if runtime.name != "ours"]
        bundles = Bundles(workdir, spec_template(others + [OURS], workdir))
        print("runs: %d, batch: %d x %d containers\n" % (args.runs, args.batch_runs, args.batch_size))

        began = time.monotonic()
        for iteration in range(args.runs):
            alive = [runtime for runtime in runtimes if runtime.failure is None]
            shift = iteration % max(1, len(alive))
            for runtime in alive[shift:] + alive[:shift]:
                try:
                    measure_iteration(runtime, bundles, iteration, samples[runtime.name],
                                      iteration < args.batch_runs, args.batch_size)
                except BenchError as error:
                    runtime.failure = str(error)
                    samples[runtime.name].clear()
                    print("%s FAILED, its columns show n/a: %s" % (runtime.name, error))
            measure_floors(floors)
            print("iteration %d/%d done (%.0f s)" % (iteration + 1, args.runs, time.monotonic() - began))

        print("\n" + format_table([name for name, dummy in candidates], samples, args.batch_size))
        print("\n" + format_floors(floors, samples))
        if not args.no_results_file:
            print("\nsamples saved to %s" % save_results(args, runtimes, dict(samples, floors=floors)))
        return 1 if any(runtime.failure for runtime in runtimes) else 0
    finally:
        for runtime in runtimes:
            for container_id in runtime.ids():
                runtime.quiet("delete", "--force", container_id)
        remove_leftover_cgroups()
        if os.path.exists(os.path.join(workdir, "empty-cgroup.controllers")):
            subprocess.call(["umount", UNIFIED_CONTROLLERS])
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        print("\ninterrupted; containers and temp dirs were cleaned up", file=sys.stderr)
        sys.exit(130)
