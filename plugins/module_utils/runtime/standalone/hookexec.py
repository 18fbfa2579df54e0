# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run one OCI hook: config.md "POSIX-platform Hooks".

Standard library only: the monitor runs on-stop handlers from its own copy.

A hook is {path, args, env, timeout}: ``path`` is executed with ``args`` as
its argv (args[0] is argv0, execv(3) semantics) and exactly ``env`` as its
environment; the container state JSON is written to its stdin; it fails if it
exits non-zero or outlives ``timeout`` seconds (then it is killed).

``preexec`` runs in the hook's process between fork and exec (subprocess's
preexec_fn): the init uses it to put startContainer hooks under the
container's seccomp filter (process/init.py). After it, the child only
closes its inherited fds and calls execve(2).
"""

import os


class HookFailed(Exception):
    pass


def run_hook(hook, state_json, cwd=None, preexec=None):
    """Run ``hook`` with ``state_json`` (bytes) on stdin; raise HookFailed on failure."""
    import subprocess  # imported late: the monitor stays small until it needs it

    path = hook["path"]
    argv = list(hook.get("args") or [path])
    env = {}
    for item in hook.get("env") or []:
        key, dummy, value = item.partition("=")
        env[key] = value
    timeout = hook.get("timeout")
    try:
        proc = subprocess.Popen(argv, executable=path, env=env, cwd=cwd or "/",
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, close_fds=True,
                                start_new_session=True, preexec_fn=preexec)
    except OSError as e:
        raise HookFailed("cannot execute %s: %s" % (path, e.strerror))
    try:
        out, dummy = proc.communicate(state_json, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise HookFailed("%s timed out after %ss" % (path, timeout))
    except BrokenPipeError:
        out, dummy = proc.communicate(timeout=timeout)
    if proc.returncode != 0:
        detail = out.decode("utf-8", "replace").strip().splitlines()
        tail = ("; output: " + " | ".join(detail[-3:])) if detail else ""
        if proc.returncode < 0:
            raise HookFailed("%s was killed by signal %d%s" % (path, -proc.returncode, tail))
        raise HookFailed("%s exited with status %d%s" % (path, proc.returncode, tail))
    return out


def _kill_group(proc):
    # The hook runs in its own session, so its children die with it.
    import signal
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()
    proc.wait()
