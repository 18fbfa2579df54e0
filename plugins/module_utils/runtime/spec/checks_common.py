# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Building blocks for config.json checks: JSON paths and JSON type checkers.

config.json is plain JSON, and Python's json module gives back loose types:
``true`` is a ``bool``, which is also an ``int``; ``1.0`` is a ``float``; any
member may be ``null``. The runtime-spec types (uint32, int64, string arrays...)
are stricter, and the kernel takes fixed-width integers and NUL-terminated
strings, so every field is checked before the rest of the runtime uses it.

A *checker* is a function ``check(value, path)`` that returns nothing and
raises SpecError(path, message) when ``value`` is not acceptable. The
factories below build checkers for common shapes (ranged integers, lists,
objects with known members, maps) so each area's checks stay declarative.
``null`` is never accepted for a typed member: it is an error, not "absent",
so later code can rely on ``config.get(key)`` returning a checked value.
"""


from ..errors import SpecError
from ..pathcheck import path_problem
from ..standalone.jsonlite import dumps

UINT16_MAX = 2 ** 16 - 1
UINT32_MAX = 2 ** 32 - 1
UINT64_MAX = 2 ** 64 - 1
INT32_MIN, INT32_MAX = -2 ** 31, 2 ** 31 - 1
INT64_MIN, INT64_MAX = -2 ** 63, 2 ** 63 - 1


# ---- JSON paths -----------------------------------------------------------

def child(path, key):
    """Path of member ``key`` of the object at ``path`` (``linux`` + ``sysctl``)."""
    return "%s.%s" % (path, key) if path else key


def item(path, index):
    """Path of element ``index`` of the list at ``path`` (``mounts[2]``)."""
    return "%s[%d]" % (path, index)


def entry(path, key):
    """Path of a user-chosen map key; quoted because keys may hold dots."""
    return "%s[%s]" % (path, dumps(key))


def fail(path, message):
    raise SpecError(path, message)


def json_type(value):
    """The JSON type of a parsed value, for messages ("not a boolean")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a fractional number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def is_integer(value):
    # bool is a subclass of int in Python, but JSON true is not a number.
    return isinstance(value, int) and not isinstance(value, bool)


# ---- scalar checkers --------------------------------------------------------

def boolean(value, path):
    if not isinstance(value, bool):
        fail(path, "must be a boolean, not %s" % json_type(value))


def string(value, path):
    if not isinstance(value, str):
        fail(path, "must be a string, not %s" % json_type(value))


def kernel_string(value, path):
    """A string the kernel will see as a C string, so NUL would truncate it."""
    string(value, path)
    if "\0" in value:
        fail(path, "must not contain a NUL character")


def nonempty_string(value, path):
    kernel_string(value, path)
    if value == "":
        fail(path, "must be a non-empty string")


def path_string(value, path):
    """A string that names a file: a kernel string within NAME_MAX and PATH_MAX (runtime/pathcheck.py)."""
    kernel_string(value, path)
    problem = path_problem(value)
    if problem:
        fail(path, problem)


def nonempty_path(value, path):
    path_string(value, path)
    if value == "":
        fail(path, "must be a non-empty string")


def absolute_path(value, path):
    path_string(value, path)
    if not value.startswith("/"):
        fail(path, "must be an absolute path, got %r" % (value,))


def int_range(low, high, description=None):
    """Checker for an integer in [low, high]; ``description`` names the range."""
    if description is None:
        description = "an integer from %d to %d" % (low, high)

    def check(value, path):
        if not is_integer(value):
            fail(path, "must be an integer, not %s" % json_type(value))
        if not low <= value <= high:
            fail(path, "must be %s, got %d" % (description, value))
    return check


uint16 = int_range(0, UINT16_MAX, "a uint16 (0 to %d)" % UINT16_MAX)
uint32 = int_range(0, UINT32_MAX, "a uint32 (0 to %d)" % UINT32_MAX)
uint64 = int_range(0, UINT64_MAX, "a uint64 (0 to %d)" % UINT64_MAX)
int32 = int_range(INT32_MIN, INT32_MAX, "an int32 (%d to %d)" % (INT32_MIN, INT32_MAX))
int64 = int_range(INT64_MIN, INT64_MAX, "an int64 (%d to %d)" % (INT64_MIN, INT64_MAX))


def choice(options, noun=None):
    """Checker for a string out of ``options``.

    With ``noun`` the message is "unknown <noun> 'X'" (for long tables such as
    capabilities); without it the message lists the options.
    """
    def check(value, path):
        string(value, path)
        if value not in options:
            if noun:
                fail(path, "unknown %s %r" % (noun, value))
            fail(path, "must be one of %s, got %r" % (", ".join(sorted(options)), value))
    return check


# cpuset(7) "List format": comma-separated CPUs or ranges, ranges optionally
# with a ":used/group" stride. An empty string means "not set".
CPU_LIST_PART = r"\A(\d+)(?:-(\d+)(?::\d+/\d+)?)?\Z"


def cpu_list(value, path):
    string(value, path)
    if value == "":
        return
    import re  # here: exec validates processes with this module and need not load re
    for part in value.split(","):
        match = re.match(CPU_LIST_PART, part.strip())
        if not match or (match.group(2) is not None
                         and int(match.group(2)) < int(match.group(1))):
            fail(path, "must be a list like \"0-3,5\" (cpuset(7) list format), got %r" % (value,))


def env_entry(value, path):
    """One environment entry: execve(2) takes NUL-terminated "KEY=value" strings."""
    kernel_string(value, path)
    key, sep, dummy = value.partition("=")
    if not sep or key == "":
        fail(path, "must be a \"KEY=value\" string with a non-empty KEY, got %r" % (value,))


# ---- container checkers ----------------------------------------------------

def list_of(check_item, nonempty=False, description=None):
    """Checker for a JSON list whose elements all pass ``check_item``."""
    if description is None:
        description = "a non-empty list" if nonempty else "a list"

    def check(value, path):
        if not isinstance(value, list) or (nonempty and not value):
            fail(path, "must be %s, not %s" % (
                description, "an empty list" if isinstance(value, list) else json_type(value)))
        for index, element in enumerate(value):
            check_item(element, item(path, index))
    return check


string_list = list_of(string, description="a list of strings")
env_list = list_of(env_entry, description="a list of \"KEY=value\" strings")


def check_object(value, path, members, required=()):
    """Check an object: its type, its ``required`` members, then each known member.

    ``members`` maps member name -> checker and is checked in its own order,
    so the first failing member is reported deterministically. Members not in
    ``members`` are ignored (config.md: unknown properties MUST be ignored).
    """
    if not isinstance(value, dict):
        fail(path, "must be an object, not %s" % json_type(value))
    for key in required:
        if key not in value:
            fail(child(path, key), "is required")
    for key, check in members.items():
        if key in value:
            check(value[key], child(path, key))
    return value


def object_of(members, required=()):
    """Checker form of check_object."""
    def check(value, path):
        check_object(value, path, members, required)
    return check


def map_of(check_value, check_key=None):
    """Checker for an object used as a map with user-chosen keys."""
    def check(value, path):
        if not isinstance(value, dict):
            fail(path, "must be an object, not %s" % json_type(value))
        for key, member in value.items():
            if check_key is not None:
                check_key(key, entry(path, key))
            check_value(member, entry(path, key))
    return check


def nonempty_key(key, path):
    if key == "":
        fail(path, "keys must be non-empty strings")


def file_name_key(key, path):
    """A map key that becomes a file name (sysctl, cgroup files): no path tricks."""
    nonempty_key(key, path)
    if "/" in key or ".." in key or "\0" in key:
        fail(path, "key must not contain '/', '..' or NUL: it names a file")


def file_name(value, path):
    """A string value used as one directory entry name (e.g. a resctrl group)."""
    nonempty_string(value, path)
    if "/" in value or value in (".", ".."):
        fail(path, "must be a plain file name without '/', got %r" % (value,))


# ---- shared shapes ----------------------------------------------------------

_ID_MAPPING = object_of({"containerID": uint32, "hostID": uint32, "size": uint32},
                        required=("containerID", "hostID", "size"))


def id_mapping_list(value, path):
    """user_namespaces(7) uid_map/gid_map lines: ranges must fit in 32 bits."""
    list_of(_ID_MAPPING)(value, path)
    for index, mapping in enumerate(value):
        here = item(path, index)
        if mapping["size"] == 0:
            fail(child(here, "size"), "must be greater than 0")
        for start in ("containerID", "hostID"):
            if mapping[start] + mapping["size"] > UINT32_MAX + 1:
                fail(child(here, "size"), "%s + size must not exceed %d" % (start, UINT32_MAX + 1))


def section(config, key):
    """The member ``key`` of ``config`` (already type-checked), or an empty dict."""
    value = config.get(key) if isinstance(config, dict) else None
    return value if isinstance(value, dict) else {}
