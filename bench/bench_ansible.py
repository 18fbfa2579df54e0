# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time the Ansible modules (oci_container, oci_containers) with ansible-playbook, in one run.

    python3 bench/bench_ansible.py [--runs N] [--size N]      (as root)

Every measurement is the wall-clock time of one `ansible-playbook` run of the
venv's ansible-core against localhost (connection local, gather_facts false,
target interpreter /usr/bin/python3), as a user at a shell sees it. Compared
variants alternate within each iteration, in a rotating order, so a drift of
the machine hits them alike. The table shows medians, the project's targets
(issue 6, "Benchmark") and PASS/MISS. See bench/README.md.
"""

import argparse
import json
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO_ROOT, "tests", "integration"))
from itest_helpers import build_busybox_rootfs  # noqa: E402  (stdlib only; shared with the tests)

VENV_BIN = os.path.join(REPO_ROOT, ".venv", "bin")
PLAYBOOK = os.path.join(VENV_BIN, "ansible-playbook")
RUNTIME_CLI = os.path.join(REPO_ROOT, "bin", "oci-runtime")
TARGET_PYTHON = "/usr/bin/python3"
PREFIX = "oab%d" % os.getpid()          # container names, hence cgroups opencontainer/<tag>/<name>
CGROUP_PARENT = "opencontainer"         # runtime default for an empty linux.cgroupsPath, with the state root's tag
COMMAND = "sleep 1000"
PLAYBOOK_TIMEOUT = 300
RECAP = re.compile(r"^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)

ANSIBLE_CFG = """[defaults]
host_key_checking = False
retry_files_enabled = False
interpreter_python = %s
""" % TARGET_PYTHON

# (key, label, target kind, target value): "abs" seconds, "over" seconds over the key in
# "base", "ratio" to the key in "base". Labels take {n} (the container count).
ROWS = [
    ("empty", "empty play (1 host, no tasks)", None, None, None),
    ("one_ping", "1 x ansible.builtin.ping (reference)", None, None, None),
    ("one_rerun", "1 x oci_container, idempotent rerun", "abs", 0.85, None),
    ("one_rerun", "  same, over the empty play", "over", 0.15, "empty"),
    ("ping_loop", "{n}-item ansible.builtin.ping loop", None, None, None),
    ("loop_rerun", "{n} x oci_container loop, idempotent rerun", "ratio", 1.1, "ping_loop"),
    ("batch_first", "oci_containers {n}, first run (from nothing)", "abs", 1.5, None),
    ("batch_rerun", "oci_containers {n}, idempotent rerun", "abs", 1.0, None),
    ("batch_absent", "oci_containers {n}, state: absent (running sleep)", "abs", 3.0, None),
    ("loop_absent", "{n} x oci_container loop, state: absent", None, None, None),
]


class BenchError(Exception):
    """A playbook failed or reported an unexpected change count."""


class Interrupted(BaseException):
    """SIGTERM, turned into an exception so that the cleanup in `finally` runs."""


class Bench(object):
    """A private temp tree: ansible config, collection path, rootfs, state root, bundles, playbooks."""

    def __init__(self, size, collection=REPO_ROOT):
        self.size = size
        self.workdir = tempfile.mkdtemp(prefix="ociansbench-")
        self.state_root = os.path.join(self.workdir, "state")
        self.bundle_parent = os.path.join(self.workdir, "bundles")
        self.rootfs = os.path.join(self.workdir, "rootfs")
        self.playbooks = os.path.join(self.workdir, "playbooks")
        os.makedirs(self.playbooks)
        os.makedirs(self.bundle_parent)
        collections = os.path.join(self.workdir, "collections")
        os.makedirs(os.path.join(collections, "ansible_collections", "opencontainer"))
        os.symlink(collection, os.path.join(collections, "ansible_collections", "opencontainer", "runtime"))
        config = os.path.join(self.workdir, "ansible.cfg")
        with open(config, "w") as handle:
            handle.write(ANSIBLE_CFG)
        self.inventory = os.path.join(self.workdir, "hosts")
        with open(self.inventory, "w") as handle:
            handle.write("localhost ansible_connection=local ansible_python_interpreter=%s\n" % TARGET_PYTHON)
        # Nothing from the caller's ANSIBLE_* variables (callbacks, profilers, strategies).
        self.env = dict((k, v) for k, v in os.environ.items() if not k.startswith("ANSIBLE_"))
        self.env.update({
            "ANSIBLE_CONFIG": config,
            "ANSIBLE_COLLECTIONS_PATH": collections,
            "ANSIBLE_LOCAL_TEMP": os.path.join(self.workdir, "tmp-local"),
            "ANSIBLE_REMOTE_TEMP": os.path.join(self.workdir, "tmp-remote"),
            "ANSIBLE_HOME": os.path.join(self.workdir, "ansible-home"),
            "PATH": VENV_BIN + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
        })
        self.env.pop("PYTHONPATH", None)

    # -- playbooks ---------------------------------------------------------
    def name(self, scenario, index):
        return "%s-%s-%02d" % (PREFIX, scenario, index)

    def item(self, name):
        return {"name": name, "rootfs": self.rootfs, "command": COMMAND,
                "bundle_dir": os.path.join(self.bundle_parent, name)}

    def write_playbook(self, filename, tasks):
        """A play on localhost without facts; YAML written as JSON (a YAML subset)."""
        play = [{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]
        path = os.path.join(self.playbooks, filename)
        with open(path, "w") as handle:
            json.dump(play, handle, indent=1)
        return path

    def container_task(self, item, state=None):
        args = dict(item)
        if state:
            args = {"name": item["name"], "state": state}
        args["state_root"] = self.state_root
        return {"name": "container", "opencontainer.runtime.oci_container": args}

    def loop_task(self, names, state=None):
        """One oci_container task looped over names; the item expression keeps it one module call per item."""
        args = {"name": "{{ item }}", "state_root": self.state_root}
        if state:
            args["state"] = state
        else:
            args.update(rootfs=self.rootfs, command=COMMAND, bundle_dir=self.bundle_parent + "/{{ item }}")
        return {"name": "containers", "opencontainer.runtime.oci_container": args, "loop": names}

    def batch_task(self, names, state=None):
        if state:
            items = [{"name": name, "state": state} for name in names]
        else:
            items = [self.item(name) for name in names]
        return {"name": "batch", "opencontainer.runtime.oci_containers": {"state_root": self.state_root,
                                                                          "containers": items}}

    # -- running -----------------------------------------------------------
    def play(self, path, expect_changed):
        """Run a playbook; return (wall, cpu) seconds. expect_changed: True (>0 changed), False (0) or None.

        cpu is the user+system time of ansible-playbook and the processes it waited for
        (workers, modules), not of the containers' monitors; on a loaded machine it
        moves less than the wall clock.
        """
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        # Its own session: on Ctrl-C or a timeout the whole group (workers, the module) is
        # stopped and waited for before the cleanup deletes containers under it.
        child = subprocess.Popen([PLAYBOOK, "-i", self.inventory, path], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=self.env,
                                 cwd=self.workdir, start_new_session=True)
        try:
            stdout = child.communicate(timeout=PLAYBOOK_TIMEOUT)[0]
        except BaseException:
            stop_group(child)
            raise
        elapsed = time.perf_counter() - began
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        output = stdout.decode("utf-8", "replace")
        recap = RECAP.search(output)
        # A play without tasks prints no host line in the recap: nothing ran, nothing changed.
        ok, changed, unreachable, failed = (int(g) for g in recap.groups()) if recap else (0, 0, 0, 0)
        problem = None
        if child.returncode != 0:
            problem = "exited %d" % child.returncode
        elif unreachable or failed:
            problem = "unreachable/failed in the recap"
        elif expect_changed is not None and (changed > 0) != expect_changed:
            problem = "changed=%d, expected %s" % (changed, "changed" if expect_changed else "no change")
        if problem:
            raise BenchError("%s: %s\n%s" % (os.path.basename(path), problem, output[-4000:]))
        return elapsed, cpu

    def cleanup(self):
        """delete --force every container of the state root, rmdir our cgroups, remove the tree."""
        left = []
        if os.path.isdir(self.state_root):
            for entry in sorted(os.listdir(self.state_root)):
                # .libexec holds the runtime's monitor copy, not a container.
                if not entry.startswith(".") and os.path.isdir(os.path.join(self.state_root, entry)):
                    left.append(entry)
                    subprocess.call([RUNTIME_CLI, "--root", self.state_root, "delete", "--force", entry],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, timeout=60)
        remove_leftover_cgroups(self.state_root)
        shutil.rmtree(self.workdir, ignore_errors=True)
        return left


def stop_group(child):
    """SIGTERM the playbook's process group, SIGKILL it after 20 s; reap the leader."""
    for sig, grace in ((signal.SIGTERM, 20.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(child.pid, sig)
        except OSError:
            break
        try:
            child.communicate(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue


def remove_leftover_cgroups(state_root):
    """rmdir <hierarchy>/opencontainer/<tag>/<PREFIX>* cgroups a failed run left behind.

    The tag is the runtime's for the state root: SHA-256 of its real path, 8 hex digits (README).
    """
    import hashlib
    tag = hashlib.sha256(os.path.realpath(state_root).encode("utf-8")).hexdigest()[:8]
    base = "/sys/fs/cgroup"
    hierarchies = [base] + [os.path.join(base, d) for d in os.listdir(base)]
    for hierarchy in hierarchies:
        parent = os.path.join(hierarchy, CGROUP_PARENT, tag)
        if not os.path.isdir(parent):
            continue
        for name in os.listdir(parent):
            if name.startswith(PREFIX + "-"):
                try:
                    os.rmdir(os.path.join(parent, name))
                except OSError as error:
                    print("warning: cgroup %s/%s left: %s" % (parent, name, error))


def rotated(variants, iteration):
    shift = iteration % len(variants)
    return variants[shift:] + variants[:shift]


def run_scenarios(bench, runs, samples, log):
    n = bench.size

    def timed(key, path, expect):
        wall, cpu = bench.play(path, expect)
        samples.setdefault(key, []).append(wall)
        samples.setdefault(key + ".cpu", []).append(cpu)

    # 1. one container, idempotent rerun, vs an empty play (and a one-ping play for reference).
    one = bench.item(bench.name("one", 0))
    empty = bench.write_playbook("empty.yml", [])
    one_pb = bench.write_playbook("one.yml", [bench.container_task(one)])
    ping1 = bench.write_playbook("ping1.yml", [{"name": "ping", "ansible.builtin.ping": {}}])
    one_absent = bench.write_playbook("one-absent.yml", [bench.container_task(one, "absent")])
    bench.play(empty, False)  # warm the page cache for ansible itself
    bench.play(one_pb, True)
    for iteration in range(runs):
        for key, path in rotated([("empty", empty), ("one_ping", ping1), ("one_rerun", one_pb)], iteration):
            timed(key, path, False)
    bench.play(one_absent, True)
    log("1 container vs empty play: done")

    # 2. n containers in a looped task, idempotent rerun, vs an n-item ping loop.
    names = [bench.name("loop", i) for i in range(n)]
    loop_pb = bench.write_playbook("loop.yml", [bench.loop_task(names)])
    ping_pb = bench.write_playbook("ping.yml", [{"name": "ping", "ansible.builtin.ping": {}, "loop": names}])
    bench.play(loop_pb, True)
    for iteration in range(runs):
        for key, path in rotated([("ping_loop", ping_pb), ("loop_rerun", loop_pb)], iteration):
            timed(key, path, False)
    bench.play(bench.write_playbook("loop-cleanup.yml", [bench.batch_task(names, "absent")]), True)
    log("%d looped vs %d-item ping loop: done" % (n, n))

    # 3 and 4. one batch call: first run, rerun; then state: absent, batch vs loop in turn.
    names = [bench.name("batch", i) for i in range(n)]
    batch_pb = bench.write_playbook("batch.yml", [bench.batch_task(names)])
    absent_pbs = [("batch_absent", bench.write_playbook("batch-absent.yml", [bench.batch_task(names, "absent")])),
                  ("loop_absent", bench.write_playbook("loop-absent.yml", [bench.loop_task(names, "absent")]))]
    for iteration in range(runs):
        timed("batch_first", batch_pb, True)
        timed("batch_rerun", batch_pb, False)
        first, second = rotated(absent_pbs, iteration)
        timed(first[0], first[1], True)
        bench.play(batch_pb, True)  # running again, untimed
        timed(second[0], second[1], True)
        log("batch iteration %d/%d: done" % (iteration + 1, runs))


def evaluate(samples, n):
    """Rows of (label, median wall, median cpu, target text, verdict); the verdict is on the wall clock."""
    def median(key):
        return statistics.median(samples[key]) if samples.get(key) else None

    def seconds(value, sign=""):
        return ("%" + sign + ".3f s") % value if value is not None else "n/a"

    rows = []
    for key, label, kind, target, base in ROWS:
        value, cpu = median(key), median(key + ".cpu")
        shown, cpu_shown = seconds(value), seconds(cpu)
        target_text, verdict = "-", ""
        if kind == "abs":
            target_text = "<= %.2f s" % target
            verdict = value is not None and value <= target
        elif kind == "over":
            other, other_cpu = median(base), median(base + ".cpu")
            delta = value - other if value is not None and other is not None else None
            shown = seconds(delta, "+")
            cpu_shown = seconds(cpu - other_cpu, "+") if cpu is not None and other_cpu is not None else "n/a"
            target_text = "<= +%.2f s" % target
            verdict = delta is not None and delta <= target
        elif kind == "ratio":
            other = median(base)
            ratio = value / other if value is not None and other else None
            shown += " (%.2fx)" % ratio if ratio is not None else ""
            target_text = "<= %.2fx" % target
            verdict = ratio is not None and ratio <= target
        if kind:
            verdict = "PASS" if verdict else "MISS"
        rows.append((label.format(n=n), shown, cpu_shown, target_text, verdict))
    derived = []
    for key, base, per in (("one_ping", "empty", 1), ("one_rerun", "one_ping", 1), ("loop_rerun", "ping_loop", n),
                           ("batch_first", "empty", n), ("batch_rerun", "one_ping", n), ("batch_absent", "one_ping", n),
                           ("loop_absent", "ping_loop", n)):
        value, other = median(key), median(base)
        if value is not None and other is not None:
            derived.append("%-12s - %-9s = %+6.0f ms wall (%+6.1f ms per %s)"
                           % (key, base, (value - other) * 1000.0, (value - other) * 1000.0 / per,
                              "task" if per == 1 else "container"))
    return rows, derived


def format_table(rows):
    header = ("measurement (median of ansible-playbook runs)", "wall", "cpu", "target", "")
    widths = [max(len(r[c]) for r in [header] + rows) for c in range(len(header))]
    lines = []
    for index, row in enumerate([header] + rows):
        lines.append("  ".join(cell.ljust(widths[c]) if c == 0 else cell.rjust(widths[c])
                               for c, cell in enumerate(row)).rstrip())
        if index == 0:
            lines.append("-" * len(lines[0]))
    return "\n".join(lines)


def versions():
    def first_line(argv):
        try:
            out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30, check=False).stdout
            return out.decode("utf-8", "replace").splitlines()[0]
        except (OSError, subprocess.SubprocessError, IndexError):
            return "?"
    return {
        "ansible": first_line([PLAYBOOK, "--version"]),
        "controller_python": first_line([os.path.join(VENV_BIN, "python"), "--version"]),
        "target_python": "%s (%s)" % (TARGET_PYTHON, first_line([TARGET_PYTHON, "--version"])),
        "kernel": "%s %s" % (platform.system(), platform.release()),
        "cpus": str(os.cpu_count()),
        "load": "%.2f %.2f %.2f" % os.getloadavg(),
    }


def save_results(args, info, samples):
    directory = os.path.join(REPO_ROOT, "bench", "results")
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, time.strftime("bench_ansible-%Y%m%dT%H%M%SZ.json", time.gmtime()))
    with open(path, "w") as handle:
        json.dump({"runs": args.runs, "size": args.size, "collection": args.collection, "versions": info, "samples": samples}, handle, indent=1)
    return path


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--runs", type=int, default=5, help="repetitions of each measurement (default 5)")
    parser.add_argument("--size", type=int, default=20, help="containers in the loop and batch scenarios (default 20)")
    parser.add_argument("--collection", default=REPO_ROOT, type=os.path.abspath,
                        help="collection tree to measure (default: this checkout; e.g. a `git archive` snapshot)")
    parser.add_argument("--no-results-file", action="store_true", help="do not write bench/results/<time>.json")
    args = parser.parse_args(argv)
    args.runs = max(1, args.runs)
    args.size = max(1, args.size)
    return args


def main(argv):
    args = parse_args(argv)
    if os.geteuid() != 0:
        print("bench_ansible.py: run as root (the modules need namespaces and cgroups)", file=sys.stderr)
        return 2
    if not os.access(PLAYBOOK, os.X_OK):
        print("bench_ansible.py: %s missing; run scripts/test.sh to create the venv" % PLAYBOOK, file=sys.stderr)
        return 2

    def on_term(signum, frame):
        raise Interrupted()
    signal.signal(signal.SIGTERM, on_term)

    began = time.monotonic()

    def log(text):
        print("[%5.1f s] %s" % (time.monotonic() - began, text), flush=True)

    bench = Bench(args.size, args.collection)
    samples = {}
    try:
        info = versions()
        for key in ("ansible", "controller_python", "target_python", "kernel", "cpus", "load"):
            print("%-18s %s" % (key + ":", info[key]))
        print("collection:        %s" % args.collection)
        print("runs: %d, containers per loop/batch: %d, workdir: %s\n" % (args.runs, args.size, bench.workdir))
        build_busybox_rootfs(bench.rootfs)
        run_scenarios(bench, args.runs, samples, log)
        rows, derived = evaluate(samples, args.size)
        info["load_after"] = "%.2f %.2f %.2f" % os.getloadavg()
        print("\nload average at the end: %s (1, 5, 15 min; the machine has %s CPUs)" % (info["load_after"], info["cpus"]))
        print("\n" + format_table(rows))
        print("\n" + "\n".join(derived), flush=True)
        if not args.no_results_file:
            print("\nsamples saved to %s" % save_results(args, info, samples))
        return 0 if all(row[4] != "MISS" for row in rows) else 1
    except BenchError as error:
        print("bench_ansible.py: %s" % error, file=sys.stderr)
        return 3
    finally:
        left = bench.cleanup()
        if left:
            print("cleanup: deleted %d leftover container(s): %s" % (len(left), " ".join(left)), file=sys.stderr)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (KeyboardInterrupt, Interrupted):
        print("\ninterrupted; containers, cgroups and temp dirs were cleaned up", file=sys.stderr)
        sys.exit(130)
