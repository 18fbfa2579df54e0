# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bundle directories the modules write for inline containers.

Private to this collection. The bundle holds config.json (root.path is the
user's rootfs, absolute) and a marker file, so that ``state: absent``
removes only bundles this collection made. config.json is rewritten only
when its bytes change, atomically (temp file, fsync, rename).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

from ..runtime.errors import RuntimeFailure

MARKER = ".opencontainer-managed"
CONFIG = "config.json"


def render(config):
    return (json.dumps(config, indent=2, sort_keys=True) + "\n").encode("utf-8")


def needs_write(bundle_dir, config):
    try:
        with open(os.path.join(bundle_dir, CONFIG), "rb") as handle:
            return handle.read() != render(config)
    except (IOError, OSError):
        return True


def write(bundle_dir, config):
    data = render(config)
    try:
        os.makedirs(bundle_dir, mode=0o700, exist_ok=True)
        marker = os.path.join(bundle_dir, MARKER)
        if not os.path.exists(marker):
            with open(marker, "w") as handle:
                handle.write("written by opencontainer.runtime; removed with its container\n")
        path = os.path.join(bundle_dir, CONFIG)
        tmp = "%s.%d.tmp" % (path, os.getpid())
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(tmp, path)
    except OSError as e:
        raise RuntimeFailure("bundle_dir: cannot write %s: %s" % (bundle_dir, e.strerror or e))


def is_managed(bundle_dir):
    return bool(bundle_dir) and os.path.isfile(os.path.join(bundle_dir, MARKER))


def remove(bundle_dir):
    """Remove a bundle directory this collection wrote (and nothing else in it)."""
    for name in (CONFIG, MARKER):
        try:
            os.unlink(os.path.join(bundle_dir, name))
        except OSError:
            pass
    try:
        os.rmdir(bundle_dir)
    except OSError:
        pass  # the user put something else there: keep it
