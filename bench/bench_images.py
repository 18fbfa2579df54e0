# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Images: this collection against podman, on the same machine and the same local registry.

    python3 bench/bench_images.py            # as root; a few minutes
    python3 bench/bench_images.py --quick    # smaller image, fewer runs

Rows (medians of alternating runs, milliseconds; ratio = ours / podman):

* pull + unpack: a multi-layer image (busybox plus incompressible layers, ~100 MB) from
  Debian's docker-registry on 127.0.0.1 into an empty store: ``ensure_image`` (skopeo copy and
  our unpacking) against ``podman pull`` into an empty ``--root``;
* create + start: a new ``sleep 1000`` container from the pulled image: ``ContainerManager``
  (what oci_container runs, without Ansible) against ``podman run -d --network none`` (with runc:
  crun refuses hybrid cgroup hosts);
* disk growth of the 20th container of the image (``du`` of the store, bundles and
  podman's root before and after it): only the writable layer on both sides.

Podman runs with its own ``--root``/``--runroot`` in the temp dir (``--cgroup-manager cgroupfs``,
``--events-backend file``), so the host's podman storage is not touched. Everything is removed
at the end, also on failure: containers, podman's mounts under its root, the registry, the temp dir.
"""
import argparse
import functools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

# crun refuses this machine's hybrid cgroups (cgroup2 with controllers beside v1); runc takes them.
RUNC = shutil.which("runc") or "runc"
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
sys.path.insert(0, os.path.join(REPO, "tests"))

from conftest import collection_import_root  # noqa: E402
import itest_helpers as H  # noqa: E402
from image_layouts import layer_tar, tree_tar, write_layout  # noqa: E402
from registry import Registry  # noqa: E402

sys.path.insert(0, collection_import_root())   # ansible_collections.opencontainer.runtime is this checkout
from ansible_collections.opencontainer.runtime.plugins.module_utils.container.manager import ContainerManager  # noqa: E402
from ansible_collections.opencontainer.runtime.plugins.module_utils.image.pull import ensure_image, resolve  # noqa: E402
from ansible_collections.opencontainer.runtime.plugins.module_utils.image.skopeo import Auth  # noqa: E402
from ansible_collections.opencontainer.runtime.plugins.module_utils.image.store import Store  # noqa: E402


def build_image(work, layers, layer_mb):
    rootfs = H.build_busybox_rootfs(os.path.join(work, "bb"))
    tars = [tree_tar(rootfs)]
    for index in range(layers):
        tars.append(layer_tar([("dir", "data"), ("file", "data/blob%d" % index, os.urandom(layer_mb * 1024 * 1024))]))
    layout = os.path.join(work, "layout")
    # gzip level 1: random data does not compress, and level 9 would only slow the build.
    write_layout(layout, tars, {"Cmd": ["sleep", "1000"]}, compress=[True] * len(tars))
    return layout


class Podman(object):
    def __init__(self, work):
        self.root = os.path.join(work, "podman-root")
        self.runroot = os.path.join(work, "podman-runroot")

    def cmd(self, *args):
        return ["podman", "--root", self.root, "--runroot", self.runroot, "--cgroup-manager", "cgroupfs",
                "--events-backend", "file", "--storage-driver", "overlay", "--runtime", RUNC] + list(args)

    def run(self, *args):
        proc = subprocess.run(self.cmd(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, timeout=600, check=False)
        if proc.returncode != 0:
            raise RuntimeError("podman %s: %s" % (" ".join(args), proc.stderr.decode(errors="replace").strip()))
        return proc.stdout

    def reset(self):
        subprocess.run(self.cmd("rm", "-af", "-t", "0"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=300, check=False)
        # conmon runs `podman container cleanup` after a container exits, which opens the storage
        # again (and bind-mounts its overlay directory): unmount until nothing comes back.
        quiet_since = None
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            mounts = H.host_mounts_under([self.root, self.runroot])
            for point in sorted(mounts, key=len, reverse=True):
                subprocess.run(["umount", "-l", point], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            if mounts:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > 1.0:
                break
            time.sleep(0.1)
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.runroot, ignore_errors=True)


def du(*paths):
    existing = [p for p in paths if os.path.exists(p)]
    if not existing:
        return 0
    out = subprocess.run(["du", "-s", "-x", "-c", "--block-size=1"] + existing, stdout=subprocess.PIPE, check=True).stdout
    return int(out.split()[-2])


def timed(func):
    start = time.monotonic()
    func()
    return (time.monotonic() - start) * 1000


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    runs, layers, layer_mb, containers = (2, 2, 5, 5) if args.quick else (3, 4, 25, 20)
    if os.geteuid() != 0:
        sys.exit("bench_images.py needs root")
    work = tempfile.mkdtemp(prefix="oci-bench-images-")
    os.chmod(work, 0o755)
    registry = Registry(os.path.join(work, "registry"))
    podman = Podman(work)
    ours = {"root": os.path.join(work, "state"), "names": []}
    samples = {"pull": {"ours": [], "podman": []}, "start": {"ours": [], "podman": []}}
    try:
        registry.start()
        layout = build_image(work, layers, layer_mb)
        ref = registry.push("oci:%s:latest" % layout, "bench/big:1")
        size = du(os.path.join(layout, "blobs"))
        for run in range(runs):
            store_dir = os.path.join(work, "store-pull")
            shutil.rmtree(store_dir, ignore_errors=True)
            store = Store(store_dir)
            order = ["ours", "podman"] if run % 2 == 0 else ["podman", "ours"]
            for who in order:
                if who == "ours":
                    samples["pull"][who].append(timed(functools.partial(
                        ensure_image, store, resolve(ref, store), "missing", Auth(tls_verify=False))))
                else:
                    podman.reset()
                    samples["pull"][who].append(timed(functools.partial(
                        podman.run, "pull", "--quiet", "--tls-verify=false", ref)))
        store = Store(os.path.join(work, "store-pull"))
        growth = {}
        for index in range(containers):
            name = "bimg-%s-%d" % (uuid.uuid4().hex[:6], index)
            params = dict(name=name, image=ref, image_store=store.root, state_root=ours["root"],
                          bundle_dir=os.path.join(work, "bundles", name), state="started", pull="missing",
                          image_validate_certs=False, stop_timeout=2, log_max_size=1048576)
            last = index == containers - 1
            before = du(store.root, os.path.join(work, "bundles")) if last else 0
            ours["names"].append(name)
            samples["start"]["ours"].append(timed(lambda: ContainerManager(params).converge()))
            if last:
                growth["ours"] = du(store.root, os.path.join(work, "bundles")) - before
            before = du(podman.root) if last else 0
            podman_args = ["run", "-d", "--network", "none", "--ulimit", "nofile=1024:1024",
                           "--ulimit", "nproc=1024:1024", "--name", name, ref, "sleep", "1000"]
            samples["start"]["podman"].append(timed(lambda: podman.run(*podman_args)))
            if last:
                growth["podman"] = du(podman.root) - before
        print("image: %d layers, %.1f MB of blobs; %d pull runs, %d containers" % (layers + 1, size / 1e6, runs, containers))
        print("%-34s %10s %10s %8s" % ("row", "ours", "podman", "ratio"))
        for key, label in (("pull", "pull + unpack (ms)"), ("start", "create + start from image (ms)")):
            a, b = statistics.median(samples[key]["ours"]), statistics.median(samples[key]["podman"])
            print("%-34s %10.0f %10.0f %8.2f" % (label, a, b, a / b))
        print("%-34s %10.0f %10.0f" % ("disk growth, container %d (KiB)" % containers,
                                       growth["ours"] / 1024, growth["podman"] / 1024))
    finally:
        for name in ours["names"]:
            try:
                ContainerManager(dict(name=name, state="absent", state_root=ours["root"], stop_timeout=1)).converge()
            except Exception as e:  # noqa: BLE001 - clean up the rest anyway
                print("cleanup of %s: %s" % (name, e), file=sys.stderr)
        podman.reset()
        registry.stop()
        leftovers = H.host_mounts_under([work])
        for point in sorted(leftovers, key=len, reverse=True):
            subprocess.run(["umount", "-l", point], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
