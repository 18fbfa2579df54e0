# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Entry point of the runtime copy (process/libexec.py runtime_copy) for the monitor's helpers.

    python3 -I -S -B <copy>/runtime/services/entry.py recreate STATE_ROOT ID MONITOR_PID
    python3 -I -S -B <copy>/runtime/services/entry.py [--root R] exec ...   (the command line)

``-I`` leaves this script's directory off sys.path: the copy's top (the
parent of ``runtime/``) is put first instead, so ``runtime`` is imported
from the root-owned copy and nothing else.
"""

import posix
import sys


def _top():
    path = __file__ if __file__.startswith("/") else posix.getcwd() + "/" + __file__
    for _level in range(3):  # runtime/services/entry.py
        path = path[:path.rfind("/")]
    return path


def main(argv):
    sys.path.insert(0, _top())
    if argv[:1] == ["recreate"]:
        from runtime.services.recreate import main as recreate_main
        return recreate_main(argv[1:])
    from runtime.cli.main import main as cli_main
    return cli_main(argv)


if __name__ == "__main__":
    code = main(sys.argv[1:])
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (IOError, OSError):
        pass
    posix._exit(code or 0)
