# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who owns a cgroup: the host-wide claims of this runtime's containers.

kill --all, pause and delete act on every process of a container's cgroup,
and delete removes it. So a cgroup must belong to one container at a time,
whatever state root that container lives in, and delete must recognise
that a cgroup is no longer its container's. Two records do that:

* a **claim**: one small JSON file per cgroup path in the host-wide
  directory CLAIMS_DIR, written by create under a host-wide flock on that
  directory and naming the owner (state root, id, a random token also kept
  in the owner's state.json) and what the owner made. A claim is live while
  the owner's state.json carries the same token and the host has not
  rebooted since (``/proc/sys/kernel/random/boot_id``); otherwise it is
  stale, and the cgroup is an orphan a new container may adopt;
* an **identity** of the cgroup directories: the boot id and the inode of
  the container's directory in each hierarchy. kernfs gives every node of a
  boot its own 64-bit inode number and never reuses one (fs/kernfs/dir.c,
  kernfs_new_node: idr id plus generation), so the same inode means the same
  cgroup, not one removed and made again at that path by someone else.

Why a claim directory and not a mark on the cgroup itself: cgroup v1
hierarchies take extended attributes only when mounted with ``xattr``
(cgroups(7); not the case on Debian's hybrid layout), a cgroupfs directory
cannot hold a regular file, and the flock gives create an atomic
check-then-claim across every state root. Stale claims (a wiped state root,
a reboot with a persistent /run) are recognised by their owner's state, not
trusted.

Kept apart from manager.py; delete loads only stat and one small read.
"""

import errno
import posix  # os without os.py: runtime/pathlite.py says why

from .. import pathlite
from ..errors import CgroupError
from ..standalone import jsonlite
from ..standalone.stateio import DirLock, read_json

CLAIMS_DIR = "/run/opencontainer/cgroup-owners"
BOOT_ID = "/proc/sys/kernel/random/boot_id"
_CGROUPS_PATH = "linux.cgroupsPath"


def boot_id(files):
    try:
        return files.read(BOOT_ID).strip()
    except (OSError, IOError):
        return None


def identity(files, paths):
    """{"boot_id": ..., "inodes": {hierarchy name: inode}} of the container's cgroup directories."""
    inodes = {}
    for name, directory in paths.items():
        try:
            inodes[name] = files.inode(directory)
        except OSError as exc:
            raise CgroupError("%s: stat %s: %s" % (_CGROUPS_PATH, directory, posix.strerror(exc.errno or 0)))
    return {"boot_id": boot_id(files), "inodes": inodes}


def still_the_same(files, recorded, paths):
    """False when any recorded cgroup directory was replaced (or the host rebooted).

    A directory that is gone is fine: nothing of anyone's is in it.
    """
    if recorded.get("boot_id") != boot_id(files):
        return False
    for name, inode in (recorded.get("inodes") or {}).items():
        directory = paths.get(name)
        if directory is None:
            return False
        try:
            if files.inode(directory) != inode:
                return False
        except OSError as exc:
            if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
                return False
    return True


def read_claim(claim_file):
    """The claim in ``claim_file`` (a dict), or None when there is none."""
    try:
        with open(claim_file, "rb") as handle:
            data = jsonlite.loads(handle.read())
    except (OSError, IOError) as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        return {"unreadable": posix.strerror(exc.errno or 0)}
    except ValueError as exc:
        return {"unreadable": str(exc)}
    return data if isinstance(data, dict) else {"unreadable": "not an object"}


def release(claim_file, token):
    """Remove the claim when it is still ``token``'s (delete, or a failed create).

    Under the claim directory's lock, so that a create claiming the path anew
    meanwhile never loses its claim to this unlink.
    """
    try:
        lock = DirLock(pathlite.dirname(claim_file)).acquire()
    except OSError:
        return  # no claim directory: no claim
    try:
        claim = read_claim(claim_file)
        if claim is not None and claim.get("token") == token:
            try:
                posix.unlink(claim_file)
            except OSError:
                pass
    finally:
        lock.release()


class Claims(object):
    """The claim directory; create's side (delete needs only read_claim and release)."""

    def __init__(self, directory, files):
        self.directory = directory
        self.files = files

    @staticmethod
    def name_for(path):
        """The claim file name of a cgroup path (relative to the hierarchy roots); any path fits in it."""
        import hashlib  # create only
        return hashlib.sha256(path.encode("utf-8")).hexdigest()[:32] + ".json"

    def file_for(self, path):
        return pathlite.join(self.directory, self.name_for(path))

    def locked(self):
        from os import makedirs  # create only
        try:
            makedirs(self.directory, 0o700)
        except OSError as exc:
            if exc.errno != errno.EEXIST:
                raise CgroupError("cannot create the cgroup claim directory %s: %s"
                                  % (self.directory, posix.strerror(exc.errno or 0)))
        return DirLock(self.directory)

    def live_owner(self, claim):
        """A description of the claim's owner when that container still exists, else None."""
        if claim is None:
            return None
        if "unreadable" in claim:
            return "an unreadable claim (%s)" % claim["unreadable"]
        if claim.get("boot_id") != boot_id(self.files):
            return None  # made before the last boot: every cgroup then is gone
        where = "container %s of state root %s" % (claim.get("id"), claim.get("state_root"))
        try:
            state = read_json(pathlite.join(str(claim.get("state_root")), str(claim.get("id"))))
        except (OSError, IOError) as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                return None
            return "%s (its state cannot be read: %s)" % (where, posix.strerror(exc.errno or 0))
        except ValueError:
            return "%s (its state is corrupt)" % where
        cgroup = state.get("cgroup") if isinstance(state, dict) else None
        recorded = cgroup.get("claim") if isinstance(cgroup, dict) else None
        if not isinstance(recorded, dict) or recorded.get("token") != claim.get("token"):
            return None  # that id is another container now
        return "%s (status %s)" % (where, state.get("status"))

    def conflict(self, path, descendants):
        """The live owner of ``path``, of a cgroup above it or of one of ``descendants``, as an error text."""
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            candidate = "/".join(parts[:depth])
            owner = self.live_owner(read_claim(self.file_for(candidate)))
            if owner is not None:
                if candidate == path:
                    return "cgroup /%s belongs to %s" % (path, owner)
                return "cgroup /%s is inside cgroup /%s of %s" % (path, candidate, owner)
        for below in descendants:
            owner = self.live_owner(read_claim(self.file_for(below)))
            if owner is not None:
                return "cgroup /%s holds cgroup /%s of %s" % (path, below, owner)
        return None

    def write(self, path, claim):
        """Replace the claim of ``path`` atomically (a temp file renamed over it).

        Without fsync: a claim never outlives a crash in a useful way, since
        one made before the last boot is stale anyway (live_owner), and an
        fsync here costs every create ~10 ms under the host-wide lock.
        """
        name = self.name_for(path)
        target = pathlite.join(self.directory, name)
        tmp = pathlite.join(self.directory, ".%s.%d.tmp" % (name, posix.getpid()))
        payload = jsonlite.dumps(claim).encode("utf-8")
        try:
            fd = posix.open(tmp, posix.O_WRONLY | posix.O_CREAT | posix.O_TRUNC | posix.O_CLOEXEC | posix.O_NOFOLLOW,
                            0o600)
            try:
                view = memoryview(payload)
                while view:
                    view = view[posix.write(fd, view):]
            finally:
                posix.close(fd)
            posix.rename(tmp, target)
        except OSError as exc:
            try:
                posix.unlink(tmp)
            except OSError:
                pass
            raise CgroupError("%s: writing the claim of cgroup /%s to %s: %s"
                              % (_CGROUPS_PATH, path, target, posix.strerror(exc.errno or 0)))
