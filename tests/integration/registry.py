# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real registry for the image tests: Debian's docker-registry (the CNCF distribution registry).

Started on 127.0.0.1 on a free port with its own config and storage
directory, plain HTTP or TLS (a self-signed CA made with openssl, trusted
by skopeo through /etc/containers/certs.d/127.0.0.1:PORT/, removed again)
with htpasswd basic auth (bcrypt).
"""
import os
import shutil
import socket
import subprocess
import time

REGISTRY = "/usr/bin/docker-registry"
CERTS_D = "/etc/containers/certs.d"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Registry(object):
    def __init__(self, workdir, tls=False, user=None, password=None):
        self.workdir = workdir
        self.port = free_port()
        self.host = "127.0.0.1:%d" % self.port
        self.tls = tls
        self.user = user
        self.password = password
        self.proc = None
        self.certs_dir = None

    def start(self):
        os.makedirs(os.path.join(self.workdir, "storage"), exist_ok=True)
        lines = ["version: 0.1", "log:", "  level: error", "storage:", "  filesystem:",
                 "    rootdirectory: %s/storage" % self.workdir, "  delete:", "    enabled: true",
                 "http:", "  addr: %s" % self.host]
        if self.tls:
            cert, key = self._make_cert()
            lines += ["  tls:", "    certificate: %s" % cert, "    key: %s" % key]
        if self.user:
            import bcrypt
            hashed = bcrypt.hashpw(self.password.encode(), bcrypt.gensalt(rounds=5)).decode()
            with open(os.path.join(self.workdir, "htpasswd"), "w") as handle:
                handle.write("%s:%s\n" % (self.user, hashed))
            lines += ["auth:", "  htpasswd:", "    realm: test", "    path: %s/htpasswd" % self.workdir]
        config = os.path.join(self.workdir, "config.yml")
        with open(config, "w") as handle:
            handle.write("\n".join(lines) + "\n")
        log = open(os.path.join(self.workdir, "registry.log"), "w")
        self.proc = subprocess.Popen([REGISTRY, "serve", config], stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("docker-registry exited: %s" % open(log.name).read()[-2000:])
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("docker-registry did not listen on %s" % self.host)

    def _make_cert(self):
        cert = os.path.join(self.workdir, "cert.pem")
        key = os.path.join(self.workdir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-keyout", key, "-out", cert, "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        self.certs_dir = os.path.join(CERTS_D, self.host)
        os.makedirs(self.certs_dir, exist_ok=True)
        shutil.copy(cert, os.path.join(self.certs_dir, "ca.crt"))
        return cert, key

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.certs_dir:
            shutil.rmtree(self.certs_dir, ignore_errors=True)

    def push(self, source, repo, manifest_format=None):
        """skopeo copy ``source`` (e.g. oci:DIR:tag) to repo (name:tag) in this registry.

        ``manifest_format``: ``v2s2`` stores a Docker schema 2 manifest, as most of Docker Hub has.
        """
        args = ["skopeo", "copy", "--quiet"] + (["--format", manifest_format] if manifest_format else [])
        if not self.tls:
            args.append("--dest-tls-verify=false")
        if self.user:
            args.append("--dest-creds=%s:%s" % (self.user, self.password))
        subprocess.run(args + [source, "docker://%s/%s" % (self.host, repo)], check=True, timeout=120,
                       stdin=subprocess.DEVNULL)
        return "%s/%s" % (self.host, repo)
