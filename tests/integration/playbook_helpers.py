# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run real ansible-playbook processes on localhost against this checkout's collection.

For the integration tests that need several module runs at once, or the
modules next to the command line; single-module behaviour is tested by the
ansible-test targets (tests/integration/targets/).
"""
from __future__ import absolute_import, division, print_function

import json
import os
import subprocess
import sys

import pytest

import itest_helpers as H


def ansible_playbook():
    path = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    if not os.access(path, os.X_OK):
        pytest.skip("no ansible-playbook beside %s (the test venv has ansible-core)" % sys.executable)
    return path


def collections_path():
    """The sys.path entry (tests/conftest.py collection_import_root) where the collection is this checkout."""
    for entry in sys.path:
        link = os.path.join(entry, "ansible_collections", "opencontainer", "runtime")
        if os.path.realpath(link) == os.path.realpath(H.REPO):
            return entry
    pytest.skip("the collection is not importable from this checkout (tests/conftest.py)")


def playbook_env(work, **extra):
    """The environment of ansible-playbook: this collection, this interpreter, temp dirs under ``work``."""
    env = dict(os.environ,
               ANSIBLE_COLLECTIONS_PATH=collections_path(),
               ANSIBLE_STDOUT_CALLBACK="minimal",
               ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_LOCAL_TEMP=os.path.join(work, "ansible-tmp"),
               ANSIBLE_REMOTE_TEMP=os.path.join(work, "ansible-remote-tmp"))
    env.update(extra)
    return env


def start_playbook(work, name, tasks, env):
    """Write ``tasks`` as one play on localhost to work/<name>.yml and start it; (Popen, log file)."""
    path = os.path.join(work, name + ".yml")
    with open(path, "w") as handle:
        json.dump([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}], handle, indent=1)  # JSON is YAML
    log = open(os.path.join(work, name + ".log"), "w")
    proc = subprocess.Popen([ansible_playbook(), "-i", "localhost,", "-c", "local", path],
                            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=work)
    return proc, log


def run_playbook(work, name, tasks, timeout=300, **env):
    """Run one playbook to its end; returns (exit code, its output)."""
    proc, log = start_playbook(work, name, tasks, playbook_env(work, **env))
    try:
        code = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait()
    log.close()
    with open(log.name) as handle:
        return code, handle.read()
