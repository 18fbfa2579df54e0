# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Making, owning and removing a container's cgroup directories.

A mixin of CgroupManager (manager.py), which supplies where the directories
are (``paths``, ``_dir``, ``_ancestors``), ``pids`` and the control-file
access (``_files``). create claims the cgroup host-wide before it makes it
and records its identity (owner.py); destroy removes what create made or
adopted, deepest first, and gives the claim up.
"""

import errno
import posix  # os without os.py: runtime/pathlite.py says why
import time

from .. import pathlite
from ..errors import CgroupError
from . import owner
from .files import read_control, write_control

_CGROUPS_PATH = "linux.cgroupsPath"
_RETRY_INTERVAL = 0.05


class CgroupLifetime(object):
    """create(), require_empty(), owns_cgroup(), release_claim() and destroy()."""

    # -- create -----------------------------------------------------------
    def create(self):
        """mkdir the container's cgroup in every hierarchy, parents included, and claim it.

        Refuses (CgroupError) a cgroup that another existing container of
        any state root owns, or one inside or above such a cgroup. An
        orphan of this runtime's containers is adopted: delete removes it.
        """
        if self.claim is None:
            self._make()
            self.identity = owner.identity(self._files, self.paths)
            return
        claims = owner.Claims(pathlite.dirname(self.claim["file"]), self._files)
        with claims.locked():
            problem = claims.conflict(self.path, self._existing_descendants())
            if problem:
                raise CgroupError("%s: %s; a container needs a cgroup of its own" % (_CGROUPS_PATH, problem))
            stale = owner.read_claim(self.claim["file"])
            before = list(self.created)
            made = self._make()
            try:
                self.require_empty()  # before adopting: a cgroup in use is nobody's orphan
                self._adopt(stale)
                self.identity = owner.identity(self._files, self.paths)
                claims.write(self.path, {"path": self.path, "token": self.claim["token"],
                                         "state_root": self.claim["state_root"], "id": self.container_id,
                                         "boot_id": self.identity["boot_id"], "inodes": self.identity["inodes"],
                                         "made": list(self.created)})
            except Exception:
                self._unmake(made)
                self.created = before
                raise

    def _make(self):
        """mkdir every level; a parent that a concurrent delete removes meanwhile is made again."""
        missing = None
        for _attempt in range(5):
            made = []
            try:
                for hierarchy in self.hierarchies:
                    for directory in self._ancestors(hierarchy)[1:]:
                        if self._mkdir(directory):
                            made.append(directory)
                    if not hierarchy.is_v2 and "cpuset" in hierarchy.controllers:
                        self._inherit_cpuset(hierarchy)
            except _Vanished as exc:
                self._unmake(made)
                missing = exc.args[0]
                continue
            except Exception:
                # Leave nothing half-made behind: remove what this call created.
                self._unmake(made)
                raise
            self.created.extend(made)
            leaves = set(self.paths.values())
            self.preexisting = [d for d in sorted(leaves) if d not in made]
            return made
        raise CgroupError("%s: creating cgroup %s: %s (its parent vanished at each of 5 attempts)"
                          % (_CGROUPS_PATH, missing, posix.strerror(errno.ENOENT)))

    def _unmake(self, made):
        for directory in reversed(made):
            try:
                self._files.rmdir(directory)
            except OSError:
                pass

    def _adopt(self, stale):
        """Take over an orphan: the leaf (and what its maker made) becomes this container's to remove.

        An orphan is the cgroup of a container of this runtime whose state
        is gone (a stale claim: conflict() found no live owner), or any
        directory at the default path, which only this runtime makes. A
        directory made by someone else at a configured path stays theirs.
        """
        ours = set()
        for hierarchy in self.hierarchies:
            ours.update(self._ancestors(hierarchy)[1:])
        adopt = []
        if self.claim.get("adopt"):
            # Every level of the default path is this runtime's. opencontainer/ and the state root's
            # level are shared parents, removed by whichever delete leaves them empty (not only by
            # the container that happened to make them, whose delete may come while others live there).
            adopt += sorted(ours)
        elif self.preexisting and stale is not None:
            adopt += self.preexisting + [d for d in stale.get("made") or [] if isinstance(d, str) and d in ours]
        for directory in adopt:
            if directory not in self.created and self._files.isdir(directory):
                self.created.append(directory)

    def _existing_descendants(self):
        """Paths (relative, like self.path) of cgroups that already exist below the container's."""
        found = set()

        def walk(directory, relative):
            try:
                children = self._files.subdirs(directory)
            except OSError:
                return
            for child in children:
                found.add(relative + "/" + child)
                walk(pathlite.join(directory, child), relative + "/" + child)
        for hierarchy in self.hierarchies:
            walk(self._dir(hierarchy), self.path)
        return sorted(found)

    def owns_cgroup(self):
        """Whether the recorded cgroup is still this container's: same directories, claim still ours.

        False when the directories were removed and made again, the host
        rebooted, or another container claimed the path. State written
        before claims existed has neither record: then the cgroup is ours
        unless a container claimed its path since (only later ones do).
        """
        if self.identity and not owner.still_the_same(self._files, self.identity, self.paths):
            return False
        if self.claim:
            claim = owner.read_claim(self.claim["file"])
            return claim is None or claim.get("token") == self.claim["token"]
        if not self.identity:
            return owner.read_claim(owner.Claims(owner.CLAIMS_DIR, self._files).file_for(self.path)) is None
        return True

    def release_claim(self):
        if self.claim:
            owner.release(self.claim["file"], self.claim["token"])

    def require_empty(self):
        """Refuse a cgroup that already holds processes (before the init joins it).

        kill --all, pause and delete act on every process of the container's
        cgroup; in a cgroup shared with another container, or a populated one
        such as /system.slice, they would reach processes that are not the
        container's. runc 1.1 warns about it and runc 1.2 refuses it
        (opencontainers/runc#3132).
        """
        pids = self.pids()
        if pids:
            raise CgroupError("%s: cgroup /%s already holds %d process(es) (pid %s); a container "
                              "needs a cgroup of its own" % (_CGROUPS_PATH, self.path, len(pids),
                                                             ", ".join(str(pid) for pid in pids[:5])))

    def _mkdir(self, directory):
        try:
            self._files.mkdir(directory)
            return True
        except OSError as exc:
            if exc.errno == errno.EEXIST and self._files.isdir(directory):
                return False  # reused; not ours to remove later
            if exc.errno == errno.ENOENT:
                raise _Vanished(directory)  # another container's delete removed an empty shared parent
            raise CgroupError("%s: creating cgroup %s: %s"
                              % (_CGROUPS_PATH, directory, posix.strerror(exc.errno or 0)))

    def _inherit_cpuset(self, hierarchy):
        # cpusets.rst: a new v1 cpuset starts with empty cpus and mems, and a
        # task cannot join a cpuset with no cpus/mems (ENOSPC), so each empty
        # level gets its parent's value, top down.
        dirs = self._ancestors(hierarchy)
        for filename in ("cpuset.cpus", "cpuset.mems"):
            inherited = read_control(self._files, dirs[0], filename)
            for directory in dirs[1:]:
                current = read_control(self._files, directory, filename)
                if current:
                    inherited = current
                elif inherited:
                    write_control(self._files, directory, filename, inherited,
                                  "%s: copying %s from the parent cgroup" % (_CGROUPS_PATH,
                                                                             filename))

    # -- destroy ------------------------------------------------------------
    def destroy(self, timeout=5.0):
        """rmdir the cgroups this manager created, deepest first.

        Below the container's cgroup everything goes (child cgroups made by
        the container too). A created parent such as /opencontainer is shared
        with other containers: it is removed only once it has no child
        cgroup left. EBUSY (processes still exiting) is retried until
        ``timeout`` seconds have passed; missing directories are fine.
        """
        deadline = time.monotonic() + timeout
        errors = []
        leaves = set(self.paths.values())
        ordered = sorted(set(self.created), key=lambda p: (p.count("/"), p), reverse=True)
        for directory in ordered:
            try:
                if any(directory == leaf or directory.startswith(leaf + "/") for leaf in leaves):
                    self._remove_tree(directory, deadline)
                else:
                    self._remove_shared_parent(directory, deadline)
            except CgroupError as exc:
                errors.append(str(exc))
        self.created = [d for d in self.created if self._files.isdir(d)]
        if errors:
            raise CgroupError("removing the cgroups of container %s: %s"
                              % (self.container_id, "; ".join(errors)))
        self.release_claim()

    def _remove_shared_parent(self, directory, deadline):
        try:
            if self._files.subdirs(directory):
                return  # other containers' cgroups live here: leave it to them
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                return
            raise CgroupError("listing %s: %s" % (directory, posix.strerror(exc.errno or 0)))
        self._rmdir(directory, deadline, shared=True)

    def _remove_tree(self, directory, deadline):
        try:
            children = self._files.subdirs(directory)
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                return
            raise CgroupError("listing %s: %s" % (directory, posix.strerror(exc.errno or 0)))
        for child in children:
            self._remove_tree(pathlite.join(directory, child), deadline)
        self._rmdir(directory, deadline)

    def _rmdir(self, directory, deadline, shared=False):
        while True:
            try:
                self._files.rmdir(directory)
                return
            except OSError as exc:
                if exc.errno == errno.ENOENT:
                    return
                if shared and exc.errno in (errno.EBUSY, errno.ENOTEMPTY) \
                        and self._files.isdir(directory) and self._files.subdirs(directory):
                    return  # another container made a cgroup here meanwhile
                if exc.errno != errno.EBUSY or time.monotonic() >= deadline:
                    hint = " (processes are still in it)" if exc.errno == errno.EBUSY else ""
                    raise CgroupError("rmdir %s: %s%s"
                                      % (directory, posix.strerror(exc.errno or 0), hint))
            time.sleep(_RETRY_INTERVAL)


class _Vanished(Exception):
    """A parent directory went away between two mkdir calls (create retries)."""
