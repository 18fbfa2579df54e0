# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Process attributes the container init applies to itself just before exec.

Suggested order inside the init (each step needs privileges a later one drops):

1. ``set_hostname`` / ``set_domainname`` (in the new UTS namespace);
2. ``apply_sysctls`` once the container's /proc is mounted;
3. ``apply_rlimits`` and ``set_oom_score_adj`` (may need CAP_SYS_RESOURCE);
4. compute ``CapabilitySets.from_config`` while /proc is still readable;
5. ``set_no_new_privileges`` if process.noNewPrivileges;
6. ``apply_identity`` (user, groups, capabilities), ``apply_umask``;
7. ``close_inherited_fds(keep=...)``, then execve.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from . import capabilities
from .capabilities import CAPABILITIES, CapabilitySets, read_last_cap
from .fds import close_inherited_fds
from .identity import apply_identity, user_ids
from .process_attrs import DEFAULT_UMASK, apply_umask, set_no_new_privileges, set_oom_score_adj
from .rlimits import RLIMITS, apply_rlimits, parse_rlimits
from .sysctl import apply_sysctls, check_sysctl_namespaces, sysctl_path
from .uts import set_domainname, set_hostname

__all__ = [
    "capabilities", "CAPABILITIES", "CapabilitySets", "read_last_cap",
    "close_inherited_fds", "apply_identity", "user_ids",
    "DEFAULT_UMASK", "apply_umask", "set_no_new_privileges", "set_oom_score_adj",
    "RLIMITS", "apply_rlimits", "parse_rlimits",
    "apply_sysctls", "check_sysctl_namespaces", "sysctl_path",
    "set_domainname", "set_hostname",
]
