# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unpack one image layer into its own directory, in overlayfs form.

A layer is attacker-controlled input (anyone who can push an image, or
intercept an unverified one, writes it), and this code runs as root on the
host. So no entry may create, change or link anything outside the layer
directory:

* Names are made relative ("/etc/x" is "etc/x", as docker and podman do) and
  normalised lexically; one that still climbs out ("../x", "a/../../x") is
  refused.
* Every path is walked component by component from a file descriptor of the
  layer directory, each directory opened with O_NOFOLLOW|O_DIRECTORY
  (open(2)), and the last component is made with the *at() call on its
  parent's descriptor, never following a symlink (symlinkat, mknodat,
  linkat without AT_SYMLINK_FOLLOW, fchownat/utimensat with
  AT_SYMLINK_NOFOLLOW, lsetxattr through /proc/self/fd). An entry whose
  parent is a symlink made by an earlier entry is refused: following it is
  exactly the classic escape (CVE-2018-15664-style tar-through-symlink).
* A hard link's target is resolved the same way inside the layer, so it can
  only name a file of this layer; a missing target is an error.
* ``trusted.overlay.*``/``user.overlay.*`` xattrs from the tar are dropped:
  they would let a layer forge overlayfs metadata (redirects, origins).

Image-spec layer.md "Whiteouts": ``.wh.NAME`` deletes NAME of the layers
below and becomes an overlayfs whiteout (a 0/0 character device,
overlayfs.rst "whiteouts and opaque directories"); ``.wh..wh..opq`` makes its
directory opaque (xattr ``trusted.overlay.opaque=y``). Other ``.wh..wh.``
names are aufs bookkeeping and are skipped.

The decompressed bytes are hashed while read: the result must equal the
layer's diff_id of the image config (image-spec config.md rootfs.diff_ids),
so a layer that is not the one the config names is never used.
"""

import errno
import gzip
import hashlib
import os
import posixpath
import stat
import tarfile
import zlib

from .errors import LayerError

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"
OPAQUE_XATTR = "trusted.overlay.opaque"
_FORBIDDEN_XATTR_PREFIXES = ("trusted.overlay.", "user.overlay.")
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_CHUNK = 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class HashingReader(object):
    """A file-like reader that hashes every byte read through it."""

    def __init__(self, raw):
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0

    def read(self, size=-1):
        data = self.raw.read(size)
        self.sha256.update(data)
        self.size += len(data)
        return data

    def drain(self):
        while self.read(_CHUNK):
            pass

    def digest(self):
        return "sha256:" + self.sha256.hexdigest()


class _Peek(object):
    """The first bytes of a stream, then the rest, as one stream."""

    def __init__(self, raw, head):
        self.raw = raw
        self.head = head

    def read(self, size=-1):
        if self.head:
            if size is None or size < 0:
                data, self.head = self.head + self.raw.read(), b""
                return data
            data, self.head = self.head[:size], self.head[size:]
            if len(data) < size:
                data += self.raw.read(size - len(data))
            return data
        return self.raw.read(size)


def decompressed(raw, media_type=""):
    """The uncompressed tar stream of a layer blob (gzip, zstd or none, by its magic bytes)."""
    head = raw.read(4)
    stream = _Peek(raw, head)
    if head[:2] == _GZIP_MAGIC:
        return gzip.GzipFile(fileobj=stream, mode="rb")
    if head == _ZSTD_MAGIC:
        return _zstd_reader(stream, media_type)
    return stream


def _zstd_reader(stream, media_type):
    try:
        import zstandard
    except ImportError:
        try:
            from compression import zstd  # Python 3.14
        except ImportError:
            raise LayerError("layer %s is zstd-compressed and this host's Python has no zstd module "
                             "(install python3-zstandard, or pull a gzip variant of the image)" % (media_type or ""))
        return zstd.ZstdFile(stream, mode="rb")
    return zstandard.ZstdDecompressor().stream_reader(stream)


def entry_path(name, what="entry"):
    """A tar name as a normalised path relative to the layer directory ("" for the root)."""
    relative = posixpath.normpath("/" + name.replace("\0", "")).lstrip("/")
    # normpath of an absolute path never keeps "..": check the name as written too.
    lexical = posixpath.normpath(name.lstrip("/")) if name.lstrip("/") else "."
    if lexical == ".." or lexical.startswith("../"):
        raise LayerError("%s %r points outside the layer directory" % (what, name))
    return "" if relative in (".", "") else relative


class LayerWriter(object):
    """Creates the entries of one layer under ``root`` (an empty directory)."""

    def __init__(self, root, layer="layer"):
        self.layer = layer
        self.root_fd = os.open(root, _DIR_FLAGS)
        self._cached = (None, None)   # (parent path, fd): tars list a directory's entries together
        self.dir_times = []

    def close(self):
        self._drop_cache()
        os.close(self.root_fd)

    def _drop_cache(self):
        if self._cached[1] is not None:
            os.close(self._cached[1])
        self._cached = (None, None)

    def _fail(self, name, message):
        raise LayerError("%s: entry %r %s" % (self.layer, name, message))

    def parent_fd(self, path, name, create=True):
        """Descriptor of the parent directory of ``path``, walked without following symlinks."""
        parent = posixpath.dirname(path)
        if self._cached[0] == parent:
            return self._cached[1]
        fd = self.walk(parent, name, create)
        self._drop_cache()
        self._cached = (parent, fd)
        return fd

    def walk(self, path, name, create):
        fd = os.dup(self.root_fd)
        for component in [c for c in path.split("/") if c]:
            try:
                try:
                    child = os.open(component, _DIR_FLAGS, dir_fd=fd)
                except FileNotFoundError:
                    if not create:
                        raise
                    os.mkdir(component, 0o755, dir_fd=fd)
                    child = os.open(component, _DIR_FLAGS, dir_fd=fd)
            except OSError as e:
                os.close(fd)
                if e.errno in (errno.ELOOP, errno.ENOTDIR):
                    self._fail(name, "goes through %r, which is not a directory in this layer (a symlink "
                                     "or file); refusing to follow it" % component)
                if e.errno == errno.ENOENT:
                    self._fail(name, "needs %r, which this layer does not have" % path)
                raise
            os.close(fd)
            fd = child
        return fd

    def remove_existing(self, pfd, base, keep_dir=False):
        """Remove ``base`` (an earlier entry of this layer) unless it is a directory to keep."""
        try:
            st = os.stat(base, dir_fd=pfd, follow_symlinks=False)
        except FileNotFoundError:
            return
        if stat.S_ISDIR(st.st_mode):
            if keep_dir:
                return
            # The cached descriptor is this entry's parent (pfd), never inside ``base``.
            _remove_tree(pfd, base)
        else:
            os.unlink(base, dir_fd=pfd)

    # -- entries ---------------------------------------------------------
    def add(self, member, tar):
        name = member.name
        path = entry_path(name)
        base = posixpath.basename(path)
        if not path:
            if member.isdir():
                self._set_owner_mode(self.root_fd, None, member)
            return
        if base == OPAQUE_MARKER:
            dir_fd = self.walk(posixpath.dirname(path), name, create=True)
            try:
                os.setxattr(dir_fd, OPAQUE_XATTR, b"y")
            finally:
                os.close(dir_fd)
            return
        if base.startswith(OPAQUE_MARKER[:8]):   # ".wh..wh.": aufs hard-link bookkeeping
            return
        if base.startswith(WHITEOUT_PREFIX):
            target = base[len(WHITEOUT_PREFIX):]
            if target in ("", ".", ".."):
                self._fail(name, "is a whiteout of nothing")
            pfd = self.parent_fd(path, name)
            self.remove_existing(pfd, target)
            os.mknod(target, stat.S_IFCHR | 0o000, os.makedev(0, 0), dir_fd=pfd)
            return
        pfd = self.parent_fd(path, name)
        self.remove_existing(pfd, base, keep_dir=member.isdir())
        if member.isdir():
            try:
                os.mkdir(base, 0o700, dir_fd=pfd)
            except FileExistsError:
                pass
            self.dir_times.append((path, member.mtime))
        elif member.isreg():
            self._write_file(pfd, base, member, tar)
            return
        elif member.issym():
            os.symlink(member.linkname, base, dir_fd=pfd)
        elif member.islnk():
            self._hard_link(pfd, base, member)
            return
        elif member.ischr() or member.isblk():
            kind = stat.S_IFCHR if member.ischr() else stat.S_IFBLK
            os.mknod(base, kind | 0o600, os.makedev(member.devmajor, member.devminor), dir_fd=pfd)
        elif member.isfifo():
            os.mkfifo(base, 0o600, dir_fd=pfd)
        else:
            self._fail(name, "has a type this unpacker does not know (%r)" % member.type)
        self._set_owner_mode(pfd, base, member)
        if not member.isdir():
            os.utime(base, ns=(int(member.mtime * 1e9),) * 2, dir_fd=pfd, follow_symlinks=False)

    def _write_file(self, pfd, base, member, tar):
        fd = os.open(base, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=pfd)
        try:
            source = tar.extractfile(member)
            while True:
                chunk = source.read(_CHUNK)
                if not chunk:
                    break
                _write_all(fd, chunk)
            os.fchown(fd, member.uid, member.gid)
            os.fchmod(fd, member.mode & 0o7777)   # after chown, which clears set-id bits
            self._set_xattrs(fd, None, member)
            os.utime(fd, ns=(int(member.mtime * 1e9),) * 2)
        finally:
            os.close(fd)

    def _hard_link(self, pfd, base, member):
        target = entry_path(member.linkname, "hard link target of %r:" % member.name)
        if not target:
            self._fail(member.name, "is a hard link to the layer's root directory")
        tfd = self.walk(posixpath.dirname(target), member.name, create=False)
        try:
            tbase = posixpath.basename(target)
            try:
                st = os.stat(tbase, dir_fd=tfd, follow_symlinks=False)
            except FileNotFoundError:
                self._fail(member.name, "is a hard link to %r, which is not in this layer" % member.linkname)
            if stat.S_ISDIR(st.st_mode):
                self._fail(member.name, "is a hard link to a directory")
            os.link(tbase, base, src_dir_fd=tfd, dst_dir_fd=pfd, follow_symlinks=False)
        finally:
            os.close(tfd)

    def _set_owner_mode(self, pfd, base, member):
        if base is None:   # the layer root itself
            os.fchown(pfd, member.uid, member.gid)
            os.fchmod(pfd, member.mode & 0o7777)
            return
        os.chown(base, member.uid, member.gid, dir_fd=pfd, follow_symlinks=False)
        if not member.issym():
            # Not a symlink: this entry was made just now, in a directory only we write.
            os.chmod(base, member.mode & 0o7777, dir_fd=pfd)
        self._set_xattrs(pfd, base, member)

    def _set_xattrs(self, fd, base, member):
        for key, value in (member.pax_headers or {}).items():
            if not key.startswith("SCHILY.xattr."):
                continue
            attr = key[len("SCHILY.xattr."):]
            if attr.startswith(_FORBIDDEN_XATTR_PREFIXES):
                continue
            data = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value
            try:
                if base is None:
                    os.setxattr(fd, attr, data)
                else:
                    os.setxattr("/proc/self/fd/%d/%s" % (fd, base), attr, data, follow_symlinks=False)
            except OSError as e:
                if e.errno not in (errno.ENOTSUP, errno.EPERM):
                    raise
                # Symlinks cannot carry user.* xattrs (xattr(7)); nothing to keep there.

    def finish(self):
        """Directory times last: creating their entries changed them."""
        self._drop_cache()
        for path, mtime in reversed(self.dir_times):
            try:
                fd = self.walk(path, path, create=False)
            except LayerError:
                continue  # replaced by a later entry
            try:
                os.utime(fd, ns=(int(mtime * 1e9),) * 2)
            finally:
                os.close(fd)


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _remove_tree(pfd, name):
    fd = os.open(name, _DIR_FLAGS, dir_fd=pfd)
    try:
        for child in os.listdir(fd):
            st = os.stat(child, dir_fd=fd, follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode):
                _remove_tree(fd, child)
            else:
                os.unlink(child, dir_fd=fd)
    finally:
        os.close(fd)
    os.rmdir(name, dir_fd=pfd)


def unpack_layer(blob, dest, diff_id=None, media_type="", layer="layer"):
    """Unpack the layer blob (a readable binary file) into the empty directory ``dest``.

    Returns the digest of the uncompressed tar; raises LayerError if it is not ``diff_id``.
    """
    reader = HashingReader(decompressed(blob, media_type))
    writer = LayerWriter(dest, layer)
    try:
        try:
            with tarfile.open(fileobj=reader, mode="r|", errorlevel=2) as tar:
                for member in tar:
                    writer.add(member, tar)
        except (tarfile.TarError, EOFError, OSError, zlib.error) as e:
            if isinstance(e, LayerError):
                raise
            if isinstance(e, OSError) and getattr(e, "errno", None) not in (None, 0):
                raise LayerError("%s: unpacking failed: %s" % (layer, e))
            raise LayerError("%s: not a valid layer (tar%s): %s" % (layer, ", gzip or zstd", e))
        reader.drain()
        writer.finish()
    finally:
        writer.close()
    digest = reader.digest()
    if diff_id and digest != diff_id:
        raise LayerError("%s: its content is %s, but the image config says %s (rootfs.diff_ids)"
                         % (layer, digest, diff_id))
    return digest
