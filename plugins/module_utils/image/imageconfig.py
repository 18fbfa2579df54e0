# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An image's config as the defaults of a runtime config (image-spec conversion.md).

* process.args: Entrypoint + Cmd. As docker does, ``command`` replaces Cmd
  and ``entrypoint`` replaces Entrypoint and drops Cmd (unless ``command``
  is given too).
* process.env: the image's Env over the runtime's defaults; options win.
* process.cwd: WorkingDir (default "/").
* process.user: User, names resolved through the image's own /etc/passwd
  and /etc/group (read from its layers, never following a symlink), the
  user's supplementary groups as additionalGids.
* annotations: Config.Labels, then the fields conversion.md names
  (org.opencontainers.image.os, .architecture, .author, .created,
  .stopSignal, .exposedPorts); the user's annotations win.
"""

import errno
import os
import stat

from .errors import ImageError

ANNOTATION = "org.opencontainers.image."


def process_args(image_config, entrypoint=None, command=None):
    cfg = image_config.get("config") or {}
    if entrypoint is not None:
        args = list(entrypoint) + (list(command) if command is not None else [])
    else:
        args = list(cfg.get("Entrypoint") or []) + (list(command) if command is not None else list(cfg.get("Cmd") or []))
    if not args:
        raise ImageError("the image has neither Entrypoint nor Cmd: set command (or entrypoint)")
    return args


def merged_env(defaults, image_config):
    """KEY=VALUE list: the runtime's defaults, replaced or extended by the image's Env."""
    env = list(defaults)
    for item in (image_config.get("config") or {}).get("Env") or []:
        key = item.split("=", 1)[0]
        env = [e for e in env if e.split("=", 1)[0] != key] + [item]
    return env


def annotations(image_config):
    cfg = image_config.get("config") or {}
    out = dict((str(k), str(v)) for k, v in (cfg.get("Labels") or {}).items())
    for field in ("os", "architecture", "variant", "author", "created"):
        if image_config.get(field):
            out[ANNOTATION + field] = str(image_config[field])
    if image_config.get("os.version"):
        out[ANNOTATION + "os.version"] = image_config["os.version"]
    if cfg.get("StopSignal"):
        out[ANNOTATION + "stopSignal"] = cfg["StopSignal"]
    ports = exposed_ports(image_config)
    if ports:
        out[ANNOTATION + "exposedPorts"] = ",".join(ports)
    return out


def exposed_ports(image_config):
    return sorted((((image_config.get("config") or {}).get("ExposedPorts")) or {}).keys())


def read_image_file(layer_dirs, path):
    """Contents of ``path`` as the image shows it (layers top first), or None.

    A whiteout hides it; an opaque directory on the way hides the layers
    below; a symlink on the way is not followed (None): the layers are
    untrusted and this runs on the host.
    """
    parts = [p for p in path.strip("/").split("/") if p]
    for layer in layer_dirs:
        current = layer
        hidden_below = False
        for index, part in enumerate(parts):
            current = os.path.join(current, part)
            try:
                st = os.lstat(current)
            except OSError as e:
                if e.errno in (errno.ENOENT, errno.ENOTDIR):
                    break
                raise
            if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
                return None   # a whiteout
            last = index == len(parts) - 1
            if last:
                if not stat.S_ISREG(st.st_mode):
                    return None
                fd = os.open(current, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
                with os.fdopen(fd, "rb") as handle:
                    return handle.read(4 * 1024 * 1024)
            if not stat.S_ISDIR(st.st_mode):
                return None   # a symlink or file where a directory should be
            try:
                if os.getxattr(current, "trusted.overlay.opaque", follow_symlinks=False) == b"y":
                    hidden_below = True
            except OSError:
                pass
        if hidden_below:
            return None
    return None


def resolve_user(value, layer_dirs):
    """process.user from an image's User ("name", "uid", "name:group", "uid:gid")."""
    user, _sep, group = str(value).partition(":")
    passwd = _entries(layer_dirs, "etc/passwd")
    groups = _entries(layer_dirs, "etc/group")
    uid, primary = _lookup(user, passwd, "/etc/passwd", value)
    if group:
        gid = _lookup(group, groups, "/etc/group", value)[0]
    else:
        gid = primary if primary is not None else 0
    result = {"uid": uid, "gid": gid}
    if not user.isdigit():
        extra = sorted(set(int(f[2]) for f in groups if len(f) > 3 and f[2].isdigit()
                           and user in f[3].split(",") and int(f[2]) != gid))
        if extra:
            result["additionalGids"] = extra
    return result


def _entries(layer_dirs, path):
    data = read_image_file(layer_dirs, path)
    if data is None:
        return []
    return [line.split(":") for line in data.decode("utf-8", "replace").splitlines() if line and not line.startswith("#")]


def _lookup(name, entries, path, value):
    if name.isdigit():
        return int(name), None
    for fields in entries:
        if len(fields) >= 3 and fields[0] == name and fields[2].isdigit():
            primary = int(fields[3]) if len(fields) > 3 and fields[3].isdigit() else None
            return int(fields[2]), primary
    raise ImageError("user %r: %r is not a number and not in the image's %s" % (value, name, path))
