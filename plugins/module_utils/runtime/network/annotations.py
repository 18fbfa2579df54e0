# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a bundle asks for networking: annotations on config.json.

config.md "Annotations" are free-form metadata for the runtime; these keys
are this runtime's, so `oci-runtime create` of a bundle does the same wiring
as the Ansible modules (which write the same keys):

``org.opencontainer.runtime.network``
    ``none`` (a new network namespace with only ``lo``, the default),
    ``host`` (no network namespace: the host's), ``bridge`` (the default
    network ``oci0``), ``bridge:<network>`` (a named network of the state
    root) or ``container:<id>`` (the network namespace of another container
    of the same state root).
``org.opencontainer.runtime.network.ip``
    A static IPv4 address inside the network's subnet (bridge only).
``org.opencontainer.runtime.network.mac``
    A static MAC address for ``eth0`` (bridge only).
``org.opencontainer.runtime.network.publish``
    A JSON list of published ports (bridge only), each
    ``"[host_ip:]host_port:container_port[/tcp|udp]"`` or an object with
    ``host_ip``, ``host_port``, ``container_port`` and ``protocol``.
"""

from ..errors import SpecError
from ..standalone import jsonlite

NETWORK = "org.opencontainer.runtime.network"
IP = NETWORK + ".ip"
MAC = NETWORK + ".mac"
PUBLISH = NETWORK + ".publish"
KEYS = (NETWORK, IP, MAC, PUBLISH)

DEFAULT_NETWORK = "oci0"
MODES = ("none", "host", "bridge", "container")
PROTOCOLS = ("tcp", "udp")
# Checked by hand, not with re: re imports enum, ~5 ms of every create.
NAME_RULE = "[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"
_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_NAME_CHARS = _ALNUM | frozenset("_.-")
_HEX = frozenset("0123456789abcdefABCDEF")


def valid_name(name):
    """A network name: NAME_RULE, 1 to 64 characters, a letter or digit first."""
    return (isinstance(name, str) and 0 < len(name) <= 64 and name[0] in _ALNUM
            and all(char in _NAME_CHARS for char in name))


def _valid_mac(value):
    """Six pairs of hex digits separated by colons (02:42:ac:11:00:02)."""
    pairs = value.split(":")
    return len(pairs) == 6 and all(len(pair) == 2 and pair[0] in _HEX and pair[1] in _HEX for pair in pairs)


class NetworkRequest(object):
    """The wiring one container asks for."""

    __slots__ = ("mode", "target", "ip", "mac", "publish")

    def __init__(self, mode, target=None, ip=None, mac=None, publish=()):
        self.mode = mode
        self.target = target      # network name (bridge) or container id (container)
        self.ip = ip
        self.mac = mac
        self.publish = list(publish)

    def __repr__(self):
        return "NetworkRequest(%r, %r, ip=%r, mac=%r, publish=%r)" % (self.mode, self.target, self.ip, self.mac, self.publish)


def _where(key):
    return "annotations.%s" % key


def parse_mode(value, key=NETWORK):
    """(mode, target) of a ``network`` value."""
    if not isinstance(value, str) or not value:
        raise SpecError(_where(key), "must be none, host, bridge, bridge:<network> or container:<id>")
    mode, sep, target = value.partition(":")
    if mode in ("none", "host") and not sep:
        return mode, None
    if mode == "bridge":
        name = target if sep else DEFAULT_NETWORK
        if not valid_name(name):
            raise SpecError(_where(key), "invalid network name %r" % name)
        return mode, name
    if mode == "container" and target:
        return mode, target
    raise SpecError(_where(key), "%r is not none, host, bridge, bridge:<network> or container:<id>" % value)


def parse_publish_item(item, where):
    """One published port as a dict {host_ip, host_port, container_port, protocol}."""
    if isinstance(item, dict):
        unknown = set(item) - {"host_ip", "host_port", "container_port", "protocol"}
        if unknown:
            raise SpecError(where, "unknown keys %s" % ", ".join(sorted(unknown)))
        host_ip, host_port = item.get("host_ip") or "", item.get("host_port")
        container_port, protocol = item.get("container_port"), item.get("protocol") or "tcp"
    elif isinstance(item, str):
        text, _sep, protocol = item.partition("/")
        protocol = protocol or "tcp"
        parts = text.rsplit(":", 2)
        if len(parts) == 2:
            parts.insert(0, "")
        if len(parts) != 3:
            raise SpecError(where, "%r must be [host_ip:]host_port:container_port[/tcp|udp]" % item)
        host_ip, host_port, container_port = parts
    else:
        raise SpecError(where, "must be a string [host_ip:]host_port:container_port[/proto] or an object")
    if protocol not in PROTOCOLS:
        raise SpecError(where, "protocol %r is not tcp or udp" % (protocol,))
    if host_ip:
        import ipaddress
        try:
            if ipaddress.ip_address(host_ip).version != 4:
                raise ValueError(host_ip)
        except ValueError:
            raise SpecError(where, "host_ip %r is not an IPv4 address (published ports are IPv4 only)" % (host_ip,))
    ports = []
    for name, value in (("host_port", host_port), ("container_port", container_port)):
        try:
            port = int(value)
        except (TypeError, ValueError):
            raise SpecError(where, "%s %r is not a port number" % (name, value))
        if not 1 <= port <= 65535 or isinstance(value, bool):
            raise SpecError(where, "%s %r is not between 1 and 65535" % (name, value))
        ports.append(port)
    return {"host_ip": host_ip, "host_port": ports[0], "container_port": ports[1], "protocol": protocol}


def format_publish(entry):
    """The canonical string of a published port."""
    prefix = entry["host_ip"] + ":" if entry["host_ip"] else ""
    return "%s%d:%d/%s" % (prefix, entry["host_port"], entry["container_port"], entry["protocol"])


def parse_publish(raw, key=PUBLISH):
    if isinstance(raw, str):
        try:
            raw = jsonlite.loads(raw)
        except ValueError as e:
            raise SpecError(_where(key), "must be a JSON list of published ports: %s" % e)
    if not isinstance(raw, list):
        raise SpecError(_where(key), "must be a JSON list of published ports")
    entries = [parse_publish_item(item, "%s[%d]" % (_where(key), i)) for i, item in enumerate(raw)]
    seen = set()
    for i, entry in enumerate(entries):
        where = (entry["host_ip"], entry["host_port"], entry["protocol"])
        if where in seen:
            raise SpecError("%s[%d]" % (_where(key), i), "%s is published twice" % format_publish(entry))
        seen.add(where)
    return entries


def parse_ip(value, key=IP):
    import ipaddress
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        raise SpecError(_where(key), "%r is not an IP address" % (value,))
    if address.version != 4:
        raise SpecError(_where(key), "%s: only a static IPv4 address can be given" % value)
    return str(address)


def parse_mac(value, key=MAC):
    if not isinstance(value, str) or not _valid_mac(value):
        raise SpecError(_where(key), "%r is not a MAC address like 02:42:ac:11:00:02" % (value,))
    if int(value[:2], 16) & 1:
        raise SpecError(_where(key), "%s is a multicast address" % value)
    return value.lower()


def request_from_config(config):
    """The NetworkRequest of a config, or None when it carries no network annotation."""
    annotations = config.get("annotations") or {}
    raw = annotations.get(NETWORK)
    extras = [k for k in (IP, MAC, PUBLISH) if annotations.get(k) not in (None, "")]
    if raw is None:
        if extras:
            raise SpecError(_where(extras[0]), "needs %s = bridge or bridge:<network>" % NETWORK)
        return None
    mode, target = parse_mode(raw)
    if mode != "bridge" and extras:
        raise SpecError(_where(extras[0]), "only applies to bridge networks, not %s" % raw)
    request = NetworkRequest(mode, target)
    if mode == "bridge":
        if annotations.get(IP):
            request.ip = parse_ip(annotations[IP])
        if annotations.get(MAC):
            request.mac = parse_mac(annotations[MAC])
        if annotations.get(PUBLISH):
            request.publish = parse_publish(annotations[PUBLISH])
    return request
