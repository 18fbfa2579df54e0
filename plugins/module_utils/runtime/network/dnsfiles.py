# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""/etc/resolv.conf and /etc/hosts of a container on a bridge network.

Written into the container's state directory and bind-mounted over the
container's files (config.md "Mounts"), never into the user's rootfs, which
may be shared by many containers or read-only. resolv.conf is the host's
with loopback name servers dropped: 127.0.0.53 (systemd-resolved) or a
local dnsmasq is the host's loopback, unreachable from the container's own
namespace. When nothing is left, systemd-resolved's list of upstream
servers is used if present.
"""

import ipaddress
import os


RESOLV_SOURCES = ("/etc/resolv.conf", "/run/systemd/resolve/resolv.conf")
FILES = {"resolv.conf": "/etc/resolv.conf", "hosts": "/etc/hosts"}


def _is_loopback(text):
    try:
        return ipaddress.ip_address(text.split("%")[0]).is_loopback
    except ValueError:
        return False


def resolv_conf(sources=RESOLV_SOURCES):
    """The container's resolv.conf text, from the host's."""
    for path in sources:
        try:
            with open(path) as handle:
                lines = handle.read().splitlines()
        except (IOError, OSError):
            continue
        kept = []
        servers = 0
        for line in lines:
            words = line.split()
            if words[:1] == ["nameserver"] and len(words) > 1:
                if _is_loopback(words[1]):
                    continue
                servers += 1
            kept.append(line)
        if servers:
            return "\n".join(kept) + "\n"
    return "# no name server of the host is reachable from a container\n"


def hosts(hostname, addresses):
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    for address in addresses:
        if address and hostname:
            lines.append("%s\t%s" % (address, hostname))
    return "\n".join(lines) + "\n"


def write_files(container_dir, hostname, addresses):
    """Write resolv.conf and hosts into ``container_dir``; return {file name: path}."""
    contents = {"resolv.conf": resolv_conf(), "hosts": hosts(hostname, addresses)}
    written = {}
    for name, text in contents.items():
        path = os.path.join(container_dir, name)
        tmp = path + ".tmp"
        with open(tmp, "w") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.rename(tmp, path)
        written[name] = path
    return written


def bind_mounts(config, files):
    """Mount entries for ``files`` ({name: host path}), skipping destinations the config already mounts."""
    taken = set(os.path.normpath(m.get("destination") or "") for m in config.get("mounts") or [])
    mounts = []
    for name in sorted(files):
        destination = FILES[name]
        if destination not in taken:
            mounts.append({"destination": destination, "type": "bind", "source": files[name],
                           "options": ["rbind"]})
    return mounts
