# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ContainerManager.converge() against other processes: the name lock and planning again.

The runtime verbs are replaced by a small fake host (World) in which
"another process" can change the container right before one of our actions,
as `oci-runtime` on the command line can (it does not take the name lock).
"""
from __future__ import absolute_import, division, print_function

import copy
import errno
import fcntl
import os

import pytest

from ansible_collections.opencontainer.runtime.plugins.module_utils.container import bundles, manager
from ansible_collections.opencontainer.runtime.plugins.module_utils.container.desired import desired_container
from ansible_collections.opencontainer.runtime.plugins.module_utils.runtime.errors import (
    ContainerExists, ContainerNotFound, HookError, StatusError)


@pytest.fixture
def work(tmp_path):
    (tmp_path / "rootfs" / "etc").mkdir(parents=True)
    return tmp_path


def params(work, **kw):
    base = {"name": "web", "state": "started", "state_root": str(work / "state"), "rootfs": str(work / "rootfs"),
            "bundle_dir": str(work / "bundle"), "command": "sleep 100", "recreate": "auto", "restart": False,
            "readonly_rootfs": False}
    base.update(kw)
    return base


class World(object):
    """The containers of a fake host, and what another process does before our next action."""

    def __init__(self):
        self.containers = {}
        self.before = {}  # action -> [callables], each run once right before our action of that name
        self.log = []
        self.loads = 0
        self.load_hook = None

    def add(self, p, status):
        desired = desired_container(p)
        bundles.write(desired.bundle, desired.config)
        self.containers[p["name"]] = {"id": p["name"], "config": copy.deepcopy(desired.config),
                                      "bundle": desired.bundle, "status": status}

    def attach(self, m):
        world = self

        def load():
            world.loads += 1
            if world.load_hook:
                world.load_hook(world)
            found = world.containers.get(m.name)
            m.state = copy.deepcopy(found) if found else None
            m.status = found["status"] if found else "absent"

        def interfere(action):
            hooks = world.before.get(action) or []
            if hooks:
                hooks.pop(0)(world)

        def create():
            interfere("create")
            if m.name in world.containers:
                raise ContainerExists("container %s already exists" % m.name)
            world.containers[m.name] = {"id": m.name, "config": copy.deepcopy(m.desired.config),
                                        "bundle": m.desired.bundle, "status": "created"}
            world.log.append("create")
            m.state, m.status = copy.deepcopy(world.containers[m.name]), "created"

        def existing(action):
            interfere(action)
            if m.name not in world.containers:
                raise ContainerNotFound("container %s does not exist" % m.name)
            return world.containers[m.name]

        def start():
            c = existing("start")
            if c["status"] != "created":
                raise StatusError("cannot start container %s: it is %s" % (m.name, c["status"]))
            c["status"] = m.status = "running"
            world.log.append("start")

        def stop():
            c = existing("stop")
            if c["status"] not in ("running", "paused"):
                raise StatusError("cannot kill container %s: it is %s" % (m.name, c["status"]))
            c["status"] = m.status = "stopped"
            world.log.append("stop")

        def delete():
            existing("delete")
            del world.containers[m.name]
            world.log.append("delete")
            m.status = "absent"

        m.load = load
        m._do_create, m._do_start, m._do_stop, m._do_delete = create, start, stop, delete
        return m


def converge(world, p, check_mode=False):
    return world.attach(manager.ContainerManager(p, check_mode=check_mode)).converge()


def test_create_lost_to_another_creator_of_the_same_container_is_not_undone(work):
    world = World()
    p = params(work)
    world.before["create"] = [lambda w: w.add(p, "running")]
    result = converge(world, p)
    # Planned again: the container the other process made is the one asked for.
    assert result["actions"] == ["write_bundle"]
    assert world.containers["web"]["status"] == "running"
    assert world.log == []  # nothing of the other's container was deleted


def test_create_lost_to_a_different_container_recreates_it(work):
    world = World()
    p = params(work)
    world.before["create"] = [lambda w: w.add(params(work, command="sleep 5"), "running")]
    result = converge(world, p)
    # The other's bundle write came after ours: written again.
    assert result["actions"] == ["write_bundle", "stop", "delete", "write_bundle", "create", "start"]
    assert world.containers["web"]["config"]["process"]["args"] == ["sleep", "100"]
    assert world.containers["web"]["status"] == "running"


def test_absent_whose_container_another_process_removed_succeeds(work):
    world = World()
    p = params(work)
    world.add(p, "running")
    world.before["stop"] = [lambda w: w.containers.clear()]
    result = converge(world, params(work, state="absent"))
    assert result["actions"] == []
    assert not result["changed"]
    assert world.containers == {}


def test_start_of_a_container_another_process_started_is_done(work):
    world = World()
    p = params(work)
    world.add(p, "created")

    def start_it(w):
        w.containers["web"]["status"] = "running"
    world.before["start"] = [start_it]
    result = converge(world, p)
    assert result["actions"] == []
    assert world.containers["web"]["status"] == "running"


def test_start_whose_init_another_process_killed_makes_the_container_again(work):
    from ansible_collections.opencontainer.runtime.plugins.module_utils.runtime.lifecycle.start import InitUnreachable
    world = World()
    p = params(work)
    world.add(p, "created")
    m = world.attach(manager.ContainerManager(p))
    real_start = m._do_start
    calls = []

    def start():
        calls.append(1)
        if len(calls) == 1:  # `oci-runtime kill` got the waiting init first
            world.containers["web"]["status"] = "stopped"
            raise InitUnreachable("cannot reach the container's init: Connection refused")
        real_start()
    m._do_start = start
    result = m.converge()
    assert result["actions"] == ["delete", "create", "start"]  # the failed start is not among what was done
    assert world.log == ["delete", "create", "start"]
    assert world.containers["web"]["status"] == "running"


def test_stop_of_a_container_that_vanished_then_came_back_running(work):
    world = World()
    p = params(work, state="stopped")
    world.add(p, "running")
    world.before["stop"] = [lambda w: w.containers.clear(), lambda w: None]
    world.before["create"] = [lambda w: w.add(p, "running")]
    result = converge(world, p)
    # stop: gone; plan again: create; exists (running); plan again: stop.
    assert result["actions"] == ["stop"]
    assert world.containers["web"]["status"] == "stopped"


def test_it_plans_again_at_most_replans_times(work):
    world = World()
    p = params(work)
    world.before["create"] = [lambda w: w.add(p, "stopped")] * 20
    world.before["delete"] = [lambda w: w.containers.clear()] * 20
    with pytest.raises(ContainerNotFound) as caught:
        converge(world, p)
    # Each plan: absent -> create (lost: it is there, stopped) -> delete, create, start (lost: gone) ...
    assert world.loads == 1 + manager.REPLANS + 1  # the look before the lock, the plan under it, the replans
    # The last try fails as any failure does: what this run wrote for its create is removed.
    assert caught.value.partial_result["rolled_back"] == ["write_bundle"]


def test_a_real_failure_is_undone_and_not_retried(work):
    world = World()
    p = params(work)
    m = world.attach(manager.ContainerManager(p))

    def failing_start():
        raise HookError("startContainer hook failed")
    m._do_start = failing_start
    with pytest.raises(HookError) as caught:
        m.converge()
    assert world.loads == 2  # before and under the lock; no more
    assert world.log == ["create", "delete"]
    assert caught.value.partial_result["rolled_back"] == ["create", "write_bundle"]
    assert not os.path.exists(str(work / "bundle"))


def test_a_container_being_created_elsewhere_is_waited_for(work, monkeypatch):
    world = World()
    p = params(work)
    world.add(p, "creating")

    def settle(w):
        if w.loads == 3:
            w.containers["web"]["status"] = "running"
    world.load_hook = settle
    result = converge(world, p)
    assert result["actions"] == [] and world.loads == 3  # nothing to do: no second plan
    monkeypatch.setattr(manager, "CREATING_WAIT", 0.0)
    world.containers["web"]["status"] = "creating"
    world.load_hook = None
    with pytest.raises(manager.ContainerBusy, match="being created by another process"):
        converge(world, p)


def _lock_is_free(path):
    """Whether another process can lock the name's file now (record locks are per process)."""
    if not os.path.exists(path):
        return True
    pid = os.fork()
    if pid == 0:
        fd = os.open(path, os.O_RDWR)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os._exit(0)
        except OSError as e:
            os._exit(1 if e.errno in (errno.EAGAIN, errno.EACCES) else 2)
    code = os.waitpid(pid, 0)[1] >> 8
    assert code in (0, 1)
    return code == 0


def test_the_name_is_locked_from_plan_to_the_last_action(work):
    world = World()
    p = params(work)
    lock_file = os.path.join(p["state_root"], ".locks", "web.lock")
    seen = []
    world.load_hook = lambda w: seen.append(("load", _lock_is_free(lock_file)))
    world.before["start"] = [lambda w: seen.append(("start", _lock_is_free(lock_file)))]
    converge(world, p)
    assert seen == [("load", True), ("load", False), ("start", False)]  # planned first without it
    assert _lock_is_free(lock_file)
    # absent: the name has no container any more, and no lock file either.
    converge(world, params(work, state="absent"))
    assert world.containers == {}
    assert not os.path.exists(lock_file)


def test_check_mode_and_absent_without_a_state_root_lock_nothing(work):
    world = World()
    converge(world, params(work), check_mode=True)
    converge(world, params(work, state="absent"))
    assert not os.path.exists(str(work / "state"))


def test_bad_options_fail_before_anything_is_made(work):
    from ansible_collections.opencontainer.runtime.plugins.module_utils.container.desired import OptionError
    with pytest.raises(OptionError):
        converge(World(), params(work, rootfs=str(work / "missing")))
    assert not os.path.exists(str(work / "state"))


def test_a_run_with_nothing_to_do_takes_no_lock_and_writes_nothing(work):
    world = World()
    p = params(work)
    world.add(p, "running")
    os.makedirs(p["state_root"])
    world.load_hook = lambda w: None
    result = converge(world, p)
    assert result["actions"] == [] and world.loads == 1
    assert os.listdir(p["state_root"]) == []


def test_a_run_that_acts_plans_again_under_the_lock(work):
    """What another run did between the first look and the lock counts: here it made the container already."""
    world = World()
    p = params(work)

    def other_run_finishes(w):
        if w.loads == 2:  # after our first look, before our plan under the lock
            w.add(p, "running")
    world.load_hook = other_run_finishes
    result = converge(world, p)
    assert world.loads == 2
    assert result["actions"] == [] and not result["changed"]
    assert world.log == []
