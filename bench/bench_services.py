# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restart policies and health checks: what they cost (ours only; runc and crun have neither).

    python3 bench/bench_services.py [--runs 10]

Rows (medians over --runs):
- crash to running again: SIGKILL of the init of a running `sleep 1000` container with
  restart policy `always`, until its state.json says running with a new pid. Each sample is a
  fresh container, so the backoff is docker's first one (100 ms), which is included;
- the same minus that 100 ms: the restart itself (monitor decision, helper start, delete of
  the old container's resources, create, start);
- monitor RssAnon kB: a plain container's monitor, one with a restart policy (idle), and one
  running a health check every second (read after 5 checks).
"""
from __future__ import absolute_import, division, print_function

import json
import os
import signal
import statistics
import sys
import tempfile
import time
import shutil

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench  # noqa: E402


def read_state(runtime, cid):
    try:
        with open(os.path.join(runtime.root, cid, "state.json")) as handle:
            return json.load(handle)
    except (IOError, OSError, ValueError):
        return {}


def started(runtime, bundles, cid, args, annotations):
    bundle = bundles.make(runtime, cid, args)
    path = os.path.join(bundle, "config.json")
    with open(path) as handle:
        config = json.load(handle)
    config.setdefault("annotations", {}).update(annotations)
    with open(path, "w") as handle:
        json.dump(config, handle)
    runtime.call("create", "--bundle", bundle, cid)
    runtime.call("start", cid)
    return read_state(runtime, cid)


def crash_to_running(runtime, bundles, cid):
    state = started(runtime, bundles, cid, ["sleep", "1000"], {"org.opencontainer.runtime.restart": "always"})
    time.sleep(0.2)
    old = state["pid"]
    began = time.perf_counter()
    os.kill(old, signal.SIGKILL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        now = read_state(runtime, cid)
        if now.get("status") == "running" and now.get("pid") not in (None, old):
            elapsed = time.perf_counter() - began
            runtime.call("delete", "--force", cid)
            return elapsed
        time.sleep(0.001)
    raise bench.BenchError("%s did not come back within 20 s" % cid)


def main(argv):
    runs = int(argv[argv.index("--runs") + 1]) if "--runs" in argv else 10
    if os.geteuid() != 0:
        print("bench_services.py: run as root", file=sys.stderr)
        return 2
    workdir = tempfile.mkdtemp(prefix="ocibench-svc-")
    os.environ["OCI_RUNTIME_SERVICES_DIR"] = os.path.join(workdir, "services")
    runtime = bench.Runtime("ours", bench.OURS, workdir)
    try:
        bundles = bench.Bundles(workdir, bench.spec_template([bench.OURS], workdir))
        crash = [crash_to_running(runtime, bundles, "crash%d" % i) for i in range(runs)]
        plain = started(runtime, bundles, "plain", ["sleep", "1000"], {})
        policy = started(runtime, bundles, "policy", ["sleep", "1000"], {"org.opencontainer.runtime.restart": "always"})
        check = json.dumps({"test": ["true"], "interval": 1.0, "timeout": 5.0, "retries": 3})
        checked = started(runtime, bundles, "checked", ["sleep", "1000"],
                          {"org.opencontainer.runtime.restart": "always", "org.opencontainer.runtime.healthcheck": check})
        time.sleep(1.0)
        idle = [bench.monitor_rss_kb(runtime, "plain"), bench.monitor_rss_kb(runtime, "policy")]
        deadline = time.monotonic() + 20
        health_rss = []
        while time.monotonic() < deadline and len((read_state(runtime, "checked").get("health") or {}).get("log", [])) < 5:
            health_rss.append(bench.monitor_rss_kb(runtime, "checked"))
            time.sleep(0.05)
        health_rss.append(bench.monitor_rss_kb(runtime, "checked"))
        del plain, policy, checked
        median = statistics.median(crash) * 1000
        print("crash to running again (always), median of %d: %.0f ms (min %.0f, max %.0f)"
              % (runs, median, min(crash) * 1000, max(crash) * 1000))
        print("  of which docker's first backoff: 100 ms; the restart itself: %.0f ms" % (median - 100))
        print("monitor RssAnon kB: plain %s, restart policy (idle) %s, health check every 1 s: %s (max while checking %s)"
              % (idle[0], idle[1], health_rss[-1], max(v for v in health_rss if v)))
        return 0
    finally:
        for cid in runtime.ids():
            runtime.quiet("delete", "--force", cid)
        bench.remove_leftover_cgroups()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
