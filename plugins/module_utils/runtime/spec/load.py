# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Loading an OCI bundle: a directory with config.json and a root file system.

bundle.md: the bundle holds config.json at its top level, and root.path in it
names the container's root file system, relative to the bundle directory
unless absolute. The bundle path is resolved once with realpath so that the
state file, hooks (which get it in the state) and the mount code all see the
same directory, whatever symlinks or relative paths the caller used.
"""

import os

from ..errors import SpecError
from ..standalone import jsonlite
from .checks_linux import namespace_entries
from .validate import validate_config

CONFIG_NAME = "config.json"


class Bundle:
    """A loaded bundle: ``path`` and ``rootfs`` are absolute, ``config`` is validated."""

    __slots__ = ("path", "config", "rootfs")

    def __init__(self, path, config, rootfs):
        self.path = path
        self.config = config
        self.rootfs = rootfs

    @property
    def config_path(self):
        return os.path.join(self.path, CONFIG_NAME)

    def __repr__(self):
        return "Bundle(path=%r, rootfs=%r)" % (self.path, self.rootfs)


def read_config(config_path):
    """Parse a config.json file; SpecError("", ...) if unreadable or not an object."""
    try:
        with open(config_path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise SpecError("", "cannot read %s: %s" % (config_path, exc.strerror or exc))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError("", "%s is not UTF-8 text (byte %d)" % (config_path, exc.start))
    try:
        config = jsonlite.loads(text)
    except ValueError:
        config = _parse_for_the_error(text, config_path)
    if not isinstance(config, dict):
        raise SpecError("", "%s must hold a JSON object" % config_path)
    return config


def _parse_for_the_error(text, config_path):
    """Parse ``text`` again with json, for its error: the line and column of the fault.

    jsonlite (the same C scanner, without json's re and enum imports) reads
    every valid config; json is imported only for one that is not.
    """
    import json
    try:
        return json.loads(text)
    except ValueError as exc:
        where = ""
        if hasattr(exc, "lineno"):
            where = " at line %d column %d" % (exc.lineno, exc.colno)
        raise SpecError("", "%s is not valid JSON%s: %s"
                        % (config_path, where, getattr(exc, "msg", exc)))


def load_bundle(bundle_path, for_create=True):
    """Load and validate the bundle at ``bundle_path``; return a Bundle."""
    if not isinstance(bundle_path, str) or bundle_path == "":
        raise SpecError("", "bundle path must be a non-empty string")
    path = os.path.realpath(bundle_path)
    if not os.path.exists(path):
        raise SpecError("", "bundle %s does not exist" % bundle_path)
    if not os.path.isdir(path):
        raise SpecError("", "bundle %s is not a directory" % bundle_path)
    config = read_config(os.path.join(path, CONFIG_NAME))
    validate_config(config, for_create=for_create)
    rootfs = None
    mount = namespace_entries(config).get("mount")
    if "root" in config and mount is not None and mount[1]:
        # A joined mount namespace: root.path names a directory there, which
        # the init looks up after joining it (rootfs/chroot.py), not here.
        rootfs = os.path.normpath(os.path.join(path, config["root"]["path"]))
    elif "root" in config:
        # os.path.join keeps root.path as is when it is absolute (config.md).
        rootfs = os.path.realpath(os.path.join(path, config["root"]["path"]))
        if not os.path.exists(rootfs):
            raise SpecError("root.path", "root file system %s does not exist" % rootfs)
        if not os.path.isdir(rootfs):
            raise SpecError("root.path", "root file system %s is not a directory" % rootfs)
    return Bundle(path, config, rootfs)
