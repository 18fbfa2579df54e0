# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""config.md "Process": args, env, cwd, PATH lookup, exit codes,
oomScoreAdj, and no inherited file descriptors."""
from __future__ import absolute_import, division, print_function

import os

import pytest

import itest_helpers as H


def run(oci, config, **kwargs):
    return oci.rt.run(oci.new_id(), oci.bundle(config), **kwargs)


def run_ok(oci, config, **kwargs):
    result = run(oci, config, **kwargs)
    assert result.returncode == 0, result
    return result.stdout


@pytest.mark.parametrize("code", [0, 1, 7, 255])
def test_exit_codes(oci, code):
    assert run(oci, oci.config(["sh", "-c", "exit %d" % code])).returncode == code


def test_args_preserved(oci):
    config = oci.config(["sh", "-c", 'for a in "$@"; do echo "[$a]"; done', "zero",
                         "a b", "", "c*"])
    assert run_ok(oci, config) == "[a b]\n[]\n[c*]\n"


def test_env(oci):
    config = oci.config(["env"])
    config["process"]["env"] = ["PATH=/bin", "FOO=bar baz", "EMPTY="]
    env = run_ok(oci, config).splitlines()
    assert "FOO=bar baz" in env
    assert "EMPTY=" in env
    assert "PATH=/bin" in env
    # Nothing leaks from the caller's environment.
    assert not [line for line in env if line.startswith("PYTEST_CURRENT_TEST=")]


def test_cwd(oci):
    config = oci.config(["pwd"])
    config["process"]["cwd"] = "/mnt/a"
    assert run_ok(oci, config) == "/mnt/a\n"


def test_path_lookup(oci):
    rootfs = oci.private_rootfs()
    os.makedirs(os.path.join(rootfs, "opt", "tools"))
    script = os.path.join(rootfs, "opt", "tools", "hello-tool")
    with open(script, "w") as handle:
        handle.write("#!/bin/sh\necho hello from tool\n")
    os.chmod(script, 0o755)
    config = oci.config(["hello-tool"], rootfs=rootfs)
    config["process"]["env"] = ["PATH=/usr/bin:/opt/tools:/bin"]
    assert run_ok(oci, config) == "hello from tool\n"

    not_on_path = oci.config(["hello-tool"], rootfs=rootfs)
    not_on_path["process"]["env"] = ["PATH=/bin"]
    message = H.assert_fails(run(oci, not_on_path))
    assert "hello-tool" in message


def test_oom_score_adj(oci):
    config = oci.config(["cat", "/proc/self/oom_score_adj"])
    config["process"]["oomScoreAdj"] = 123
    assert run_ok(oci, config).strip() == "123"


def test_stdin_not_a_terminal(oci):
    config = oci.config(["sh", "-c", "test -t 0 && echo tty || echo notty"])
    assert run_ok(oci, config).strip() == "notty"


def test_no_caller_fd_leaks(oci):
    leaked = []
    try:
        for number in (40, 77):
            fd = os.open("/dev/null", os.O_RDONLY)
            os.dup2(fd, number, inheritable=True)
            os.close(fd)
            leaked.append(number)
        config = oci.config(["ls", "/proc/self/fd"])
        out = run_ok(oci, config, pass_fds=tuple(leaked))
    finally:
        for number in leaked:
            os.close(number)
    fds = sorted(int(x) for x in out.split())
    assert fds[:3] == [0, 1, 2]
    # Only the directory ls is reading may come on top.
    assert len(fds) <= 4, fds
    assert not set(leaked) & set(fds)


def test_no_fd_leaks_with_create_start(oci):
    fd = os.open("/dev/null", os.O_RDONLY)
    os.dup2(fd, 55, inheritable=True)
    os.close(fd)
    try:
        config = oci.config(["sh", "-c", "ls /proc/self/fd > /out/fds"])
        cid = oci.new_id()
        oci.rt.create(cid, oci.bundle(config), pass_fds=(55,)).check()
    finally:
        os.close(55)
    oci.rt.start(cid).check()
    oci.rt.wait_status(cid, "stopped")
    fds = sorted(int(x) for x in H.wait_file(oci.out_file("fds")).split())
    assert fds[:3] == [0, 1, 2] and len(fds) <= 4, fds
    assert 55 not in fds
