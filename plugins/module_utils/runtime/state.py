# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The state store: <state root>/<id>/state.json.

The seed asks for one JSON file per container in a well-known root so that
any tool can find every container on a host. The file carries the
runtime-spec state (ociVersion, id, status, pid, bundle, annotations), the
seed's ``version`` and ``root`` (= bundle path), and the runtime's private
fields (start time of the pid, monitor pid, timestamps, exit status, cgroup
bookkeeping, the config the container was created from).

The root must be a real directory (not a symlink) owned by us with mode
0700: state files name pids that root will signal, so nobody else may write
them.
"""

import errno
import posix  # os without os.py: runtime/pathlite.py says why
import _stat as stat  # the C module stat.py re-exports: one import less per command

from . import pathlite
from .errors import ContainerExists, ContainerNotFound, CorruptStateError, StateError
from .ids import validate_id
from .pathcheck import path_problem
from .standalone import stateio
from .standalone.stateio import DirLock, spec_state, timestamp

# spec_state and timestamp are re-exported for the lifecycle verbs.
__all__ = ["DEFAULT_STATE_ROOT", "DirLock", "StateRoot", "remove_tree", "spec_state", "timestamp"]

DEFAULT_STATE_ROOT = "/run/opencontainer/containers"


class StateRoot(object):
    """A state root directory holding one sub-directory per container."""

    def __init__(self, path=None):
        problem = path_problem(path) if path else None
        if problem:
            raise StateError("state root: %s" % problem)
        self.path = pathlite.abspath(path or DEFAULT_STATE_ROOT)

    # -- the root itself ----------------------------------------------------
    def ensure(self):
        """Create the root (mode 0700) if needed and check it is safe to use."""
        from os import makedirs  # only create and the network store get here: they load os anyway
        try:
            makedirs(self.path, 0o700)
        except OSError as e:
            if e.errno != errno.EEXIST:
                raise StateError("cannot create state root %s: %s" % (self.path, e.strerror))
        self.check()
        return self

    def check(self):
        try:
            st = posix.lstat(self.path)
        except OSError as e:
            raise StateError("state root %s: %s" % (self.path, e.strerror))
        if stat.S_ISLNK(st.st_mode):
            raise StateError("state root %s is a symlink; refusing to use it" % self.path)
        if not stat.S_ISDIR(st.st_mode):
            raise StateError("state root %s is not a directory" % self.path)
        if st.st_uid != posix.geteuid():
            raise StateError("state root %s is owned by uid %d, not by uid %d; refusing to use it"
                             % (self.path, st.st_uid, posix.geteuid()))
        if stat.S_IMODE(st.st_mode) != 0o700:
            posix.chmod(self.path, 0o700)

    def exists(self):
        return pathlite.isdir(self.path)

    # -- containers -----------------------------------------------------------
    def container_dir(self, container_id):
        return pathlite.join(self.path, validate_id(container_id))

    def ids(self):
        """Ids of the containers in this root (directories with a state.json)."""
        try:
            names = posix.listdir(self.path)
        except OSError as e:
            if e.errno == errno.ENOENT:
                return []
            raise StateError("cannot list state root %s: %s" % (self.path, e.strerror))
        return sorted(n for n in names if not n.startswith(".")
                      and pathlite.isfile(pathlite.join(self.path, n, stateio.STATE_FILE)))

    def new_container_dir(self, container_id):
        """mkdir the container's directory; mkdir(2) is atomic, so two creates of one id can't both win."""
        path = self.container_dir(container_id)
        try:
            posix.mkdir(path, 0o700)
        except OSError as e:
            if e.errno == errno.EEXIST:
                raise ContainerExists("container %s already exists" % container_id)
            raise StateError("cannot create %s: %s" % (path, e.strerror))
        return path

    def lock(self, container_id):
        path = self.container_dir(container_id)
        try:
            return DirLock(path).acquire()
        except OSError as e:
            if e.errno in (errno.ENOENT, errno.ENOTDIR):
                raise ContainerNotFound("container %s does not exist" % container_id)
            raise

    def state_file(self, container_id):
        return pathlite.join(self.container_dir(container_id), stateio.STATE_FILE)

    def load(self, container_id):
        """The stored state; CorruptStateError names the file when it is not a usable state."""
        path = self.container_dir(container_id)
        try:
            state = stateio.read_json(path)
        except (IOError, OSError) as e:
            if e.errno in (errno.ENOENT, errno.ENOTDIR):
                raise ContainerNotFound("container %s does not exist" % container_id)
            raise StateError("cannot read state of %s: %s" % (container_id, e.strerror))
        except ValueError as e:  # not JSON (truncated, zeroed) or not UTF-8
            raise CorruptStateError(container_id, self.state_file(container_id), e)
        problem = _shape_problem(state, container_id)
        if problem:
            raise CorruptStateError(container_id, self.state_file(container_id), problem)
        return state

    def save(self, state):
        stateio.write_json(self.container_dir(state["id"]), state)

    def remove(self, container_id):
        remove_tree(self.container_dir(container_id))


# Fields every reader uses to decide about processes: a wrong type there would
# make them fail deep inside (or signal the wrong pid), so it is corruption.
_INT_FIELDS = ("pid", "pid_start_time", "monitor_pid", "monitor_start_time", "creator_pid",
               "creator_start_time")


def _shape_problem(state, container_id):
    """What makes a parsed state.json unusable, or None."""
    if not isinstance(state, dict):
        return "not a JSON object"
    if state.get("id") != container_id:
        return "its id is %r, not %r" % (state.get("id"), container_id)
    if not isinstance(state.get("status"), str):
        return "status is %r, not a string" % (state.get("status"),)
    for key in _INT_FIELDS:
        value = state.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            return "%s is %r, not a process id or start time" % (key, value)
    for key in ("cgroup", "config", "annotations", "network"):
        if state.get(key) is not None and not isinstance(state[key], dict):
            return "%s is not a JSON object" % key
    return None


def remove_tree(path):
    """rm -rf of a container directory (a few files); shutil would import lzma and bz2."""
    try:
        entries = list(posix.scandir(path))
    except OSError:
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            remove_tree(entry.path)
        else:
            try:
                posix.unlink(entry.path)
            except OSError:
                pass
    try:
        posix.rmdir(path)
    except OSError:
        pass
