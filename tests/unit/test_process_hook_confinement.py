# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""startContainer hooks enter the container's seccomp filter between fork and exec (process/init.py)."""
import os
import subprocess
import sys

from runtime.process import init, spawn

MODULE_UTILS = os.path.dirname(os.path.dirname(os.path.dirname(spawn.__file__)))


def test_no_filter_no_preexec():
    assert init._hook_confinement(None, {"noNewPrivileges": True}) is None


def test_a_filter_that_cannot_be_loaded_fails_the_hook_with_the_reason(tmp_path):
    """In a child process, with no import allowed after the preload (as after pivot_root)."""
    code = (
        "import sys; sys.path.insert(0, %r)\n"
        "import runtime.process.init as init\n"
        "from runtime import hooks\n"
        "from runtime.errors import HookError, SecurityError\n"
        "from runtime.process import spawn\n"
        "spawn.preload_hook_runner()\n"
        "class NoMoreImports(object):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        raise ImportError('imported after the fork: ' + name)\n"
        "sys.meta_path.insert(0, NoMoreImports())\n"
        "class Unloadable(object):\n"
        "    def load(self, with_listener=True):\n"
        "        raise SecurityError('linux.seccomp: loading the seccomp filter failed: Invalid argument')\n"
        "config = {'hooks': {'startContainer': [{'path': '/bin/sh', 'args': ['sh', '-c', 'touch %s']}]}}\n"
        "try:\n"
        "    hooks.run_phase(config, 'startContainer', {'id': 'c1'},\n"
        "                    preexec=init._hook_confinement(Unloadable(), {}))\n"
        "except HookError as e:\n"
        "    print(e)\n"
        % (MODULE_UTILS, tmp_path / "ran"))
    result = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "hooks.startContainer[0]: /bin/sh exited with status 126" in result.stdout
    assert "cannot enter the container's seccomp filter: linux.seccomp: loading the seccomp filter failed" \
        in result.stdout
    assert not (tmp_path / "ran").exists()  # the hook never ran
