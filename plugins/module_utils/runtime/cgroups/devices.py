# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Device access rules (config-linux.md "Allowed Device list").

``linux.resources.devices`` is an ordered list of allow/deny rules; a rule
matches a device by type (a = all, c = char, b = block), major and minor
(absent = any) and grants or refuses the accesses r (read), w (write) and
m (mknod). As in runc, the last rule that matches decides, and a device no
rule matches is denied.

cgroup v1 implements this with the devices controller: writing "a" to
devices.deny empties the cgroup's allow list, then each rule becomes one
line "TYPE MAJOR:MINOR ACCESS" in devices.allow or devices.deny
(Documentation/admin-guide/cgroup-v1/devices.rst). cgroup v2 has no such
files; see devices_bpf.py.
"""

from ..errors import SpecError
from .values import Write, boolean, field, integer, text

ALL_ACCESS = "rwm"


class DeviceRule(object):
    """One normalised rule; ``major``/``minor`` are None for "any"."""

    __slots__ = ("allow", "type", "major", "minor", "access")

    def __init__(self, allow, type_, major, minor, access):
        self.allow = allow
        self.type = type_
        self.major = major
        self.minor = minor
        self.access = access

    @property
    def matches_everything(self):
        return (self.type == "a" and self.major is None and self.minor is None
                and self.access == ALL_ACCESS)

    def __repr__(self):
        return "DeviceRule(%s %s)" % ("allow" if self.allow else "deny", self.v1_line())

    def v1_line(self):
        """The devices.allow/deny line; "a" alone means every device."""
        if self.matches_everything:
            return "a"
        return "%s %s:%s %s" % (self.type, "*" if self.major is None else self.major,
                                "*" if self.minor is None else self.minor, self.access)


def _access(path, value):
    if value is None or value == "":
        return ALL_ACCESS
    text(path, value)
    if any(ch not in ALL_ACCESS for ch in value):
        raise SpecError(path, "%r may only contain the letters r, w and m" % value)
    # Canonical order and no duplicates, so rules compare and print stably.
    return "".join(ch for ch in ALL_ACCESS if ch in value)


def _number(path, value):
    if value is None:
        return None
    integer(path, value)
    # Some configs spell "any" as -1 (runc's Wildcard).
    return None if value < 0 else value


def normalize_rules(rules):
    """Validate ``linux.resources.devices`` and return DeviceRule objects."""
    base = field("devices")
    if not isinstance(rules, list):
        raise SpecError(base, "must be an array of device rules")
    result = []
    for index, rule in enumerate(rules):
        here = "%s[%d]" % (base, index)
        if not isinstance(rule, dict):
            raise SpecError(here, "must be an object")
        if "allow" not in rule:
            raise SpecError(here + ".allow", "is required")
        allow = boolean(here + ".allow", rule["allow"])
        type_ = rule.get("type") or "a"
        if type_ not in ("a", "b", "c"):
            raise SpecError(here + ".type", "must be \"a\", \"b\" or \"c\", not %r" % (type_,))
        result.append(DeviceRule(allow, type_, _number(here + ".major", rule.get("major")),
                                 _number(here + ".minor", rule.get("minor")),
                                 _access(here + ".access", rule.get("access"))))
    return result


# Rules appended after the config's own, so that they win (last match
# decides), as runc does: every container may mknod device nodes (opening
# them is what the rules guard) and may use the devices config.md "Default
# Devices" requires the runtime to supply, plus its pseudo terminals.
DEFAULT_ALLOWED_RULES = (
    DeviceRule(True, "c", None, None, "m"),
    DeviceRule(True, "b", None, None, "m"),
    DeviceRule(True, "c", 1, 3, ALL_ACCESS),    # /dev/null
    DeviceRule(True, "c", 1, 5, ALL_ACCESS),    # /dev/zero
    DeviceRule(True, "c", 1, 7, ALL_ACCESS),    # /dev/full
    DeviceRule(True, "c", 1, 8, ALL_ACCESS),    # /dev/random
    DeviceRule(True, "c", 1, 9, ALL_ACCESS),    # /dev/urandom
    DeviceRule(True, "c", 5, 0, ALL_ACCESS),    # /dev/tty
    DeviceRule(True, "c", 5, 1, ALL_ACCESS),    # /dev/console
    DeviceRule(True, "c", 5, 2, ALL_ACCESS),    # /dev/ptmx
    DeviceRule(True, "c", 136, None, ALL_ACCESS),  # /dev/pts/*
)


def v1_writes(rules):
    """Writes to the v1 devices controller for normalised ``rules``."""
    writes = [Write("devices", "devices.deny", "a", field("devices"))]
    for index, rule in enumerate(rules):
        filename = "devices.allow" if rule.allow else "devices.deny"
        where = field("devices", index)
        if rule.type == "a" and not rule.matches_everything:
            # The kernel reads a leading "a" as "every device, every access"
            # and ignores the rest of the line, so a narrower "a" rule has
            # to be spelled once per device type.
            for type_ in ("c", "b"):
                narrowed = DeviceRule(rule.allow, type_, rule.major, rule.minor, rule.access)
                writes.append(Write("devices", filename, narrowed.v1_line(), where))
        else:
            writes.append(Write("devices", filename, rule.v1_line(), where))
    return writes
