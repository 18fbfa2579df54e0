# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image references: what a user writes in ``image:`` and where skopeo fetches it.

Registry references follow the grammar of the distribution project's
``reference`` package (the one docker and podman use)::

    [domain[:port]/]path[:tag][@algorithm:hex]

A first path component is a domain only when it has a "." or ":" or is
"localhost"; otherwise the name is *short* and needs resolving
(registries.py). ``docker.io/busybox`` means ``docker.io/library/busybox``.

Besides registries, three local transports of containers-transports(5):
``oci:DIR[:tag]`` (an OCI image layout), ``oci-archive:PATH[:tag]`` (a tar
of one) and ``docker-archive:PATH[:name:tag]`` (what ``docker save`` writes).
"""

import os
import re

from .errors import BadReference

# distribution/reference/regexp.go
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_PATH_RE = re.compile(r"^%s(?:/%s)*$" % (_COMPONENT, _COMPONENT))
_DOMAIN_RE = re.compile(r"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
                        r"(?::[0-9]+)?$|^\[[0-9a-fA-F:.]+\](?::[0-9]+)?$")
_TAG_RE = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST_RE = re.compile(r"^sha256:[a-f0-9]{64}$|^sha512:[a-f0-9]{128}$")
NAME_TOTAL_MAX = 255

DOCKER_HUB = "docker.io"
DEFAULT_TAG = "latest"
LOCAL_TRANSPORTS = ("oci", "oci-archive", "docker-archive")


class Reference(object):
    """A parsed reference. ``domain`` is None for a short name (not yet resolved)."""

    __slots__ = ("transport", "domain", "path", "tag", "digest", "file")

    def __init__(self, transport="docker", domain=None, path=None, tag=None, digest=None, file=None):
        self.transport = transport
        self.domain = domain
        self.path = path
        self.tag = tag
        self.digest = digest
        self.file = file  # local transports: the absolute path of the layout or archive

    @property
    def is_short(self):
        return self.transport == "docker" and self.domain is None

    @property
    def repository(self):
        return "%s/%s" % (self.domain, self.path) if self.domain else self.path

    def qualified(self, domain):
        """This short name in a registry (docker.io gets its library/ namespace)."""
        path = self.path
        if domain == DOCKER_HUB and "/" not in path:
            path = "library/" + path
        return Reference("docker", domain, path, self.tag, self.digest)

    def __str__(self):
        if self.transport != "docker":
            text = "%s:%s" % (self.transport, self.file)
            return text + (":" + self.tag if self.tag else "")
        text = self.repository
        if self.tag:
            text += ":" + self.tag
        elif not self.digest:
            text += ":" + DEFAULT_TAG
        if self.digest:
            text += "@" + self.digest
        return text

    def __eq__(self, other):
        return isinstance(other, Reference) and str(self) == str(other)

    def __hash__(self):
        return hash(str(self))

    def skopeo_source(self):
        """The source argument of ``skopeo copy`` (containers-transports(5))."""
        if self.is_short:
            raise BadReference("%s: a short name must be resolved to a registry first" % self)
        if self.transport == "docker":
            return "docker://" + str(self)
        return str(self)


def parse(text):
    """Parse a reference; a BadReference names what is wrong in it."""
    if not isinstance(text, str) or not text.strip():
        raise BadReference("image: an image reference is required")
    text = text.strip()
    for transport in LOCAL_TRANSPORTS:
        if text.startswith(transport + ":"):
            return _parse_local(transport, text[len(transport) + 1:], text)
    if text.startswith("docker://"):
        text = text[len("docker://"):]
    return _parse_registry(text)


def _parse_local(transport, rest, original):
    if not rest:
        raise BadReference("%s: a path is required after %s:" % (original, transport))
    # skopeo splits at the first ":" (containers-transports(5)): paths with ":" cannot be named.
    path, _sep, tag = rest.partition(":")
    if not os.path.isabs(path):
        path = os.path.abspath(path)
    if transport == "oci" and tag and not _TAG_RE.match(tag):
        raise BadReference("%s: %r is not a valid tag" % (original, tag))
    return Reference(transport, tag=tag or None, file=os.path.normpath(path))


def _parse_registry(text):
    original = text
    name, _at, digest = text.partition("@")
    if _at and not _DIGEST_RE.match(digest):
        raise BadReference("%s: %r is not a digest (sha256:<64 hex digits>)" % (original, digest))
    tag = None
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1:]
        if not _TAG_RE.match(tag):
            raise BadReference("%s: %r is not a valid tag" % (original, tag))
    if len(name) > NAME_TOTAL_MAX:
        raise BadReference("%s: the name is longer than %d characters" % (original, NAME_TOTAL_MAX))
    first, _slash, remainder = name.partition("/")
    domain = None
    path = name
    if remainder and ("." in first or ":" in first or first == "localhost"):
        if not _DOMAIN_RE.match(first):
            raise BadReference("%s: %r is not a valid registry host" % (original, first))
        domain, path = first, remainder
    if not _PATH_RE.match(path):
        if path.lower() != path:
            raise BadReference("%s: repository names must be lowercase" % original)
        raise BadReference("%s: %r is not a valid repository name" % (original, path))
    if domain == DOCKER_HUB and "/" not in path:
        path = "library/" + path
    return Reference("docker", domain, path, tag or None, digest or None)
