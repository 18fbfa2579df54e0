# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Field-by-field comparison of two config.json documents.

Private to this collection. The container manager compares the config a
container should have with the one it was created from (kept by the
runtime in state.json), never with a re-parsed command line, so what is
compared is exactly what the runtime used. Objects are walked key by key;
lists and scalars are leaves, compared strictly unless options.py says
otherwise (capability lists as sets).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from .options import FIELD_COMPARISONS, IGNORE, SET, UPDATABLE_PREFIXES

_MISSING = object()


class Difference(object):
    __slots__ = ("path", "before", "after")

    def __init__(self, path, before, after):
        self.path = path
        self.before = before
        self.after = after

    @property
    def updatable(self):
        """True when the runtime can apply it to the live container (a cgroup value that stays set)."""
        return self.after is not None and _under_any(self.path, UPDATABLE_PREFIXES)

    def __repr__(self):
        return "Difference(%r, %r, %r)" % (self.path, self.before, self.after)


def differences(current, desired, comparisons=None):
    """Differences from ``current`` to ``desired`` (both dicts), ignored paths left out."""
    rules = dict(FIELD_COMPARISONS)
    rules.update(comparisons or {})
    found = []
    _walk("", current, desired, rules, found)
    return found


def _walk(path, before, after, rules, found):
    rule = rules.get(path)
    if rule == IGNORE:
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            _walk(path + "." + key if path else key, before.get(key, _MISSING), after.get(key, _MISSING),
                  rules, found)
        return
    if rule == SET and isinstance(before, list) and isinstance(after, list):
        if _as_set(before) == _as_set(after):
            return
    elif before == after:
        return
    found.append(Difference(path, None if before is _MISSING else before, None if after is _MISSING else after))


def _as_set(values):
    return set(repr(v) for v in values)


def _under_any(path, prefixes):
    return any(path == p or path.startswith(p + ".") for p in prefixes)


def only_updatable(diffs):
    return bool(diffs) and all(d.updatable for d in diffs)


def resources_update(diffs, desired_config):
    """The partial linux.resources object that applies ``diffs`` in place."""
    resources = (desired_config.get("linux") or {}).get("resources") or {}
    update = {}
    for diff in diffs:
        group = diff.path[len("linux.resources."):].split(".", 1)[0]
        if group in resources:
            update[group] = resources[group]
    return update


def diff_view(diffs):
    """before/after dicts for Ansible's --diff, keyed by config path."""
    return (dict((d.path, d.before) for d in diffs), dict((d.path, d.after) for d in diffs))
