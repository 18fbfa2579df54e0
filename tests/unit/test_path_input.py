# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Paths that cannot name a file are refused where they enter, naming the flag or option."""
from __future__ import absolute_import, division, print_function

import os

import pytest

from ansible_collections.opencontainer.runtime.plugins.module_utils.container import manager
from ansible_collections.opencontainer.runtime.plugins.module_utils.container.desired import OptionError
from ansible_collections.opencontainer.runtime.plugins.module_utils.container.options import path_problems
from runtime.cli.args import UsageError, parse
from runtime.errors import RuntimeFailure, StateError
from runtime.lifecycle.create import create
from runtime.pathcheck import path_problem
from runtime.state import StateRoot

LONG_NAME = "x" * 256
TOO_LONG = "/" + "/".join(["y" * 200] * 21)


@pytest.mark.parametrize("value,problem", [
    ("/a\0b", "NUL"), ("/tmp/" + LONG_NAME, "NAME_MAX"), (TOO_LONG, "PATH_MAX"), ("/a\ud800", "encodable"),
    (5, "path string"),
])
def test_unusable_paths(value, problem):
    assert problem in path_problem(value)


@pytest.mark.parametrize("value", ["/", "relative/dir", "/tmp/" + "x" * 255, "/a\udcff", "/" + "/".join(["z" * 200] * 20)])
def test_usable_paths(value):
    assert path_problem(value) is None


@pytest.mark.parametrize("argv,flag", [
    (["--root", "/tmp/" + LONG_NAME, "list"], "--root"),
    (["--log=/tmp/" + LONG_NAME, "list"], "--log"),
    (["create", "--bundle", TOO_LONG, "c1"], "--bundle"),
    (["create", "-b", "/b", "--pid-file", "/tmp/" + LONG_NAME, "c1"], "--pid-file"),
    (["run", "--console-socket", "/tmp/" + LONG_NAME, "c1"], "--console-socket"),
    (["exec", "--cwd", "/" + LONG_NAME, "c1", "sh"], "--cwd"),
    (["exec", "-p", "/" + LONG_NAME, "c1"], "--process"),
    (["update", "-r", "/" + LONG_NAME, "c1"], "--resources"),
])
def test_cli_path_flags_are_checked_while_parsing(argv, flag):
    with pytest.raises(UsageError) as err:
        parse(argv)
    assert str(err.value).startswith(flag + ":")


def test_an_empty_path_flag_means_not_given():
    assert parse(["create", "--pid-file=", "c1"])[2]["pid-file"] == ""


def test_state_root_with_nul_is_refused():
    with pytest.raises(StateError, match="state root: must not contain a NUL"):
        StateRoot("/run/x\0y")


@pytest.mark.parametrize("kwargs,name", [
    ({"pid_file": "/nonexistent-dir-%d/pid" % os.getpid()}, "--pid-file: directory"),
    ({"pid_file": "/tmp"}, "--pid-file: /tmp is a directory"),
    ({"pid_file": "/tmp/" + LONG_NAME}, "--pid-file: has a component"),
    ({"log_path": "/tmp/log\0"}, "log_path: must not contain a NUL"),
    ({"console_socket": "/tmp/s\0"}, "--console-socket: must not contain a NUL"),
])
def test_create_refuses_bad_paths_before_anything_exists(tmp_path, kwargs, name):
    root = tmp_path / "state"
    with pytest.raises(RuntimeFailure) as err:
        create(str(root), "c1", str(tmp_path / "no-bundle"), **kwargs)
    assert str(err.value).startswith(name)
    assert not root.exists()


def test_create_names_a_bundle_with_nul(tmp_path):
    with pytest.raises(RuntimeFailure, match="^bundle: must not contain a NUL"):
        create(str(tmp_path / "state"), "c1", str(tmp_path) + "/b\0")


def _params(work, **kw):
    base = {"name": "web", "state": "started", "state_root": str(work / "state"), "rootfs": str(work),
            "bundle_dir": str(work / "bundle"), "command": "sleep 100", "recreate": "auto", "restart": False,
            "readonly_rootfs": False}
    base.update(kw)
    return base


N = "a\0b"


@pytest.mark.parametrize("kw,option", [
    ({"rootfs": "/srv/" + N}, "rootfs"),
    ({"bundle": "/srv/" + N, "rootfs": None, "command": None}, "bundle"),
    ({"bundle_dir": "/srv/" + N}, "bundle_dir"),
    ({"log_path": "/var/log/" + N}, "log_path"),
    ({"seccomp": "/etc/" + N}, "seccomp"),
    ({"workdir": "/" + N}, "workdir"),
    ({"mounts": [{"source": "/tmp", "destination": "/mnt"}, {"source": "/srv/" + N, "destination": "/m"}]},
     "mounts[1].source"),
    ({"mounts": [{"source": "/tmp", "destination": "/mnt/" + N}]}, "mounts[0].destination"),
    ({"hooks": {"prestart": [{"path": "/bin/" + N}]}}, "hooks.prestart[0].path"),
    ({"namespaces": ["pid", "network:/proc/1/ns/" + N]}, "namespaces[1].path"),
    ({"namespaces": [{"type": "ipc", "path": "/x/" + LONG_NAME}]}, "namespaces[0].path"),
])
def test_module_path_options_are_checked_before_anything_is_written(tmp_path, kw, option):
    params = _params(tmp_path, **kw)
    assert [name for name, _problem in path_problems(params)] == [option]
    with pytest.raises(OptionError) as err:
        manager.ContainerManager(params, check_mode=False).plan()
    assert str(err.value).startswith(option + ":")
    assert sorted(os.listdir(str(tmp_path))) == []


@pytest.mark.parametrize("place,where", [
    (lambda c, v: c["root"].__setitem__("path", v), "root.path"),
    (lambda c, v: c["mounts"].append({"destination": v, "type": "tmpfs", "source": "tmpfs"}), "mounts[1].destination"),
    (lambda c, v: c["mounts"].append({"destination": "/m", "type": "bind", "source": v, "options": ["bind"]}),
     "mounts[1].source"),
    (lambda c, v: c["process"].__setitem__("cwd", v), "process.cwd"),
    (lambda c, v: c["linux"].__setitem__("maskedPaths", [v]), "linux.maskedPaths[0]"),
    (lambda c, v: c.__setitem__("hooks", {"poststop": [{"path": v}]}), "hooks.poststop[0].path"),
])
def test_config_paths_that_cannot_name_a_file(place, where):
    from runtime.errors import SpecError
    from runtime.spec.validate import validate_config
    config = {"ociVersion": "1.2.0", "root": {"path": "/srv/rootfs"}, "process": {"args": ["sh"], "cwd": "/"},
              "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}], "linux": {}}
    place(config, "/x/" + LONG_NAME)
    with pytest.raises(SpecError) as err:
        validate_config(config, for_create=False)
    assert str(err.value).startswith(where + ": has a component of 256 bytes")
