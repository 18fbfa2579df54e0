# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The least any exec written in Python must do: a floor, not an exec to use.

    python3 -I -S bench/bare_exec.py STATE_JSON PROGRAM [ARG...]

Given the state.json of one of our running containers, it does only the steps
no exec can skip, with what a Python exec cannot avoid loading (posix, the C
module behind os, as the runtime's exec uses it; _ctypes for setns(2); _json
for the state): read the state, open the init's namespaces, enter its pid
namespace for one fork(2) into its cgroup2 cgroup (clone3 CLONE_INTO_CGROUP,
as the runtime forks: runtime/cgroups/membership.py), and in the child join
its v1 cgroups through ``tasks``, enter its other namespaces and execve(2)
PROGRAM; the parent waits and exits with the child's status. No lock, no validation, no capabilities, rlimits,
user or no_new_privs, no error reporting, no fd hygiene: everything the real
exec (lifecycle/exec.py, process/execproc.py) does on top is left out, so
its time bounds from below what any runtime in Python can reach on this host.
bench.py times it beside runc's and crun's exec.
"""
import posix as os  # what the runtime's exec uses too (runtime/pathlite.py)
import _ctypes
import _json
import sys

# setns(2) through the primitives ctypes itself is built on, as
# runtime/syscalls/libc.py does, without ctypes' Python layer.
_LIBC = _ctypes.dlopen(None, 0)


class _Int(_ctypes._SimpleCData):  # pylint: disable=protected-access
    _type_ = "i"


class _Function(_ctypes.CFuncPtr):
    _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO
    _restype_ = _Int


class _Library(object):
    _handle = _LIBC


_setns = _Function(("setns", _Library()))
_setns.argtypes = (_Int, _Int)


class _Long(_ctypes._SimpleCData):  # pylint: disable=protected-access
    _type_ = "l"


class _U64(_ctypes._SimpleCData):  # pylint: disable=protected-access
    _type_ = "Q"


# clone3(2) and Python's fork hooks, called with the GIL held (as
# runtime/syscalls/linux.py, fork_into_cgroup, explains).
class _GilCall(_ctypes.CFuncPtr):
    _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_PYTHONAPI
    _restype_ = _Long


_clone3 = _GilCall(("syscall", _Library()))
_before, _after_in_child, _after_in_parent = (
    _GilCall((name, _Library())) for name in ("PyOS_BeforeFork", "PyOS_AfterFork_Child", "PyOS_AfterFork_Parent"))
# struct clone_args up to its cgroup field: 11 u64 (flags 0, exit_signal 4, cgroup 10)
_CloneArgs = type("CloneArgs", (_ctypes.Array,), {"_type_": _U64, "_length_": 11})
_CLONE3, _CLONE_INTO_CGROUP, _SIGCHLD = 435, 0x200000000, 17  # x86_64 and arm64 alike

# namespaces(7): /proc/PID/ns name -> CLONE_NEW* flag, in the order exec
# joins them (the mount namespace last: it hides the host's cgroupfs).
_JOIN = (("ipc", 0x08000000), ("uts", 0x04000000), ("net", 0x40000000),
         ("cgroup", 0x02000000), ("mnt", 0x00020000))
_CLONE_NEWPID = 0x20000000


class _Decoder(object):
    strict = True
    object_hook = object_pairs_hook = memo = None
    parse_float = float
    parse_int = int
    parse_constant = None


def _fork_into(directory):
    """fork(); the child starts in the cgroup2 ``directory`` (or, failing that, where we are)."""
    if directory is None:
        return os.fork()
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    args = _CloneArgs()
    args[0], args[4], args[10] = _CLONE_INTO_CGROUP, _SIGCHLD, fd
    _before()
    pid = _clone3(_Long(_CLONE3), args, _Long(_ctypes.sizeof(args)))
    if pid == 0:
        _after_in_child()
    else:
        _after_in_parent()
    os.close(fd)
    return pid if pid >= 0 else os.fork()


def _setns_or_die(fd, flag):
    if _setns(fd, flag) != 0:
        os._exit(125)


def main(argv):
    with open(argv[1]) as handle:
        state, dummy = _json.make_scanner(_Decoder())(handle.read(), 0)
    init = state["pid"]
    fds = {}
    for name in ("pid",) + tuple(name for name, dummy in _JOIN):
        theirs = "/proc/%d/ns/%s" % (init, name)
        if os.stat(theirs).st_ino != os.stat("/proc/self/ns/" + name).st_ino:
            fds[name] = os.open(theirs, os.O_RDONLY | os.O_CLOEXEC)
    if "pid" in fds:
        _setns_or_die(fds["pid"], _CLONE_NEWPID)
    cgroup = state.get("cgroup") or {"paths": {}, "hierarchies": []}
    v2 = dict((h["name"], h["fstype"] == "cgroup2") for h in cgroup["hierarchies"])
    unified = [path for name, path in cgroup["paths"].items() if v2[name]]
    child = _fork_into(unified[0] if unified else None)
    if child == 0:
        for name, directory in cgroup["paths"].items():
            if not v2[name]:
                fd = os.open(directory + "/tasks", os.O_WRONLY)
                os.write(fd, b"0")
                os.close(fd)
        for name, flag in _JOIN:
            if name in fds:
                _setns_or_die(fds[name], flag)
        os.chdir("/")
        os.execve("/bin/" + argv[2], argv[2:], {"PATH": "/bin"})
    dummy, status = os.waitpid(child, 0)
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


if __name__ == "__main__":
    os._exit(main(sys.argv))
