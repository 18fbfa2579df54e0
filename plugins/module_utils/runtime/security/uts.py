# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host and domain name of the container (the UTS namespace).

uts_namespaces(7): the names are per UTS namespace, so the init sets them after
joining or creating its own one; config.md says a runtime MUST fail when
``hostname``/``domainname`` is set without a new UTS namespace (checked by
the caller, which knows the namespaces). sethostname(2) and setdomainname(2)
accept at most 64 bytes (HOST_NAME_MAX) and need CAP_SYS_ADMIN in the UTS
namespace's owning user namespace.
"""

import os

from ..errors import SecurityError, SyscallError

HOST_NAME_MAX = 64


def _set_name(field, call_name, name, syscalls):
    if syscalls is None:
        from ..syscalls.host import real
        syscalls = real()
    if not isinstance(name, str):
        raise SecurityError("%s: must be a string, got %s" % (field, type(name).__name__))
    raw = os.fsencode(name)
    if len(raw) > HOST_NAME_MAX or b"\0" in raw:
        raise SecurityError("%s: %r is longer than %d bytes or contains NUL"
                            % (field, name, HOST_NAME_MAX))
    try:
        getattr(syscalls, call_name)(name)
    except SyscallError as exc:
        raise SecurityError("%s: %s(%r) failed: %s" % (field, call_name, name, exc))


def set_hostname(name, syscalls=None):
    """sethostname(2) with config.md ``hostname``."""
    _set_name("hostname", "sethostname", name, syscalls)


def set_domainname(name, syscalls=None):
    """setdomainname(2) with config.md ``domainname``."""
    _set_name("domainname", "setdomainname", name, syscalls)
