# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`exec --cgroup [CONTROLLER[,CONTROLLER]:]PATH`: an exec'd process in a cgroup below the container's.

As runc 1.1's exec: PATH is relative to the container's own cgroup and must
already exist (the container made it, e.g. a systemd inside it). Without a
controller prefix it applies to every hierarchy and may be given only once;
with one it applies to the v1 hierarchies of those controllers (a named
hierarchy is "name=systemd"), and the other hierarchies keep the container's
cgroup. A path never leaves the container's cgroup: it is relative, with no
"." or ".." component.
"""

from .. import pathlite
from ..errors import CgroupError
from .membership import STATE_VERSION


def parse(args):
    """{controller or "": path} from the --cgroup values, or raise CgroupError."""
    paths = {}
    for arg in args:
        parts = arg.split(":")
        if len(parts) > 2:
            raise CgroupError("invalid --cgroup argument %r: the form is [CONTROLLER:]PATH" % arg)
        if len(parts) == 1:
            if len(args) != 1:
                raise CgroupError("invalid --cgroup argument %r: a path without a CONTROLLER: prefix "
                                  "must be the only --cgroup" % arg)
            paths[""] = _checked_path(arg, arg)
            continue
        path = _checked_path(parts[1], arg)
        for controller in parts[0].split(","):
            if not controller:
                raise CgroupError("invalid --cgroup argument %r: empty controller name" % arg)
            paths[controller] = path
    return paths


def _checked_path(path, arg):
    parts = path.split("/")
    if not path or path.startswith("/") or "\0" in path or any(p in ("", ".", "..") for p in parts):
        raise CgroupError("invalid --cgroup argument %r: the path must be relative to the container's "
                          "cgroup, without empty, '.' or '..' parts" % arg)
    return path


def below(saved, sub_paths):
    """membership.join()'s (directory, is_v2) pairs, with ``sub_paths`` applied, from state's "cgroup"."""
    try:
        if saved.get("version") != STATE_VERSION:
            raise ValueError("unknown version %r" % (saved.get("version"),))
        hierarchies = [(h["name"], h["fstype"] == "cgroup2", str(saved["paths"][h["name"]]))
                       for h in saved["hierarchies"]]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CgroupError("saved cgroup state is unusable: %s" % (exc,))
    used = set()
    out = []
    for name, is_v2, directory in hierarchies:
        sub = None
        if not is_v2:
            for controller in name.split(","):
                if controller in sub_paths:
                    sub = sub_paths[controller]
                    used.add(controller)
                    break
        if sub is None and "" in sub_paths:
            sub = sub_paths[""]
            used.add("")
        if sub is not None:
            directory = pathlite.join(directory, sub)
            if not pathlite.isdir(directory):
                raise CgroupError("--cgroup: %s does not exist (the sub-cgroup must exist already)"
                                  % directory)
        out.append((directory, is_v2))
    unknown = sorted(set(sub_paths) - used)
    if unknown:
        raise CgroupError("--cgroup: no cgroup hierarchy of this container has controller %s"
                          % ", ".join(unknown))
    return out
