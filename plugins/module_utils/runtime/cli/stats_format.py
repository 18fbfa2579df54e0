# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`events` output field for field as runc prints it.

runc encodes its Go structs (libcontainer's types/events.go: Event, Stats,
Cpu, Memory, ...) with encoding/json: fields in declaration order, and a
field tagged ``omitempty`` left out when it is 0, "" or an empty list or
map (never when it is a struct). Tools that match runc's output as text
(or diff it) see the same bytes here. Fields runc does not have follow,
sorted.

Each schema is a tuple of (key, omitempty, sub) where ``sub`` is the schema
of a nested object, ("map", schema) for an object of such objects,
("list", schema) for a list of them, or None for a plain value.
"""

_MEMORY_ENTRY = (("limit", False, None), ("usage", True, None), ("max", True, None), ("failcnt", False, None))
_BLKIO_ENTRY = (("major", True, None), ("minor", True, None), ("op", True, None), ("value", True, None))
_BLKIO_LIST = ("list", _BLKIO_ENTRY)

STATS = (
    ("cpu", False, (
        ("usage", False, (("total", True, None), ("percpu", True, None), ("percpu_kernel", True, None),
                          ("percpu_user", True, None), ("kernel", False, None), ("user", False, None))),
        ("throttling", False, (("periods", True, None), ("throttledPeriods", True, None),
                               ("throttledTime", True, None))),
    )),
    ("cpuset", False, (
        ("cpus", True, None), ("cpu_exclusive", False, None), ("mems", True, None),
        ("mem_hardwall", False, None), ("mem_exclusive", False, None), ("memory_migrate", False, None),
        ("memory_spread_page", False, None), ("memory_spread_slab", False, None),
        ("memory_pressure", False, None), ("sched_load_balance", False, None),
        ("sched_relax_domain_level", False, None),
    )),
    ("memory", False, (
        ("cache", True, None), ("usage", False, _MEMORY_ENTRY), ("swap", False, _MEMORY_ENTRY),
        ("kernel", False, _MEMORY_ENTRY), ("kernelTCP", False, _MEMORY_ENTRY), ("raw", True, None),
    )),
    ("pids", False, (("current", True, None), ("limit", True, None))),
    ("blkio", False, (
        ("ioServiceBytesRecursive", True, _BLKIO_LIST), ("ioServicedRecursive", True, _BLKIO_LIST),
        ("ioQueueRecursive", True, _BLKIO_LIST), ("ioServiceTimeRecursive", True, _BLKIO_LIST),
        ("ioWaitTimeRecursive", True, _BLKIO_LIST), ("ioMergedRecursive", True, _BLKIO_LIST),
        ("ioTimeRecursive", True, _BLKIO_LIST), ("sectorsRecursive", True, _BLKIO_LIST),
    )),
    ("hugetlb", False, ("map", (("usage", True, None), ("max", True, None), ("failcnt", False, None)))),
    ("intel_rdt", False, None),
    ("network_interfaces", False, None),
)

EVENT = (("type", False, None), ("id", False, None), ("data", False, STATS))


def _empty(value):
    return value is None or value == 0 and not isinstance(value, bool) or value in ("", [], {})


def shape(value, schema):
    """``value`` (a parsed JSON value) laid out as ``schema`` says."""
    if schema is None:
        return value
    if isinstance(schema, tuple) and schema and schema[0] == "map":
        return dict((key, shape(item, schema[1])) for key, item in value.items()) \
            if isinstance(value, dict) else value
    if isinstance(schema, tuple) and schema and schema[0] == "list":
        return [shape(item, schema[1]) for item in value] if isinstance(value, list) else value
    if not isinstance(value, dict):
        return value
    out = {}
    for key, omitempty, sub in schema:
        if key in value and not (omitempty and _empty(value[key])):
            out[key] = shape(value[key], sub)
    known = set(key for key, _omit, _sub in schema)
    for key in sorted(value):
        if key not in known:
            out[key] = value[key]
    return out


def runc_event(event):
    """An events object ({"type", "id", "data"}) in runc's field order."""
    return shape(event, EVENT)
