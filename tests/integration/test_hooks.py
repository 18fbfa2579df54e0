# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""POSIX-platform hooks (config.md "Hooks"): when they run, what they get on
stdin, args/env/timeout, and what a failing hook does to the operation."""
from __future__ import absolute_import, division, print_function

import json
import os
import time

import pytest

import itest_helpers as H

HOST_HOOKS = ["prestart", "createRuntime", "createContainer", "poststart", "poststop"]


def recording_hook(config, kind, out_dir, extra=""):
    """A host-side hook writing its stdin, $0/$1 and $HOOKVAR to out_dir and
    appending its kind to out_dir/order."""
    base = os.path.join(out_dir, kind)
    script = ('cat > {b}.json; echo "$0 $1" > {b}.args; echo "$HOOKVAR" > {b}.env; '
              'readlink /proc/self/ns/mnt > {b}.mntns; echo {k} >> {o}/order; {x}').format(
                  b=base, k=kind, o=out_dir, x=extra)
    H.add_hook(config, kind, "/bin/busybox", ["sh", "-c", script, "hook-" + kind, "arg1"],
               ["HOOKVAR=value-" + kind, "PATH=/bin:/usr/bin"])


def start_container_hook(oci, config):
    """startContainer runs in the container: its path is a script that only
    exists at /out/start-hook.sh inside the container."""
    script = oci.out_file("start-hook.sh")
    with open(script, "w") as handle:
        handle.write('#!/bin/sh\ncat > /out/startContainer.json\n'
                     'echo "$HOOKVAR" > /out/startContainer.env\n'
                     'readlink /proc/self/ns/mnt > /out/startContainer.mntns\n'
                     'echo startContainer >> /out/order\n')
    os.chmod(script, 0o755)
    H.add_hook(config, "startContainer", "/out/start-hook.sh", ["start-hook.sh"],
               ["HOOKVAR=value-startContainer"])


def read_json(path):
    with open(path) as handle:
        return json.load(handle)


def read_text(path):
    with open(path) as handle:
        return handle.read().strip()


@pytest.fixture
def hooked(oci):
    """A running-to-completion container with every hook kind recorded."""
    assert not os.path.exists("/out/start-hook.sh"), "host has /out: test would prove nothing"
    config = oci.config(["sh", "-c", "readlink /proc/self/ns/mnt > /out/container.mntns; "
                                     "echo main >> /out/order; sleep 0.2"])
    for kind in HOST_HOOKS:
        recording_hook(config, kind, oci.out)
    start_container_hook(oci, config)
    cid = oci.new_id()
    bundle = oci.bundle(config)
    oci.rt.create(cid, bundle).check()
    created = oci.rt.state(cid)
    oci.rt.start(cid).check()
    oci.rt.wait_status(cid, "stopped")
    before_delete = sorted(os.listdir(oci.out))
    oci.rt.delete(cid).check()
    return dict(cid=cid, bundle=bundle, pid=created["pid"], out=oci.out,
                before_delete=before_delete)


def test_hooks_run_in_order(hooked):
    order = read_text(os.path.join(hooked["out"], "order")).split()
    assert sorted(order) == sorted(HOST_HOOKS + ["startContainer", "main"])
    assert order.index("createRuntime") < order.index("createContainer")
    assert order.index("prestart") < order.index("createContainer")
    assert order.index("createContainer") < order.index("startContainer")
    assert order.index("startContainer") < order.index("main")
    assert order.index("poststart") < order.index("poststop")
    if H.binary_is_ours():
        # config.md: poststart runs after the user process was executed
        # (runc 1.1 may run it before the startContainer hooks).
        assert order.index("startContainer") < order.index("poststart")
    assert order[-1] == "poststop"
    # poststop runs at delete, not when the process exits.
    assert "poststop.json" not in hooked["before_delete"]


@pytest.mark.parametrize("kind", HOST_HOOKS + ["startContainer"])
def test_hook_gets_state_on_stdin(hooked, kind):
    state = read_json(os.path.join(hooked["out"], kind + ".json"))
    assert state["id"] == hooked["cid"]
    assert state["bundle"] == hooked["bundle"]
    assert state["ociVersion"]
    if kind != "poststop":
        if H.binary_is_ours() or kind not in ("createContainer", "startContainer"):
            assert state["pid"] == hooked["pid"]
        else:
            # runc 1.1 reports the pid as seen inside the container (1).
            assert state["pid"] in (hooked["pid"], 1)
    expected = {"createRuntime": "creating", "createContainer": "creating",
                "prestart": "creating", "startContainer": "created",
                "poststart": "running", "poststop": "stopped"}[kind]
    if H.binary_is_ours() or kind in ("poststop",):
        assert state["status"] == expected
    else:
        # runc 1.1 reports "created" for poststart.
        assert state["status"] in (expected, "created")


@pytest.mark.parametrize("kind", HOST_HOOKS)
def test_hook_args_and_env(hooked, kind):
    # busybox only runs `sh` when argv[0] is "sh", so the files exist only
    # when args[0] was passed as argv0; $0/$1 are the next args.
    assert read_text(os.path.join(hooked["out"], kind + ".args")) == "hook-%s arg1" % kind
    assert read_text(os.path.join(hooked["out"], kind + ".env")) == "value-" + kind


def test_start_container_hook_env(hooked):
    assert read_text(os.path.join(hooked["out"], "startContainer.env")) == "value-startContainer"


def test_hook_namespaces(hooked):
    out = hooked["out"]
    container_ns = read_text(os.path.join(out, "container.mntns"))
    host_ns = os.readlink("/proc/self/ns/mnt")
    assert container_ns != host_ns
    # createContainer and startContainer run in the container's mount ns.
    assert read_text(os.path.join(out, "createContainer.mntns")) == container_ns
    assert read_text(os.path.join(out, "startContainer.mntns")) == container_ns
    # The others run in the runtime's namespace.
    for kind in ("prestart", "createRuntime", "poststart", "poststop"):
        assert read_text(os.path.join(out, kind + ".mntns")) == host_ns, kind


def assert_nothing_left(oci, cid, config):
    assert not oci.rt.state_result(cid).ok
    assert not os.path.exists(os.path.join(oci.rt.root, cid))
    assert H.cgroup_dirs_under(config["linux"]["cgroupsPath"]) == {}


def test_failing_create_runtime_hook_fails_create(oci):
    config = oci.config(["true"])
    H.add_hook(config, "createRuntime", "/bin/busybox", ["sh", "-c", "exit 3"])
    cid = oci.new_id()
    H.assert_fails(oci.rt.create(cid, oci.bundle(config)))
    assert_nothing_left(oci, cid, config)


def test_failing_create_container_hook_fails_create(oci):
    config = oci.config(["true"])
    H.add_hook(config, "createContainer", "/bin/busybox", ["sh", "-c", "exit 4"])
    cid = oci.new_id()
    H.assert_fails(oci.rt.create(cid, oci.bundle(config)))
    assert_nothing_left(oci, cid, config)


def test_missing_hook_binary_fails_create(oci):
    config = oci.config(["true"])
    H.add_hook(config, "createRuntime", "/nonexistent/hook-binary")
    cid = oci.new_id()
    message = H.assert_fails(oci.rt.create(cid, oci.bundle(config)))
    if H.binary_is_ours():
        assert "/nonexistent/hook-binary" in message
    assert_nothing_left(oci, cid, config)


def test_hook_timeout_fails_operation(oci):
    config = oci.config(["true"])
    H.add_hook(config, "createRuntime", "/bin/busybox", ["sh", "-c", "sleep 10"], timeout=1)
    cid = oci.new_id()
    started = time.monotonic()
    H.assert_fails(oci.rt.create(cid, oci.bundle(config)))
    assert time.monotonic() - started < 8
    assert_nothing_left(oci, cid, config)


def test_hook_within_timeout_succeeds(oci):
    config = oci.config(["true"])
    H.add_hook(config, "createRuntime", "/bin/busybox",
               ["sh", "-c", "sleep 0.1; echo ok > %s" % oci.out_file("ok")], timeout=5)
    cid = oci.new_id()
    oci.rt.create(cid, oci.bundle(config)).check()
    assert H.wait_file(oci.out_file("ok")) == "ok\n"


@pytest.mark.ours
def test_failing_poststart_hook_only_warns(oci):
    # config.md: a failing poststart hook is logged as a warning and the
    # lifecycle continues.  (runc 1.1 instead kills the container.)
    config = oci.config(["sh", "-c", "sleep 0.3; echo done > /out/done"])
    H.add_hook(config, "poststart", "/bin/busybox", ["sh", "-c", "exit 5"])
    cid = oci.new_id()
    oci.rt.create(cid, oci.bundle(config)).check()
    result = oci.rt.start(cid)
    assert result.ok, result
    assert result.stderr.strip(), "no warning for the failing poststart hook"
    assert H.wait_file(oci.out_file("done")) == "done\n"


def test_failing_poststop_hook_does_not_block_delete(oci):
    config = oci.config(["true"])
    H.add_hook(config, "poststop", "/bin/busybox", ["sh", "-c", "exit 6"])
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(config))
    oci.rt.wait_status(cid, "stopped")
    oci.rt.delete(cid).check()
    assert not oci.rt.state_result(cid).ok


def test_poststop_runs_on_force_delete_of_running(oci):
    config = oci.config(["sleep", "30"])
    H.add_hook(config, "poststop", "/bin/busybox",
               ["sh", "-c", "cat > %s" % oci.out_file("poststop.json")])
    cid = oci.new_id()
    oci.rt.create_started(cid, oci.bundle(config))
    oci.rt.delete(cid, force=True).check()
    state = json.loads(H.wait_file(oci.out_file("poststop.json")))
    assert state["id"] == cid
    assert state["status"] == "stopped"
