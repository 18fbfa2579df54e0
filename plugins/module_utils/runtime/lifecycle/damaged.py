# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""delete --force of a container whose state.json is unreadable.

delete learns a container's pids, cgroups and network from state.json. When
that file is truncated or corrupt (a full disk, a tool that rewrote it in
place and died, a hand edit) they are found from what a container cannot
forge, and from nothing else:

* The monitor: a process running ``.libexec/monitor-*/monitor.py
  CONTAINER_DIR INIT_PID`` (process/spawn.py) that holds this container's
  directory open (monitor.py keeps a descriptor on it for its whole life).
  The command line alone proves nothing: any process can set its argv, a
  container's own processes included, and their /proc entries are visible
  here. The open directory does: it is the same inode (st_dev, st_ino), and
  it lies in the root-owned 0700 state root, which no container mounts, so
  only the runtime's own processes can have opened it.
* The init: the pid the monitor was started with, and only while its parent
  is that monitor. A pid alone may have been reused; being the monitor's
  child is not something another process can claim.
* The cgroup: the init's (/proc/INIT/cgroup, read in the host's cgroup
  namespace: full paths); without a live monitor, the default cgroup of the
  id (cgroups.manager.resolve_cgroups_path with no linux.cgroupsPath),
  which no other container gets by default and which create refuses to share
  with processes of another container (CgroupManager.require_empty): what
  runs there is this container's. A cgroup that holds the deleting process
  itself is refused.
* Not used: values still legible in the damaged file. A truncated file may
  show a pid, but without its start time that pid may name another process
  by now, and the file's cgroup paths are as damaged as the rest.

Everything found gets SIGKILL; the monitor then reaps the init, finds no
state to record the exit in, and exits. The default cgroup is removed
(create made or adopted it). What create made of a linux.cgroupsPath is
learnt from the cgroup's host-wide claim (cgroups/owner.py), when it names
this container and the directories are still the ones it claimed: those are
removed and the claim is given up; without such a claim the cgroup is
emptied but left in place, with a warning. Not found, and so left running: the
processes of a container with a linux.cgroupsPath whose monitor is gone
(killed, or `create` handed the init to a reaping caller, spawn.py).
The network is undone from names derived from the state root and the id
(veth, nft rule tag) and the leases held by the id. The poststop hooks
cannot run: they were in the lost config (a warning says so).
"""

import posix  # os without os.py: runtime/pathlite.py says why

from .. import pathlite
from ..errors import CgroupError, RuntimeFailure
from ..standalone.stateio import proc_stat
from .delete import _kill_leftovers, _kill_quietly, _wait_for_exit

_LIBEXEC_MARK = b"/.libexec/monitor-"


def delete_damaged(root, container_id, error, warn, timeout):
    """Kill the processes of a container with an unreadable state.json and remove it; ``error``: the CorruptStateError."""
    warn = warn or _ignore
    container_dir = root.container_dir(container_id)
    monitor, init = find_monitor(container_dir, container_id)
    manager, own = _cgroup(root.path, container_id, init)
    if manager is not None:
        _thaw_quietly(manager)  # a frozen (v1) process acts on SIGKILL only once thawed
        for pid in _pids(manager):
            _kill_quietly(pid)
    if init:
        _kill_quietly(init)
    _wait_for_exit({"pid": init, "pid_start_time": _start_time(init),
                    "monitor_pid": monitor, "monitor_start_time": _start_time(monitor)}, timeout, warn)
    if manager is not None:
        _kill_leftovers(manager, timeout)
    lock = root.lock(container_id)
    try:
        if manager is not None:
            if own:
                manager.destroy()
            else:
                warn("container %s: cgroup /%s emptied but left in place: whether create made it is "
                     "recorded only in the unreadable state" % (container_id, manager.path))
        for problem in _release_network(root.path, container_id):
            warn(problem)
        root.remove(container_id)
    finally:
        lock.release()
    warn("container %s: poststop hooks not run: its config was in the unreadable %s" % (container_id, error.path))
    return {"id": container_id, "status": "stopped"}


def find_monitor(container_dir, container_id):
    """(monitor pid, init pid) of the container's live monitor; (None, None) without one (see above).

    The init pid is None when the monitor no longer has that child (it is
    recording the exit or running the on-stop handlers).
    """
    try:
        directory = posix.stat(container_dir)
    except OSError:
        return None, None
    name = container_id.encode()
    for entry in posix.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        argv = _cmdline(pid)
        # argv: python -I -S -B <state root>/.libexec/monitor-<hash>/monitor.py CONTAINER_DIR INIT_PID [LOG...]
        if (len(argv) < 7 or not argv[4].endswith(b"/monitor.py") or _LIBEXEC_MARK not in argv[4]
                or argv[5].rsplit(b"/", 1)[-1] != name or not argv[6].isdigit()):
            continue
        if not _holds_open(pid, directory):
            continue
        init = int(argv[6])
        return pid, (init if _parent(init) == pid else None)
    return None, None


def _cgroup(state_root, container_id, init):
    """(CgroupManager, made by create) of the container's cgroup, or (None, False)."""
    from ..cgroups.manager import CgroupManager
    default = default_cgroup_path(state_root, container_id)
    path = _init_cgroup_path(init) if init else None
    if path is None or path == default or path.startswith(default + "/"):
        path = default
    try:
        manager = CgroupManager.plan(container_id, path)
    except RuntimeFailure:
        return None, False
    claim = _own_claim(state_root, container_id, manager)
    if claim is not None:
        # The host-wide claim (cgroups/owner.py) lies outside the damaged
        # state and records what create made or adopted: destroy() removes
        # exactly that and gives the claim up.
        manager.created.extend(d for d in claim.get("made") or () if pathlite.isdir(d))
        manager.claim = {"file": claim["file"], "token": claim.get("token")}
        return manager, True
    own = path == default
    if own:
        # What destroy() removes: the container's cgroup in every hierarchy
        # and, when empty, its parents below each hierarchy's root (the
        # runtime's own parent of default cgroups).
        for hierarchy in manager.hierarchies:
            dirs = manager._ancestors(hierarchy)[1:]
            if pathlite.isdir(dirs[-1]):
                manager.created.extend(dirs)
    return manager, own


def _own_claim(state_root, container_id, manager):
    """The claim of ``manager``'s cgroup when it names this container and the cgroup is still the one it claimed."""
    from os.path import realpath
    from ..cgroups import owner
    from ..cgroups.files import CgroupFiles
    files = CgroupFiles()
    claim_file = owner.Claims(owner.CLAIMS_DIR, files).file_for(manager.path)
    claim = owner.read_claim(claim_file)
    if (not claim or claim.get("unreadable") or claim.get("id") != container_id
            or claim.get("state_root") != realpath(state_root)
            or not owner.still_the_same(files, claim, manager.paths)):
        return None
    claim["file"] = claim_file
    return claim


def default_cgroup_path(state_root, container_id):
    """The cgroup create gives ``container_id`` of ``state_root`` without a linux.cgroupsPath.

    Asked of cgroups/manager.py, never rebuilt here: where default cgroups
    live is that module's decision (it may make them per state root).
    """
    from ..cgroups.manager import resolve_cgroups_path
    return resolve_cgroups_path(container_id, None, state_root)


def _init_cgroup_path(init):
    """The init's cgroup relative to the hierarchy roots (the one most hierarchies agree on), or None.

    cgroups(7) /proc/PID/cgroup: "hierarchy-ID:controller-list:cgroup-path",
    one line per hierarchy. The runtime puts a container at the same path in
    every hierarchy (cgroups/manager.py); a container may since have moved
    in some of them within its own subtree.
    """
    try:
        with open("/proc/%d/cgroup" % init, "rb") as f:
            return majority_cgroup_path(f.read().decode("utf-8", "replace").splitlines())
    except (IOError, OSError):
        return None


def majority_cgroup_path(lines):
    """The non-root path most lines of a /proc/PID/cgroup agree on (ties: the first in sorted order), or None."""
    counts = {}
    for line in lines:
        path = line.split(":", 2)[-1].strip("/")
        if path:
            counts[path] = counts.get(path, 0) + 1
    if not counts:
        return None
    return max(sorted(counts), key=lambda p: counts[p])


def _pids(manager):
    try:
        pids = manager.pids()
    except CgroupError:
        return []
    if posix.getpid() in pids:
        raise RuntimeFailure("cgroup /%s holds this process (pid %d); refusing to kill what is in it"
                             % (manager.path, posix.getpid()))
    return pids


def _thaw_quietly(manager):
    try:
        manager.thaw()
    except RuntimeFailure:
        pass


def _release_network(state_root, container_id):
    """Undo the network wiring of a container whose record was in its lost state; the problems met.

    Only when a network's leases name the id: the veth names and the nft
    rule tag are derived from the state root and the id (network/common.py,
    network/nft.py), so they are found without the record.
    """
    if not pathlite.isdir(pathlite.join(state_root, ".networks")):
        return []
    from ..network import ipam, nft
    from ..network.common import veth_names
    from ..network.store import NetworkStore
    from ..network.wiring import release
    store = NetworkStore(state_root)
    problems = []
    for name in store.names():
        try:
            leased = container_id in ipam.read_leases(store, name).values()
        except RuntimeFailure as e:
            problems.append(str(e))
            continue
        if leased:
            host, peer = veth_names(store.state_root, container_id)
            record = {"mode": "bridge", "network": name, "host_ifname": host, "peer_ifname": peer,
                      "publish": [True], "nft_tag": nft.container_tag(state_root, container_id)}
            problems.extend(release(state_root, container_id, record))
    return problems


def _cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")
    except (IOError, OSError):
        return []


def _holds_open(pid, directory):
    """True if ``pid`` has a descriptor on the directory whose stat is ``directory``."""
    fd_dir = "/proc/%d/fd" % pid
    try:
        fds = posix.listdir(fd_dir)
    except OSError:
        return False
    for fd in fds:
        try:
            st = posix.stat(pathlite.join(fd_dir, fd))
        except OSError:
            continue
        if st.st_ino == directory.st_ino and st.st_dev == directory.st_dev:
            return True
    return False


def _parent(pid):
    """proc(5) /proc/PID/stat field 4 (ppid), or None."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            raw = f.read()
    except (IOError, OSError):
        return None
    return int(raw[raw.rindex(b")") + 2:].split()[1])


def _start_time(pid):
    info = proc_stat(pid) if pid else None
    return info[1] if info else None


def _ignore(_msg):
    pass
