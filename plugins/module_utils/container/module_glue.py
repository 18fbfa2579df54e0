# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place where runtime errors become fail_json, shared by the modules.

Private to this collection. The modules hold documentation and call one
function here; everything they decide lives in manager.py.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from .bytecode_cache import install as install_bytecode_cache

# The modules import this file first: from here on, what AnsiballZ's zip holds is
# loaded from the target's bytecode cache instead of compiled on every task
# (bytecode_cache.py; nothing changes when imported from a directory).
install_bytecode_cache()

from ansible.module_utils.basic import AnsibleModule

from ..runtime.errors import RuntimeFailure
from ..runtime.pathcheck import path_problem


def new_module(argument_spec, **kwargs):
    """The AnsibleModule; a path option that cannot name a file (a NUL byte...) fails it before anything runs."""
    kwargs.setdefault("supports_check_mode", True)
    module = AnsibleModule(argument_spec=argument_spec, **kwargs)
    for name in sorted(argument_spec):
        value = module.params.get(name)
        problem = path_problem(value) if argument_spec[name].get("type") == "path" and value else None
        if problem:
            module.fail_json(msg="%s: %s" % (name, problem))
    return module


def require_root(module):
    """The runtime needs root (namespaces, mounts, cgroups, a 0700 state root)."""
    if os.geteuid() != 0:
        module.fail_json(msg="opencontainer.runtime needs root on the target host (uid %d); use become: true"
                         % os.geteuid())


def run(module, func, *args, **kwargs):
    """Call ``func``; a RuntimeFailure (bad option, bad config, host limits) fails the task cleanly."""
    try:
        return func(*args, **kwargs)
    except RuntimeFailure as e:
        module.fail_json(msg=str(e), **getattr(e, "partial_result", {}))
    except OSError as e:
        module.fail_json(msg="%s: %s" % (getattr(e, "filename", None) or "system error", e.strerror or e))


def exit_with(module, result, warnings=()):
    for message in warnings:
        module.warn(message)
    module.exit_json(**result)
