# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""oci_exec: run a command in a running container and collect its output.

Private to this collection. The process joins every namespace and the
cgroup of the container (runtime/lifecycle/exec.py); its stdin, stdout and
stderr are pipes this module feeds and drains at the same time, so a large
output cannot block it.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import selectors
import time

from ..runtime.errors import RuntimeFailure
from ..runtime.lifecycle.exec import start_exec
from ..runtime.state import StateRoot
from .desired import _command, _env, user_spec


class ExecFailed(RuntimeFailure):
    def __init__(self, message, partial_result):
        RuntimeFailure.__init__(self, message)
        self.partial_result = partial_result


def build_process(params, state):
    """An OCI process object from oci_exec's options; unset fields come from the container."""
    process = {"args": _command(params["command"])}
    container_process = (state.get("config") or {}).get("process") or {}
    if params.get("env"):
        process["env"] = _env(container_process.get("env") or [], params["env"])
    if params.get("workdir"):
        process["cwd"] = params["workdir"]
    if params.get("user"):
        process["user"] = user_spec(params["user"], state.get("rootfs") or "/nonexistent")
    return process


def run_exec(params):
    root = StateRoot(params["state_root"])
    state = root.load(params["name"])
    process = build_process(params, state)
    stdin_data = params.get("stdin")
    if stdin_data is not None and params.get("stdin_add_newline", True) and not stdin_data.endswith("\n"):
        stdin_data += "\n"
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    try:
        handle = start_exec(root.path, params["name"], process, stdin=in_r, stdout=out_w, stderr=err_w)
    finally:
        for fd in (in_r, out_w, err_w):
            os.close(fd)
    started = time.monotonic()
    stdout, stderr, timed_out = _communicate(handle, in_w, out_r, err_r,
                                             (stdin_data or "").encode("utf-8"), params.get("timeout"))
    rc = handle.wait()
    result = {
        "changed": True,
        "rc": rc,
        "cmd": process["args"],
        "stdout": stdout.decode("utf-8", "replace"),
        "stderr": stderr.decode("utf-8", "replace"),
        "delta": "%.3f" % (time.monotonic() - started),
    }
    if params.get("strip_empty_ends", True):
        result["stdout"] = result["stdout"].rstrip("\r\n")
        result["stderr"] = result["stderr"].rstrip("\r\n")
    result["stdout_lines"] = result["stdout"].splitlines()
    result["stderr_lines"] = result["stderr"].splitlines()
    if timed_out:
        raise ExecFailed("command in container %s did not finish within timeout=%gs and was killed"
                         % (params["name"], params["timeout"]), result)
    if rc != 0:
        raise ExecFailed("non-zero return code %d" % rc, result)
    return result


def _communicate(handle, in_w, out_r, err_r, data, timeout):
    deadline = None if not timeout else time.monotonic() + float(timeout)
    chunks = {out_r: [], err_r: []}
    selector = selectors.DefaultSelector()
    if data:
        os.set_blocking(in_w, False)
        selector.register(in_w, selectors.EVENT_WRITE)
    else:
        os.close(in_w)
        in_w = None
    for fd in (out_r, err_r):
        selector.register(fd, selectors.EVENT_READ)
    view = memoryview(data)
    timed_out = False
    try:
        while selector.get_map():
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                timed_out = True
                handle.kill()
                break
            ready = selector.select(0.1 if left is None else min(left, 0.1))
            if not ready and handle.poll() is not None:
                # Exited, and nothing arrived for 0.1 s: a background child may
                # hold the pipes open forever; what it writes later is not ours.
                break
            for key, _events in ready:
                fd = key.fd
                if fd == in_w:
                    try:
                        view = view[os.write(fd, view[:65536]):]
                    except BrokenPipeError:
                        view = view[:0]
                    if not view:
                        selector.unregister(fd)
                        os.close(fd)
                        in_w = None
                    continue
                chunk = os.read(fd, 65536)
                if chunk:
                    chunks[fd].append(chunk)
                else:
                    selector.unregister(fd)
    finally:
        selector.close()
        for fd in (in_w, out_r, err_r):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
    return b"".join(chunks[out_r]), b"".join(chunks[err_r]), timed_out
