# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The unit of cgroup configuration: one value for one control file.

config-linux.md "Control groups" describes resources as JSON fields; the v1
and v2 translators turn each field into :class:`Write` objects that name the
controller (which decides the hierarchy), the file, the text to write and the
JSON path of the field, so that every error can point back at the config.
"""

import re

from ..errors import SpecError

FIELD = "linux.resources"

# Kernel names of huge page sizes in cgroup file names: "2MB", "1GB", "64KB".
_PAGE_SIZE = re.compile(r"^[0-9]+[KMGTP]B$")


class Write(object):
    """Write ``value`` to ``filename`` of the ``controller``'s cgroup.

    ``fallback`` is an older/newer name of the same file, used when
    ``filename`` does not exist (e.g. blkio.weight vs blkio.bfq.weight).
    ``retry_after_next``: when the kernel refuses this write with EINVAL,
    make the next write first and then this one again (files.write_plan).
    """

    __slots__ = ("controller", "filename", "value", "field", "fallback", "retry_after_next")

    def __init__(self, controller, filename, value, field, fallback=None):
        self.controller = controller
        self.filename = filename
        self.value = str(value)
        self.field = field
        self.fallback = fallback
        self.retry_after_next = False

    def __repr__(self):
        return "Write(%s/%s=%r from %s)" % (self.controller, self.filename, self.value, self.field)

    def as_tuple(self):
        return (self.controller, self.filename, self.value)


def field(*parts):
    """JSON path below linux.resources: field("memory", "limit")."""
    path = FIELD
    for part in parts:
        path += "[%d]" % part if isinstance(part, int) else "." + part
    return path


def integer(path, value, minimum=None):
    """``value`` as an int, or SpecError naming ``path``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(path, "must be an integer, not %r" % (value,))
    if minimum is not None and value < minimum:
        raise SpecError(path, "must be at least %d, not %d" % (minimum, value))
    return value


def boolean(path, value):
    if not isinstance(value, bool):
        raise SpecError(path, "must be true or false, not %r" % (value,))
    return value


def text(path, value):
    if not isinstance(value, str):
        raise SpecError(path, "must be a string, not %r" % (value,))
    return value


def section(resources, name, kind=dict):
    """The sub-object ``name`` of resources, or None when absent/null."""
    value = resources.get(name)
    if value is None:
        return None
    if not isinstance(value, kind):
        raise SpecError(field(name), "must be an %s" % ("object" if kind is dict else "array"))
    return value


def requested(obj):
    """True if a config object asks for anything (a value other than null/false)."""
    if isinstance(obj, dict):
        return any(v is not None and v is not False for v in obj.values())
    return bool(obj)


def v2_limit(value):
    """cgroup v2 spells "unlimited" as "max"; the OCI config as -1."""
    return "max" if value < 0 else str(value)


def page_size(path, value):
    text(path, value)
    if not _PAGE_SIZE.match(value):
        raise SpecError(path, "%r is not a huge page size like \"2MB\" or \"1GB\"" % value)
    return value
