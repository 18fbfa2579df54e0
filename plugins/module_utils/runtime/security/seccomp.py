# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The container's seccomp filter (config-linux.md "Seccomp").

seccomp(2) takes a classic BPF program that the kernel runs on every system
call of the process and its descendants; the filter survives execve(2) and
can never be removed. libseccomp (seccomp(3), libseccomp2 on Debian) turns a
rule list into that program, handling the per-architecture syscall numbers.

Two steps, on purpose:

- ``compile_seccomp`` (host side, while the host's file system is visible):
  dlopen libseccomp, build the filter context (seccomp_init,
  seccomp_arch_add, seccomp_rule_add_array) and export the BPF program into
  memory (seccomp_export_bpf). The init does it before pivot_root, exec's
  parent before it forks: after pivot_root the host's libseccomp.so cannot be
  dlopen'ed any more. The result is plain bytes plus the load flags.
- ``CompiledFilter.load`` (in the process, last; seccomp_filter.py):
  seccomp(2) SECCOMP_SET_MODE_FILTER with the exported program, no library
  needed. runc also exports the program and loads it itself (its patchbpf).
  seccomp_filter.py says when, relative to the change of identity.

Before the exported program goes a stub that answers syscalls newer than
every syscall the profile names with ENOSYS (seccomp_enosys.py says why).

Only containers with ``linux.seccomp`` load this file (and ctypes with it).

A host without libseccomp fails with UnsupportedError when a config asks for
seccomp: never an unfiltered container.
"""

import ctypes
import errno
import os

from ..errors import SecurityError, SpecError, UnsupportedError
from ..spec.names import SECCOMP_FILTER_FLAGS
from ..standalone.jsonlite import dumps
from . import seccomp_enosys
from .seccomp_filter import PATH, CompiledFilter

# seccomp.h action values (they are the kernel's SECCOMP_RET_* values).
SCMP_ACT_KILL_PROCESS = 0x80000000
SCMP_ACT_KILL_THREAD = 0x00000000
SCMP_ACT_TRAP = 0x00030000
SCMP_ACT_ERRNO = 0x00050000
SCMP_ACT_TRACE = 0x7ff00000
SCMP_ACT_LOG = 0x7ffc0000
SCMP_ACT_NOTIFY = 0x7fc00000  # SECCOMP_RET_USER_NOTIF (seccomp_unotify(2); libseccomp >= 2.5)
SCMP_ACT_ALLOW = 0x7fff0000
ACTIONS = {
    # seccomp.h: SCMP_ACT_KILL is SCMP_ACT_KILL_THREAD.
    "SCMP_ACT_KILL": SCMP_ACT_KILL_THREAD,
    "SCMP_ACT_KILL_THREAD": SCMP_ACT_KILL_THREAD,
    "SCMP_ACT_KILL_PROCESS": SCMP_ACT_KILL_PROCESS,
    "SCMP_ACT_TRAP": SCMP_ACT_TRAP,
    "SCMP_ACT_ERRNO": SCMP_ACT_ERRNO,
    "SCMP_ACT_TRACE": SCMP_ACT_TRACE,
    "SCMP_ACT_LOG": SCMP_ACT_LOG,
    "SCMP_ACT_NOTIFY": SCMP_ACT_NOTIFY,
    "SCMP_ACT_ALLOW": SCMP_ACT_ALLOW,
}
# <linux/seccomp.h>: not config names, set by the runtime itself.
SECCOMP_FILTER_FLAG_NEW_LISTENER = 1 << 3
SECCOMP_FILTER_FLAG_TSYNC_ESRCH = 1 << 4
# SECCOMP_RET_DATA is the low 16 bits of the action.
MAX_ERRNO_RET = 0xffff

# enum scmp_compare
OPERATORS = {
    "SCMP_CMP_NE": 1, "SCMP_CMP_LT": 2, "SCMP_CMP_LE": 3, "SCMP_CMP_EQ": 4,
    "SCMP_CMP_GE": 5, "SCMP_CMP_GT": 6, "SCMP_CMP_MASKED_EQ": 7,
}
# enum scmp_filter_attr
_SCMP_FLTATR_CTL_OPTIMIZE = 8
# runc's threshold: binary-tree ordering pays off for long rule lists.
_OPTIMIZE_ABOVE = 32
# __NR_SCMP_ERROR: seccomp_syscall_resolve_name does not know the name.
_NR_SCMP_ERROR = -1

_LIBRARY = None
# One compiled filter, keyed by its JSON: create compiles in the runtime to
# fail early, and the init it forks finds the result here.
_CACHE = {}


class _ArgCmp(ctypes.Structure):
    """struct scmp_arg_cmp"""
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


def arch_library_name(name):
    """libseccomp's name for an OCI architecture: SCMP_ARCH_X86_64 -> "x86_64"."""
    return name[len("SCMP_ARCH_"):].lower()


def action_value(name, errno_ret, path):
    """The libseccomp action for ``name``; ERRNO and TRACE carry ``errno_ret`` (default EPERM)."""
    if name not in ACTIONS:
        raise SpecError(path, "unknown seccomp action %r" % (name,))
    value = ACTIONS[name]
    if value in (SCMP_ACT_ERRNO, SCMP_ACT_TRACE):
        # runc: both default to EPERM when no errno is given.
        ret = errno.EPERM if errno_ret is None else errno_ret
        if isinstance(ret, bool) or not isinstance(ret, int) or not 0 <= ret <= MAX_ERRNO_RET:
            raise SpecError(path, "the errno must be an integer from 0 to %d (seccomp(2): "
                            "SECCOMP_RET_DATA has 16 bits), got %r" % (MAX_ERRNO_RET, ret))
        value |= ret
    return value


def filter_flags(names_, path, notify=False):
    """The seccomp(2) flags word for ``linux.seccomp.flags``.

    With ``notify`` (a rule uses SCMP_ACT_NOTIFY) SECCOMP_FILTER_FLAG_NEW_LISTENER
    is added: seccomp(2) then returns the notify fd that goes to the agent at
    listenerPath (seccomp_filter.py). With it, TSYNC needs TSYNC_ESRCH, or the
    return value could be a thread id instead of the fd (seccomp(2)).
    """
    flags = 0
    for index, name in enumerate(names_ or ()):
        where = "%s[%d]" % (path, index)
        if name == "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" and not notify:
            # seccomp(2): only meaningful (and only accepted) with a notify listener.
            raise SpecError(where, "%s needs a syscall rule with SCMP_ACT_NOTIFY" % name)
        if name not in SECCOMP_FILTER_FLAGS:
            raise SpecError(where, "unknown seccomp flag %r" % (name,))
        flags |= SECCOMP_FILTER_FLAGS[name]
    if notify:
        flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER
        if flags & SECCOMP_FILTER_FLAGS["SECCOMP_FILTER_FLAG_TSYNC"]:
            flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH
    return flags


def conditions(args, path):
    """Groups of (index, op, value, valueTwo), each group one rule (its conditions AND'ed).

    libseccomp refuses two comparisons of the same argument in one rule; like
    runc, such a list becomes one rule per comparison (OR'ed).
    """
    conds = []
    for index, arg in enumerate(args or ()):
        where = "%s[%d]" % (path, index)
        op = arg.get("op")
        if op not in OPERATORS:
            raise SpecError(where + ".op", "unknown seccomp operator %r" % (op,))
        conds.append((arg["index"], OPERATORS[op], arg["value"], arg.get("valueTwo", 0)))
    if not conds:
        return [[]]
    indexes = [c[0] for c in conds]
    if len(set(indexes)) != len(indexes):
        return [[c] for c in conds]
    return [conds]


def _library():
    """libseccomp through ctypes; UnsupportedError when the host has none."""
    global _LIBRARY
    if _LIBRARY is not None:
        return _LIBRARY
    lib = None
    try:
        lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    except OSError:
        from ctypes.util import find_library
        found = find_library("seccomp")
        if found:
            try:
                lib = ctypes.CDLL(found, use_errno=True)
            except OSError:
                lib = None
    if lib is None:
        raise UnsupportedError("%s: seccomp filters need libseccomp (libseccomp.so.2), which this host "
                               "lacks; install libseccomp2 or remove linux.seccomp" % PATH)
    vp, u32, ci = ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int
    for name, restype, argtypes in (
            ("seccomp_init", vp, [u32]),
            ("seccomp_release", None, [vp]),
            ("seccomp_arch_resolve_name", u32, [ctypes.c_char_p]),
            ("seccomp_arch_add", ci, [vp, u32]),
            ("seccomp_arch_native", u32, []),
            ("seccomp_attr_set", ci, [vp, ci, u32]),
            ("seccomp_syscall_resolve_name", ci, [ctypes.c_char_p]),
            ("seccomp_syscall_resolve_name_arch", ci, [u32, ctypes.c_char_p]),
            ("seccomp_rule_add_array", ci, [vp, u32, ci, ctypes.c_uint, ctypes.POINTER(_ArgCmp)]),
            ("seccomp_export_bpf", ci, [vp, ci])):
        func = getattr(lib, name)
        func.restype = restype
        func.argtypes = argtypes
    _LIBRARY = lib
    return lib


def compile_seccomp(seccomp, path=PATH):
    """Compile a validated ``linux.seccomp`` object into a CompiledFilter (memoized)."""
    key = dumps(seccomp)  # jsonlite sorts keys: equal configs, equal keys
    if key not in _CACHE:
        compiled = _compile(seccomp, path)
        _CACHE.clear()
        _CACHE[key] = compiled
    return _CACHE[key]


def _compile(seccomp, path):
    default = action_value(seccomp.get("defaultAction"), seccomp.get("defaultErrnoRet"),
                           path + ".defaultAction")
    notify = uses_notify(seccomp)
    flags = filter_flags(seccomp.get("flags"), path + ".flags", notify)
    lib = _library()
    ctx = lib.seccomp_init(default)
    if not ctx:
        raise SecurityError("%s: seccomp_init failed" % path)
    try:
        arches = _add_arches(lib, ctx, seccomp.get("architectures"), path + ".architectures")
        syscalls = seccomp.get("syscalls") or []
        if len(syscalls) > _OPTIMIZE_ABOVE:
            lib.seccomp_attr_set(ctx, _SCMP_FLTATR_CTL_OPTIMIZE, 2)  # best effort: libseccomp >= 2.5
        skipped = []
        for index, rule in enumerate(syscalls):
            skipped.extend(_add_rule(lib, ctx, rule, default, "%s.syscalls[%d]" % (path, index)))
        program = _export(lib, ctx, path)
    finally:
        lib.seccomp_release(ctx)
    program = _enosys_stub(lib, default, arches, syscalls, path) + program
    nr = lib.seccomp_syscall_resolve_name(b"seccomp")
    return CompiledFilter(program, flags, nr if nr >= 0 else None, skipped,
                          listener=SECCOMP_FILTER_FLAG_NEW_LISTENER if notify else 0)


def uses_notify(seccomp):
    """Whether a rule of ``linux.seccomp`` forwards syscalls to the agent at listenerPath."""
    return any(rule.get("action") == "SCMP_ACT_NOTIFY" for rule in seccomp.get("syscalls") or ())


def _add_arches(lib, ctx, arches, path):
    """Add the configured architectures; return the libseccomp tokens of all in the filter."""
    tokens = [lib.seccomp_arch_native()]  # seccomp_init(3): the native one is always there
    for index, name in enumerate(arches or ()):
        where = "%s[%d]" % (path, index)
        token = lib.seccomp_arch_resolve_name(arch_library_name(name).encode("ascii"))
        if not token:
            raise UnsupportedError("%s: architecture %s is unknown to this host's libseccomp" % (where, name))
        ret = lib.seccomp_arch_add(ctx, token)
        if ret < 0 and ret != -errno.EEXIST:  # the native architecture is always present
            raise SecurityError("%s: seccomp_arch_add(%s) failed: %s" % (where, name, os.strerror(-ret)))
        if token not in tokens:
            tokens.append(token)
    return tokens


def _enosys_stub(lib, default, arches, syscalls, path):
    """The ENOSYS stub for syscalls above every one the profile names (b"" when not wanted).

    Every named syscall counts, whatever its rule's action (also one that
    repeats the default and adds no rule): the profile knows it.
    """
    if not seccomp_enosys.wants_stub(default):
        return b""
    names = set()
    for rule in syscalls:
        names.update(name.encode("utf-8") for name in rule.get("names") or ())
    highest = seccomp_enosys.highest_numbers(lib.seccomp_syscall_resolve_name_arch, arches, sorted(names))
    try:
        return seccomp_enosys.stub_bytes(highest)
    except ValueError as e:
        raise SecurityError("%s: %s" % (path, e))


def _add_rule(lib, ctx, rule, default, path):
    """Add one ``syscalls`` entry; return the names libseccomp does not know."""
    action = action_value(rule.get("action"), rule.get("errnoRet"), path + ".action")
    groups = conditions(rule.get("args"), path + ".args")
    if action == default:
        return []  # libseccomp refuses (EACCES) a rule that repeats the default; it changes nothing
    skipped = []
    for index, name in enumerate(rule.get("names") or ()):
        nr = lib.seccomp_syscall_resolve_name(name.encode("utf-8"))
        if nr == _NR_SCMP_ERROR:
            # Like runc: a name this libseccomp does not know (newer or another
            # architecture's) is skipped, so one profile serves many hosts.
            skipped.append(name)
            continue
        for group in groups:
            array = (_ArgCmp * max(len(group), 1))(*[_ArgCmp(*c) for c in group])
            ret = lib.seccomp_rule_add_array(ctx, action, nr, len(group), array)
            if ret < 0:
                raise SpecError("%s.names[%d]" % (path, index), "libseccomp refused the rule for %s: %s"
                                % (name, os.strerror(-ret)))
    return skipped


def _export(lib, ctx, path):
    """The BPF program as bytes, through an in-memory file (seccomp_export_bpf writes to an fd)."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("seccomp-bpf", os.MFD_CLOEXEC)
    else:
        import tempfile
        fd = os.dup(tempfile.TemporaryFile().fileno())
    try:
        ret = lib.seccomp_export_bpf(ctx, fd)
        if ret < 0:
            raise SecurityError("%s: seccomp_export_bpf failed: %s" % (path, os.strerror(-ret)))
        size = os.lseek(fd, 0, os.SEEK_END)
        os.lseek(fd, 0, os.SEEK_SET)
        chunks = []
        while size > 0:
            chunk = os.read(fd, size)
            if not chunk:
                break
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)
