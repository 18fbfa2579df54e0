# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Short names ("busybox", "library/nginx") resolved as podman resolves them.

containers-registries.conf(5) and containers-registries.conf.d(5):
``/etc/containers/registries.conf`` then every ``*.conf`` of
``registries.conf.d`` in name order, a later file's keys replacing an earlier
one's (``$CONTAINERS_REGISTRIES_CONF`` replaces the main file). Resolution
(the "Short-Name Aliasing" section, as podman does without a terminal):

1. an alias of ``[aliases]`` for the name (without tag) wins;
2. an image already in the local store under exactly one of the candidate
   names is used;
3. one ``unqualified-search-registries`` entry: the name in that registry;
4. none: an error; several: an error listing them (podman would prompt on a
   terminal; a playbook has none, and silently picking one is how
   typo-squatted images get pulled).
"""

import glob
import os
import re

from .errors import BadReference
from .reference import parse

MAIN_CONF = "/etc/containers/registries.conf"
DROPIN_DIR = "/etc/containers/registries.conf.d"


def config_files():
    main = os.environ.get("CONTAINERS_REGISTRIES_CONF") or MAIN_CONF
    return [main] + sorted(glob.glob(os.path.join(DROPIN_DIR, "*.conf")))


def load_settings(paths=None):
    """(search registries, aliases) from the config files that exist."""
    search = []
    aliases = {}
    for path in config_files() if paths is None else paths:
        try:
            with open(path, "rb") as handle:
                text = handle.read().decode("utf-8")
        except (IOError, OSError):
            continue
        data = parse_toml_subset(text, path)
        if "unqualified-search-registries" in data:
            search = list(data["unqualified-search-registries"])
        aliases.update(data.get("aliases") or {})
    return search, aliases


def parse_toml_subset(text, path="registries.conf"):
    """The keys this resolution reads, from a registries.conf (TOML).

    tomllib exists from Python 3.11 only; older targets get a reader of the
    two keys used here (a top-level string array and the [aliases] table).
    """
    try:
        import tomllib
    except ImportError:
        tomllib = None
    if tomllib is not None:
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise BadReference("%s: not valid TOML: %s" % (path, e))
    data = {}
    table = None
    # Arrays may span lines: join the text, then read key = value pairs.
    text = re.sub(r"#[^\n\"']*", "", text)
    for match in re.finditer(r'^\s*(?:\[([^\]]+)\]|("?)([A-Za-z0-9_.\-/]+)\2\s*=\s*(\[[^\]]*\]|"[^"]*"))',
                             text, re.M):
        if match.group(1):
            table = match.group(1).strip()
            continue
        key, value = match.group(3), match.group(4)
        value = re.findall(r'"([^"]*)"', value) if value.startswith("[") else value[1:-1]
        if table is None:
            data[key] = value
        elif table == "aliases":
            data.setdefault("aliases", {})[key] = value
    return data


def resolve(ref, local_names=(), paths=None):
    """The qualified reference for ``ref`` (returned as is unless it is short).

    ``local_names``: the names of the images in the local store (step 2).
    """
    if not ref.is_short:
        return ref
    search, aliases = load_settings(paths)
    alias = aliases.get(ref.path)
    if alias:
        target = parse(alias)
        if target.is_short:
            raise BadReference("%s: its alias %r in registries.conf is not a qualified name" % (ref.path, alias))
        return type(ref)("docker", target.domain, target.path, ref.tag or target.tag, ref.digest or target.digest)
    candidates = [ref.qualified(registry) for registry in search]
    local = [c for c in candidates if str(c) in set(local_names)]
    if len(local) == 1:
        return local[0]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise BadReference("%s is a short name and no unqualified-search-registries is set in %s; "
                           "write the full name (e.g. docker.io/library/%s)"
                           % (ref, " or ".join(paths or config_files()[:1]), ref.path))
    raise BadReference("%s is an ambiguous short name: it could be any of %s "
                       "(unqualified-search-registries); write the full name"
                       % (ref, ", ".join(str(c) for c in candidates)))
