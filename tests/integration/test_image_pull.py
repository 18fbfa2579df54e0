# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Images against real components: Debian's docker-registry on 127.0.0.1, skopeo, real containers.

The image is written by the test from the busybox rootfs plus layers with a
deleted file, an opaque directory, hard links and symlinks, one gzip and
one uncompressed layer, and a config with Entrypoint/Cmd/Env/User/
WorkingDir/StopSignal.
"""
from __future__ import absolute_import, division, print_function

import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import itest_helpers as H  # noqa: E402
from image_layouts import layer_tar, tree_tar, write_layout  # noqa: E402
from registry import REGISTRY, Registry  # noqa: E402
from ansible_collections.opencontainer.runtime.plugins.module_utils.container.manager import ContainerManager  # noqa: E402
from ansible_collections.opencontainer.runtime.plugins.module_utils.image import manage  # noqa: E402
from ansible_collections.opencontainer.runtime.plugins.module_utils.image.errors import ImageError  # noqa: E402
from ansible_collections.opencontainer.runtime.plugins.module_utils.image.pull import ensure_image, resolve  # noqa: E402
from ansible_collections.opencontainer.runtime.plugins.module_utils.image.skopeo import Auth  # noqa: E402
from ansible_collections.opencontainer.runtime.plugins.module_utils.image.store import Store  # noqa: E402

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
    pytest.mark.skipif(not shutil.which("skopeo"), reason="skopeo is missing (apt-get install skopeo)"),
]
CONFIG = {"Entrypoint": ["/bin/sh", "-c"],
          "Cmd": ["id; pwd; echo GREETING=$GREETING; ls /data; test -e /gone || echo gone-is-gone; "
                  "cat /app/conf; sleep 1000"],
          "Env": ["GREETING=hello", "PATH=/bin:/usr/bin"], "User": "user", "WorkingDir": "/app",
          "StopSignal": "SIGINT", "Labels": {"org.example.team": "images"}, "ExposedPorts": {"8080/tcp": {}}}


@pytest.fixture(scope="module")
def base_tar(tmp_path_factory):
    if not os.path.exists("/bin/busybox"):
        pytest.skip("busybox-static is missing")
    return tree_tar(H.build_busybox_rootfs(str(tmp_path_factory.mktemp("bb") / "rootfs")))


def build_image(layout, base_tar, marker="v1", tag="latest"):
    middle = layer_tar([("dir", "app"), ("file", "app/conf", "conf " + marker + "\n"), ("dir", "data"),
                        ("file", "data/old1", "1"), ("file", "data/old2", "2"), ("file", "gone", "x"),
                        ("hardlink", "app/conf-link", "app/conf"), ("symlink", "app/passwd", "/etc/passwd")])
    top = layer_tar([("whiteout", "gone"), ("opaque", "data"), ("file", "data/new", "n")])
    return write_layout(layout, [base_tar, middle, top], CONFIG, tag=tag, compress=[True, False, True])


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    if not os.path.exists(REGISTRY):
        pytest.skip("docker-registry is missing (apt-get install docker-registry)")
    reg = Registry(str(tmp_path_factory.mktemp("registry"))).start()
    yield reg
    reg.stop()


@pytest.fixture
def store(tmp_path):
    return Store(str(tmp_path / "store"))


class Containers(object):
    """Containers made through ContainerManager; all removed at the end, and no mount left."""

    def __init__(self, tmp_path, store):
        self.tmp = str(tmp_path)
        self.store = store
        self.state_root = str(tmp_path / "state")
        self.names = []

    def params(self, name, image, **extra):
        params = dict(name=name, image=image, image_store=self.store.root, state_root=self.state_root,
                      bundle_dir=os.path.join(self.tmp, "bundles", name), state="started", pull="missing",
                      image_validate_certs=False, stop_timeout=5, log_max_size=1048576)
        params.update(extra)
        return params

    def converge(self, name, image, check_mode=False, **extra):
        if name not in self.names:
            self.names.append(name)
        return ContainerManager(self.params(name, image, **extra), check_mode=check_mode).converge()

    def output(self, result, expect):
        deadline = time.monotonic() + 10
        text = ""
        while time.monotonic() < deadline:
            try:
                with open(result["container"]["log_path"]) as handle:
                    text = handle.read()
            except FileNotFoundError:
                text = ""   # the monitor creates it with the first output
            if expect in text:
                return text
            time.sleep(0.05)
        raise AssertionError("%r not in output %r" % (expect, text))

    def cleanup(self):
        for name in self.names:
            ContainerManager(dict(name=name, state="absent", state_root=self.state_root)).converge()
        assert H.host_mounts_under([self.tmp]) == []


@pytest.fixture
def containers(tmp_path, store):
    ctx = Containers(tmp_path, store)
    yield ctx
    ctx.cleanup()


def uid():
    return uuid.uuid4().hex[:8]


def test_pull_from_registry_unpacks_each_layer_once(tmp_path, base_tar, registry, store):
    build_image(str(tmp_path / "layout"), base_tar)
    name = registry.push("oci:%s:latest" % (tmp_path / "layout"), "test/pull-%s:1" % uid())
    auth = Auth(tls_verify=False)
    first = ensure_image(store, resolve(name, store), "missing", auth)
    assert first.changed and first.record["names"] == [name]
    layers = [store.layer_dir(layer["diff_id"]) for layer in first.record["layers"]]
    assert len(layers) == 3 and all(os.path.isdir(p) for p in layers)
    # The overlayfs form of the top layer: a whiteout and an opaque directory.
    assert os.stat(os.path.join(layers[2], "gone"), follow_symlinks=False).st_rdev == 0
    assert os.getxattr(os.path.join(layers[2], "data"), "trusted.overlay.opaque") == b"y"
    assert os.stat(os.path.join(layers[1], "app", "conf-link")).st_ino == os.stat(os.path.join(layers[1], "app", "conf")).st_ino
    again = ensure_image(store, resolve(name, store), "missing", auth)
    assert not again.changed
    always = ensure_image(store, resolve(name, store), "always", auth)
    assert not always.changed and always.record["digest"] == first.record["digest"]
    # A second image with the same base layer: that layer is not unpacked again.
    base_inode = os.stat(layers[0]).st_ino
    build_image(str(tmp_path / "layout2"), base_tar, marker="v2")
    other = registry.push("oci:%s:latest" % (tmp_path / "layout2"), "test/other-%s:1" % uid())
    second = ensure_image(store, resolve(other, store), "missing", auth)
    assert second.record["layers"][0]["diff_id"] == first.record["layers"][0]["diff_id"]
    assert os.stat(layers[0]).st_ino == base_inode
    assert sorted(os.listdir(store.layers)) == sorted(set(
        os.path.basename(store.layer_dir(layer["diff_id"])) for r in (first, second) for layer in r.record["layers"]))


def test_pull_never_and_check_mode_fetch_nothing(tmp_path, base_tar, registry, store):
    build_image(str(tmp_path / "layout"), base_tar)
    name = registry.push("oci:%s:latest" % (tmp_path / "layout"), "test/check-%s:1" % uid())
    with pytest.raises(ImageError, match="pull is never"):
        ensure_image(store, resolve(name, store), "never")
    result = ensure_image(store, resolve(name, store), "missing", Auth(tls_verify=False), check_mode=True)
    assert result.changed and result.record is None
    assert not os.path.exists(store.root) or os.listdir(store.layers) == []


def test_pull_always_follows_a_re_pushed_tag_and_collects_the_old_layers(tmp_path, base_tar, registry, store):
    name = "test/always-%s:1" % uid()
    build_image(str(tmp_path / "v1"), base_tar, marker="v1")
    ref = registry.push("oci:%s:latest" % (tmp_path / "v1"), name)
    auth = Auth(tls_verify=False)
    first = ensure_image(store, resolve(ref, store), "always", auth)
    build_image(str(tmp_path / "v2"), base_tar, marker="v2")
    registry.push("oci:%s:latest" % (tmp_path / "v2"), name)
    assert ensure_image(store, resolve(ref, store), "always", auth, check_mode=True).changed
    second = ensure_image(store, resolve(ref, store), "always", auth)
    assert second.changed and second.record["digest"] != first.record["digest"]
    # The old image lost its only name and no container uses it: its own layer went.
    assert not os.path.exists(store.record_path(first.record["digest"]))
    assert not os.path.exists(store.layer_dir(first.record["layers"][1]["diff_id"]))
    assert os.path.isdir(store.layer_dir(first.record["layers"][0]["diff_id"]))   # shared base stays


def test_tls_registry_with_basic_auth(tmp_path, base_tar, store):
    if not os.path.exists(REGISTRY):
        pytest.skip("docker-registry is missing")
    reg = Registry(str(tmp_path / "reg"), tls=True, user="puller", password="s3cret-%s" % uid()).start()
    try:
        build_image(str(tmp_path / "layout"), base_tar)
        ref = reg.push("oci:%s:latest" % (tmp_path / "layout"), "private/app:1")
        with pytest.raises(ImageError, match="skopeo failed"):
            ensure_image(store, resolve(ref, store), "missing", Auth())
        with pytest.raises(ImageError, match="skopeo failed"):
            ensure_image(store, resolve(ref, store), "missing", Auth("puller", "wrong"))
        result = ensure_image(store, resolve(ref, store), "missing", Auth("puller", reg.password))
        assert result.changed and result.record["names"] == [ref]
    finally:
        reg.stop()


@pytest.mark.parametrize("transport", ["docker-archive", "oci-archive"])
def test_archives(tmp_path, base_tar, store, transport):
    build_image(str(tmp_path / "layout"), base_tar)
    archive = str(tmp_path / "image.tar")
    dest = "%s:%s" % (transport, archive) + (":example.com/app:1" if transport == "docker-archive" else "")
    subprocess.run(["skopeo", "copy", "--quiet", "oci:%s:latest" % (tmp_path / "layout"), dest],
                   check=True, timeout=120, stdin=subprocess.DEVNULL)
    result = ensure_image(store, resolve("%s:%s" % (transport, archive), store))
    assert result.changed and len(result.record["layers"]) == 3
    assert result.record["config"]["config"]["Entrypoint"] == ["/bin/sh", "-c"]


def test_container_from_image_uses_config_defaults_and_shares_layers(tmp_path, base_tar, registry, containers):
    build_image(str(tmp_path / "layout"), base_tar)
    ref = registry.push("oci:%s:latest" % (tmp_path / "layout"), "test/run-%s:1" % uid())
    planned = containers.converge("img-a-" + uid(), ref, check_mode=True)
    assert planned["changed"] and planned["actions"][0] == "pull"
    assert not os.path.exists(containers.store.layers) or os.listdir(containers.store.layers) == []
    first_name = "img-a-" + uid()
    first = containers.converge(first_name, ref)
    assert first["actions"] == ["pull", "write_bundle", "create", "start"]
    text = containers.output(first, "conf v1")
    assert "uid=1000(user) gid=1000(user) groups=10(wheel),20(dialout)" in text
    assert "\n/app\n" in text and "GREETING=hello" in text and "gone-is-gone" in text
    assert "new\n" in text and "old1" not in text          # the opaque directory hides the lower data/
    assert first["image"]["exposed_ports"] == ["8080/tcp"]
    annotations = first["container"]["annotations"]
    assert annotations["org.example.team"] == "images"
    assert annotations["org.opencontainers.image.stopSignal"] == "SIGINT"
    assert annotations["org.opencontainers.image.exposedPorts"] == "8080/tcp"
    assert H.host_mounts_under([str(tmp_path)]) == []          # the overlay is in the container's namespace only
    assert not containers.converge(first_name, ref)["changed"]
    # Options override the image: command replaces Cmd, env merges, user and workdir replace.
    second_name = "img-b-" + uid()
    before = _disk_usage(containers.store.layers) + _disk_usage(containers.store.layout)
    second = containers.converge(second_name, ref, command=["echo $GREETING $EXTRA; id -u; pwd; sleep 1000"],
                                 env={"EXTRA": "x", "GREETING": "bye"}, user="nobody", workdir="/data")
    text = containers.output(second, "/data")
    assert "bye x\n65534\n/data" in text
    # Nothing copied for the second container: layers and blobs as they were, its bundle small.
    assert _disk_usage(containers.store.layers) + _disk_usage(containers.store.layout) == before
    assert _disk_usage(os.path.join(containers.tmp, "bundles", second_name)) < 64 * 1024
    third_name = "img-c-" + uid()
    third = containers.converge(third_name, ref, entrypoint=["/bin/echo"], command=["from", "entrypoint"])
    containers.output(third, "from entrypoint")
    users = containers.store.users_of(first["image"]["digest"])
    assert len(users) == 3
    with pytest.raises(ImageError, match="used by the containers"):
        manage.absent({"name": ref, "image_store": containers.store.root})
    for name in (first_name, second_name, third_name):
        result = ContainerManager(dict(name=name, state="absent", state_root=containers.state_root)).converge()
        assert result["changed"]
        assert not os.path.exists(os.path.join(containers.tmp, "bundles", name))
    assert containers.store.users_of(first["image"]["digest"]) == []
    gone = manage.absent({"name": ref, "image_store": containers.store.root})
    assert gone["actions"] == ["remove"] and os.listdir(containers.store.layers) == []


def test_new_digest_recreates_the_container_and_same_digest_does_not(tmp_path, base_tar, registry, containers):
    repo = "test/recreate-%s:1" % uid()
    build_image(str(tmp_path / "v1"), base_tar, marker="v1")
    ref = registry.push("oci:%s:latest" % (tmp_path / "v1"), repo)
    name = "img-r-" + uid()
    first = containers.converge(name, ref, pull="always")
    containers.output(first, "conf v1")
    same = containers.converge(name, ref, pull="always")
    assert not same["changed"] and same["actions"] == []
    build_image(str(tmp_path / "v2"), base_tar, marker="v2")
    registry.push("oci:%s:latest" % (tmp_path / "v2"), repo)
    planned = containers.converge(name, ref, pull="always", check_mode=True)
    assert planned["changed"] and "pull" in planned["actions"] and "create" in planned["actions"]
    second = containers.converge(name, ref, pull="always")
    assert second["actions"] == ["pull", "stop", "delete", "create", "start"] or \
        second["actions"] == ["pull", "stop", "delete", "write_bundle", "create", "start"]
    assert second["diff"]["before"]["config"]["image"] == first["image"]["digest"]
    assert second["diff"]["after"]["config"]["image"] == second["image"]["digest"]
    containers.output(second, "conf v2")
    assert not containers.converge(name, ref, pull="always")["changed"]


def test_container_comes_back_after_its_processes_are_gone(tmp_path, base_tar, containers):
    """A reboot, simulated: the container's processes are killed (its mount namespace, and
    with it the overlay, is gone); the next converge starts it again from the same layers."""
    build_image(str(tmp_path / "layout"), base_tar)
    ref = "oci:%s:latest" % (tmp_path / "layout")
    name = "img-boot-" + uid()
    first = containers.converge(name, ref)
    containers.output(first, "conf v1")
    os.kill(first["container"]["pid"], 9)
    os.kill(containers_monitor(containers, name), 9)
    time.sleep(0.3)
    again = containers.converge(name, ref)
    assert again["changed"] and again["actions"][-2:] == ["create", "start"]
    assert again["container"]["status"] == "running"
    assert H.host_mounts_under([str(tmp_path)]) == []


def containers_monitor(containers, name):
    import json
    with open(os.path.join(containers.state_root, name, "state.json")) as handle:
        return json.load(handle)["monitor_pid"]


def _disk_usage(path):
    return int(subprocess.run(["du", "-s", "--block-size=1", path], stdout=subprocess.PIPE,
                              check=True).stdout.split()[0])


def test_force_removes_an_image_in_use_and_its_layers_go_with_the_container(tmp_path, base_tar, containers):
    build_image(str(tmp_path / "layout"), base_tar)
    ref = "oci:%s:latest" % (tmp_path / "layout")
    name = "img-force-" + uid()
    first = containers.converge(name, ref)
    containers.output(first, "conf v1")
    layers = [containers.store.layer_dir(layer["diff_id"]) for layer in
              containers.store.find(first["image"]["digest"])["layers"]]
    removed = manage.absent({"name": ref, "image_store": containers.store.root, "force": True})
    assert removed["actions"] == ["remove"] and removed["used_by"] == ["%s/%s" % (containers.state_root, name)]
    assert all(os.path.isdir(p) for p in layers)            # the running container still needs them
    assert manage.info({"image_store": containers.store.root})["images"] == []
    ContainerManager(dict(name=name, state="absent", state_root=containers.state_root)).converge()
    assert not any(os.path.exists(p) for p in layers)


def test_a_user_namespace_is_refused_with_an_image(tmp_path, base_tar, containers):
    build_image(str(tmp_path / "layout"), base_tar)
    with pytest.raises(Exception, match="user namespace"):
        containers.converge("img-userns-" + uid(), "oci:%s:latest" % (tmp_path / "layout"),
                            namespaces=["pid", "mount", "uts", "user"],
                            spec={"linux": {"uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
                                            "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]}})


def test_docker_schema2_image_is_converted_and_re_pulls_stay_idempotent(tmp_path, base_tar, registry, store):
    """Most of Docker Hub serves Docker schema 2 manifests; the store keeps OCI ones (skopeo converts),
    so pull: always compares the source's own digest, not the converted one."""
    import json
    build_image(str(tmp_path / "layout"), base_tar)
    ref = registry.push("oci:%s:latest" % (tmp_path / "layout"), "test/v2s2-%s:1" % uid(), manifest_format="v2s2")
    raw = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + ref],
                         stdout=subprocess.PIPE, check=True).stdout
    assert json.loads(raw)["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    auth = Auth(tls_verify=False)
    first = ensure_image(store, resolve(ref, store), "always", auth)
    assert first.changed and len(first.record["layers"]) == 3
    assert first.record["source_digest"] != first.record["digest"]
    assert not ensure_image(store, resolve(ref, store), "always", auth).changed


def test_another_name_of_the_same_image_does_not_recreate(tmp_path, base_tar, registry, containers):
    build_image(str(tmp_path / "layout"), base_tar)
    ref = registry.push("oci:%s:latest" % (tmp_path / "layout"), "test/names-%s:1" % uid())
    name = "img-n-" + uid()
    first = containers.converge(name, ref)
    by_digest = "%s@%s" % (ref.rsplit(":", 1)[0], containers.store.find(first["image"]["digest"])["source_digest"])
    again = containers.converge(name, by_digest)
    # The store learns the new name (a pull that reuses every blob and layer); the container stays.
    assert again["image"]["digest"] == first["image"]["digest"]
    assert again["actions"] == ["pull"] and again["container"]["pid"] == first["container"]["pid"]
    assert not containers.converge(name, by_digest)["changed"]


def test_a_hostile_image_is_refused_and_leaves_the_store_clean(tmp_path, base_tar, store):
    outside = tmp_path / "outside"
    outside.mkdir()
    hostile = layer_tar([("symlink", "escape", str(outside)), ("file", "escape/pwned", "x")])
    write_layout(str(tmp_path / "layout"), [base_tar, hostile], CONFIG)
    with pytest.raises(ImageError, match="refusing to follow"):
        ensure_image(store, resolve("oci:%s:latest" % (tmp_path / "layout"), store))
    assert os.listdir(str(outside)) == []
    assert os.listdir(store.layers) == [] and store.records() == []
    assert os.listdir(os.path.join(store.layout, "blobs", "sha256")) == []


def test_a_half_unpacked_layer_is_never_used(tmp_path, base_tar, store):
    """A crash while unpacking leaves a .tmp- directory: the next pull removes it and unpacks again."""
    build_image(str(tmp_path / "layout"), base_tar)
    ref = "oci:%s:latest" % (tmp_path / "layout")
    first = ensure_image(store, resolve(ref, store))
    top = store.layer_dir(first.record["layers"][2]["diff_id"])
    with store:
        store.remove_image(first.record)
        store.collect_garbage()
    crashed = os.path.join(store.layers, ".tmp-%s-crash" % os.path.basename(top)[:12])
    os.makedirs(os.path.join(crashed, "data"))   # a partial copy of the top layer
    again = ensure_image(store, resolve(ref, store))
    assert again.changed and not os.path.exists(crashed)
    assert os.getxattr(os.path.join(top, "data"), "trusted.overlay.opaque") == b"y"


def test_image_container_with_a_restart_policy_comes_back_at_boot(tmp_path, base_tar, containers, monkeypatch):
    """Issue 19 with images: after a simulated reboot (monitor and init SIGKILLed, the state
    root's tmpfs unmounted and mounted fresh) `oci-runtime boot` runs the container again on
    the image's layers, and no mount is left on the host."""
    monkeypatch.setenv("OCI_RUNTIME_SERVICES_DIR", str(tmp_path / "services"))
    build_image(str(tmp_path / "layout"), base_tar)
    ref = "oci:%s:latest" % (tmp_path / "layout")
    name = "img-svc-" + uid()
    root = containers.state_root
    os.makedirs(root, 0o700)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0700,size=16m", "tmpfs", root], check=True)
    try:
        first = containers.converge(name, ref, restart_policy="always")
        containers.output(first, "conf v1")
        os.kill(containers_monitor(containers, name), 9)  # the monitor first: it must not restart it
        os.kill(first["container"]["pid"], 9)
        H.wait_for(lambda: not H.pid_alive(first["container"]["pid"]), 10, what="init gone")
        subprocess.run(["umount", root], check=True)
        assert not os.listdir(root)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0700,size=16m", "tmpfs", root], check=True)
        binary = H.runtime_binary()
        with open(str(tmp_path / "boot.out"), "w") as out:
            code = subprocess.run([binary, "--root", root, "boot"], stdout=out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, timeout=120, check=False).returncode
        assert code == 0, open(str(tmp_path / "boot.out")).read()
        probe = subprocess.run([binary, "--root", root, "exec", name, "cat", "/app/conf"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, universal_newlines=True, timeout=30, check=False)
        assert probe.returncode == 0 and probe.stdout == "conf v1\n", probe
        assert H.host_mounts_under([str(tmp_path / "store"), str(tmp_path / "bundles")]) == []
    finally:
        for created in containers.names:
            ContainerManager(dict(name=created, state="absent", state_root=root)).converge()
        containers.names = []  # gone: the fixture's cleanup checks the mounts, after this umount
        subprocess.run(["umount", "-l", root], check=False)
