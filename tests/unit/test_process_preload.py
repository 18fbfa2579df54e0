# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the init must have imported before it loses its code (process/spawn.py)."""
import os
import subprocess
import sys

import pytest

from runtime.process import spawn

MODULE_UTILS = os.path.dirname(os.path.dirname(os.path.dirname(spawn.__file__)))


@pytest.mark.parametrize("preload", [True, False])
def test_the_init_has_every_module_its_hooks_need_before_its_code_is_gone(tmp_path, preload):
    """The init runs startContainer hooks after pivot_root, when an Ansible module's zip is gone:
    with runtime.process.init imported and spawn's preload done, running a hook imports nothing more."""
    code = (
        "import sys; sys.path.insert(0, %r)\n"
        "import runtime.process.init\n"
        "from runtime import hooks\n"
        "from runtime.process import spawn\n"
        "if %r:\n"
        "    spawn.preload_hook_runner()\n"
        "class NoMoreImports(object):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        raise ImportError('imported after the fork: ' + name)\n"
        "sys.meta_path.insert(0, NoMoreImports())\n"
        "config = {'hooks': {'startContainer': [{'path': '/bin/sh', 'args': ['sh', '-c', 'cat > %s']}]}}\n"
        "hooks.run_phase(config, 'startContainer', {'id': 'c1', 'status': 'created'})\n"
        % (MODULE_UTILS, preload, tmp_path / "stdin"))
    result = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, check=False)
    if preload:
        assert result.returncode == 0, result.stderr
        assert '"id":"c1"' in (tmp_path / "stdin").read_text()
    else:  # the check itself works: without the preload an import is attempted
        assert "imported after the fork" in result.stderr
