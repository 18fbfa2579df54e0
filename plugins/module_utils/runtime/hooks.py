# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lifecycle hooks (config.md "POSIX-platform Hooks", runtime.md "Lifecycle").

Who runs which phase, and where:

=============== ===================== =========================================
phase           run by                namespaces / moment
=============== ===================== =========================================
prestart        create (runtime)      runtime ns, after the environment exists,
                                      before pivot_root (deprecated, still run)
createRuntime   create (runtime)      runtime ns, right after prestart
createContainer the container's init  container ns, before pivot_root
startContainer  the container's init  container ns, before exec of the program,
                                      under the container's seccomp filter
poststart       start (runtime)       runtime ns, after the program started
poststop        delete (runtime)      runtime ns, after the container is gone
=============== ===================== =========================================

A failure in prestart, createRuntime or createContainer fails create, which
destroys the container and runs poststop (lifecycle steps 12-13); a failing
startContainer fails start and the container stops (crun does the same); a
failing poststart or poststop hook is only a warning.
"""

from .errors import HookError
from .standalone import jsonlite

PHASES = ("prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop")


def hooks_of(config, phase):
    return (config.get("hooks") or {}).get(phase) or []


def run_phase(config, phase, state_json, warn=None, preexec=None, cwd=None):
    """Run every hook of ``phase`` in order with ``state_json`` (bytes or dict) on stdin.

    Without ``warn`` the first failure raises HookError; with ``warn`` (a
    callable taking a message) failures are reported and the rest still run.
    ``preexec`` runs in each hook's process right before its exec
    (hookexec.run_hook); ``cwd`` is its working directory ("/" by default).
    """
    hook_list = hooks_of(config, phase)
    if not hook_list:
        return
    # Imported here: hookexec needs os (it is also the monitor's), and a
    # start or delete without hooks should not pay its ~2 ms. The init,
    # which runs hooks after pivot_root, has it preloaded before the fork
    # (process/spawn.py, preload_hook_runner).
    from .standalone import hookexec
    if isinstance(state_json, dict):
        state_json = jsonlite.dumps(state_json).encode("utf-8")
    for index, hook in enumerate(hook_list):
        try:
            hookexec.run_hook(hook, state_json, cwd=cwd, preexec=preexec)
        except hookexec.HookFailed as e:
            message = "hooks.%s[%d]: %s" % (phase, index, e)
            if warn is None:
                raise HookError(message)
            warn(message)
