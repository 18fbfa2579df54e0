# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the network room shares: its error, pyroute2 on demand, interface names.

pyroute2 is imported only when a container or a network asks for bridge
networking, so containers without networking run on hosts without it. The
CLI runs ``python3 -I -S``, which leaves Debian's dist-packages off
sys.path; the system's pyroute2 (package python3-pyroute2) is looked up
there explicitly, appended last so it never shadows anything.
"""

import hashlib
import sys

from ..errors import RuntimeFailure, UnsupportedError

# Where Debian and Ubuntu install python3-* packages.
_SYSTEM_SITE_DIRS = ("/usr/lib/python3/dist-packages",)
# IFNAMSIZ is 16 with the terminating NUL (netdevice(7)).
IFNAMSIZ = 15


class NetworkError(RuntimeFailure):
    """A network, a lease, a veth pair or a packet filter rule could not be set up or removed."""


def pyroute2():
    """The pyroute2 package, or UnsupportedError saying how to get it."""
    try:
        import pyroute2 as module
        return module
    except ImportError:
        pass
    import os
    for directory in _SYSTEM_SITE_DIRS:
        if os.path.isdir(os.path.join(directory, "pyroute2")) and directory not in sys.path:
            sys.path.append(directory)
    try:
        import pyroute2 as module
        return module
    except ImportError:
        raise UnsupportedError("bridge networking needs the Python package pyroute2 on this host "
                               "(Debian: apt-get install python3-pyroute2)")


def ipr():
    """A new IPRoute (netlink route socket) in the caller's network namespace."""
    return pyroute2().IPRoute()


def netlink_errors():
    """The exception class pyroute2 raises for a netlink error (it carries ``code``, an errno)."""
    return pyroute2().NetlinkError


def short_hash(*parts):
    """A stable hex digest of ``parts``: names that fit IFNAMSIZ and nft comments."""
    digest = hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def veth_names(state_root, container_id):
    """(host end, temporary peer name) of a container's veth pair, unique per state root and id."""
    key = short_hash(state_root, container_id)[:11]
    return "veth" + key, "vtmp" + key
