# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""run = create + start; in the foreground also wait, then delete.

The foreground caller is the monitor's parent (create forked it), and the
monitor exits with the container's exit status (128+N for signal N), so
waiting for the monitor gives the status without polling. Signals the
caller gets (Ctrl-C, SIGTERM from a supervisor) are forwarded to the
container's process, as runc does.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import signal

from ..lifecycle.create import create
from ..lifecycle.delete import delete
from ..lifecycle.start import start
from ..standalone.stateio import process_alive

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT,
             signal.SIGUSR1, signal.SIGUSR2, signal.SIGWINCH)


def run(root, container_id, bundle, flags, log, preserve_fds=0):
    state = create(root, container_id, bundle, pid_file=flags.get("pid-file"),
                   preserve_fds=preserve_fds, warn=log.warn)
    try:
        start(root, container_id, warn=log.warn)
    except BaseException:
        _delete_quietly(root, container_id, log)
        raise
    if flags.get("detach"):
        return 0
    pid, start_time = state["pid"], state.get("pid_start_time")

    def forward(signum, _frame):
        if process_alive(pid, start_time):
            try:
                os.kill(pid, signum)
            except OSError:
                pass

    previous = dict((sig, signal.signal(sig, forward)) for sig in FORWARDED)
    try:
        code = _wait_monitor(state["monitor_pid"])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if not flags.get("keep"):
        delete(root, container_id, warn=log.warn)
    return code


def _wait_monitor(monitor_pid):
    while True:
        try:
            dummy, status = os.waitpid(monitor_pid, 0)
        except InterruptedError:
            continue
        if os.WIFEXITED(status):
            return os.WEXITSTATUS(status)
        return 128 + os.WTERMSIG(status)


def _delete_quietly(root, container_id, log):
    try:
        delete(root, container_id, force=True, warn=log.warn)
    except Exception as e:
        log.warn("cleanup after failed start: %s" % e)
