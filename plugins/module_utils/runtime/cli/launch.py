# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What bin/oci-runtime runs once its module cache is in place.

The cache has loaded the command's bundle already (runtime/importcache.py):
this module and every module the command imports, in one piece. This runs
the command (cli/main.py); as it exits, the cache rewrites its files if a
source changed, the bundles listed here included.
"""

import sys


# Bundle name (a command) -> the modules it starts from. The bundle holds
# these and every module they import at their top level, theirs and so on,
# each after its imports; list here the modules the command imports inside
# its functions, and before their importer those imported in a try (as
# stateio imports jsonlite), which do not count as top level. A module
# missing here is still imported, the usual way (tests/integration/test_cli.py
# checks that these commands load nothing that way).
# Every command: jsonlite (state.json; stateio imports it in a try), this
# module and the CLI.
_EVERY = ("runtime.standalone.jsonlite", "runtime.cli.launch", "runtime.cli.main")
_CREATE = ("runtime.process.spawn", "runtime.cgroups.manager", "runtime.cgroups.resources",
           "runtime.cgroups.freezer", "runtime.syscalls.linux")
BUNDLES = {
    "exec": _EVERY + ("runtime.cli.exec_cmd", "runtime.lifecycle.exec", "runtime.cgroups.membership",
                      "runtime.syscalls.linux"),
    "state": _EVERY + ("runtime.lifecycle.query",),
    "list": _EVERY + ("runtime.lifecycle.query",),
    "start": _EVERY + ("runtime.lifecycle.start",),
    "kill": _EVERY + ("runtime.lifecycle.kill", "runtime.syscalls.linux"),
    "delete": _EVERY + ("runtime.lifecycle.delete", "runtime.cgroups.manager"),
    "create": _EVERY + ("runtime.lifecycle.create",) + _CREATE,
    "run": _EVERY + ("runtime.cli.run",) + _CREATE,
}


def launch(cache, argv=None):
    """Run the command line ``argv`` (default: sys.argv[1:]) and exit; ``cache``: the ModuleCache or None."""
    argv = sys.argv[1:] if argv is None else argv
    if cache is not None:
        cache.bundles = BUNDLES  # what its refresh() writes
    from .main import main_and_exit
    main_and_exit(argv, before_exit=cache.refresh if cache is not None else None)
