# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""linux.personality: the execution domain of the container's processes.

config-linux.md "Personality": ``domain`` is LINUX or LINUX32 (uname(2)
then reports a 32-bit machine, e.g. i686 on x86_64), ``flags`` are
additional flags of which the spec supports none yet. personality(2) is
called right before execve(2) (and before seccomp, which may forbid it);
the domain survives execve(2) and is inherited by children.
"""

from ..errors import UnsupportedError
from ..syscalls import consts as C
from ..syscalls.host import real

DOMAINS = {"LINUX": C.PER_LINUX, "LINUX32": C.PER_LINUX32}


def persona(personality):
    """The personality(2) argument for a linux.personality object (None: leave it)."""
    if not personality:
        return None
    domain = personality.get("domain")
    if domain not in DOMAINS:
        raise UnsupportedError("linux.personality.domain: %r is not supported; expected one of %s"
                               % (domain, ", ".join(sorted(DOMAINS))))
    if personality.get("flags"):
        # config-linux.md: "Currently no flag values are supported."
        raise UnsupportedError("linux.personality.flags: %s: no personality flags are supported"
                               % ", ".join(personality["flags"]))
    return DOMAINS[domain]


def apply_personality(personality, syscalls=None):
    value = persona(personality)
    if value is not None:
        (syscalls or real()).personality(value)
