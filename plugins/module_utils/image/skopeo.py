# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""skopeo(1) as the transport: registries, archives, auth, TLS, mirrors.

skopeo already speaks the registry protocol (token auth, mirrors and
registries.conf, auth.json, the signature policy of policy.json) that
podman users have configured; the collection does not write a registry
client of its own. Credentials never go on a command line (other users can
read /proc/PID/cmdline): ``username``/``password`` are written to a 0600
auth file in a 0700 temporary directory for the one call.
"""

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile

from .errors import ImageError

MISSING = ("skopeo is not installed on this host: install the package skopeo "
           "(Debian/Ubuntu: apt-get install skopeo; Fedora/RHEL: dnf install skopeo)")
DEFAULT_TIMEOUT = 3600


class Auth(object):
    """How to reach a registry: credentials, an auth file, TLS verification."""

    def __init__(self, username=None, password=None, auth_file=None, tls_verify=True):
        if (username is None) != (password is None):
            raise ImageError("username and password must be given together")
        self.username = username
        self.password = password
        self.auth_file = auth_file
        self.tls_verify = tls_verify


def binary():
    path = shutil.which("skopeo")
    if not path:
        raise ImageError(MISSING)
    return path


def _source_args(ref, auth, tempdir, prefix="--src-"):
    """skopeo's options for reading ``ref`` (copy's --src-*; inspect takes them without the prefix)."""
    if ref.transport != "docker" or auth is None:
        return []
    args = []
    if auth.username is not None:
        path = os.path.join(tempdir, "auth.json")
        token = base64.b64encode(("%s:%s" % (auth.username, auth.password)).encode("utf-8")).decode("ascii")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump({"auths": {ref.domain: {"auth": token}}}, handle)
        args.append(prefix + "authfile=" + path)
    elif auth.auth_file:
        if not os.path.isfile(auth.auth_file):
            raise ImageError("auth_file: %s does not exist" % auth.auth_file)
        args.append(prefix + "authfile=" + auth.auth_file)
    if not auth.tls_verify:
        args.append(prefix + "tls-verify=false")
    return args


def _platform_args(platform):
    args = []
    if platform:
        parts = platform.split("/")
        if len(parts) < 2 or len(parts) > 3 or not all(parts):
            raise ImageError("platform: %r must be os/architecture[/variant], e.g. linux/arm64" % platform)
        args += ["--override-os", parts[0], "--override-arch", parts[1]]
        if len(parts) == 3:
            args += ["--override-variant", parts[2]]
    return args


def run(args, what, timeout=DEFAULT_TIMEOUT):
    command = [binary()] + args
    try:
        proc = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                              stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        raise ImageError("%s: skopeo did not finish within %ds" % (what, timeout))
    if proc.returncode != 0:
        raise ImageError("%s: skopeo failed: %s" % (what, _message(proc.stderr) or "exit %d" % proc.returncode))
    return proc.stdout


def _message(stderr):
    """The message of skopeo's last log line (``time=... level=fatal msg="..."``), unquoted."""
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    if not lines:
        return ""
    match = re.search(r'msg="((?:[^"\\]|\\.)*)"', lines[-1])
    if not match:
        return lines[-1]
    try:
        return json.loads('"%s"' % match.group(1))
    except ValueError:
        return match.group(1)


def inspect_raw(ref, auth=None):
    """The raw manifest (or index) bytes of ``ref``: one small request, no layers."""
    tempdir = tempfile.mkdtemp(prefix="oci-skopeo-")
    try:
        args = ["inspect", "--raw"] + _source_args(ref, auth, tempdir, prefix="--") + [ref.skopeo_source()]
        return run(args, "inspecting %s" % ref)
    finally:
        shutil.rmtree(tempdir, ignore_errors=True)


def copy(ref, layout_dir, tag, auth=None, platform=None):
    """Copy ``ref`` into the OCI layout ``layout_dir`` under ``tag``; blobs already there are reused."""
    tempdir = tempfile.mkdtemp(prefix="oci-skopeo-")
    try:
        args = (["copy", "--quiet"] + _platform_args(platform) + _source_args(ref, auth, tempdir)
                + [ref.skopeo_source(), "oci:%s:%s" % (layout_dir, tag)])
        run(args, "pulling %s" % ref)
    finally:
        shutil.rmtree(tempdir, ignore_errors=True)
