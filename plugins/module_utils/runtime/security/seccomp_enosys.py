# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ENOSYS for system calls newer than the seccomp profile (seccomp.py compiles).

A profile lists the syscalls its author knew of. A syscall the kernel gained
later (clone3 in Linux 5.3, close_range, faccessat2...) is not in it and
would get the default action, usually EPERM. But libraries try a new
syscall and fall back to the old one only on ENOSYS, the kernel's answer
when it lacks the call: glibc >= 2.34 creates threads with clone3 and falls
back to clone on ENOSYS only, so under such a profile pthread_create fails.
runc therefore puts a stub in front of the filter (its
libcontainer/seccomp/patchbpf): per architecture, a syscall number above the
highest one the profile names returns ENOSYS. This file builds the same kind
of stub (its own code, not runc's).

The stub is classic BPF (linux/filter.h, struct sock_filter {u16 code;
u8 jt; u8 jf; u32 k}) in host byte order, like the program libseccomp
exports (seccomp_export_bpf), and is prepended to it. seccomp(2) hands the
program a struct seccomp_data {int nr; u32 arch; ...}::

        ld   [4]                      arch
        jeq  AUDIT_ARCH_A, 0, next    (one section per architecture)
        ld   [0]                      nr
        jgt  MAX_A, enosys, filter
  next: jeq  AUDIT_ARCH_B, ...
        ...
        ja   filter                   any other architecture
enosys: ret  ERRNO(ENOSYS)
filter: libseccomp's program (it loads the arch again)

x32 and x86_64 share AUDIT_ARCH_X86_64; x32 calls have bit 30 set in nr
(__X32_SYSCALL_BIT, and libseccomp's x32 numbers include it), so that
section tests the bit first. On s390 and s390x a number the kernel does not
know arrives as 0, the setup(2) multiplexer, which the stub answers with
ENOSYS too (as runc does). An architecture for which the profile names no
syscall gets no section: the filter decides, as before.

No stub when the default action lets calls through (ALLOW, LOG, and TRACE,
whose tracer handles new calls itself: the kernel answers an unknown number
with ENOSYS anyway) or already is ERRNO(ENOSYS), as in runc.
"""

import errno
import sys

# linux/bpf_common.h opcodes
_LD_W_ABS = 0x00 | 0x00 | 0x20      # BPF_LD | BPF_W | BPF_ABS
_JMP_JA = 0x05 | 0x00               # BPF_JMP | BPF_JA
_JMP_JEQ_K = 0x05 | 0x10 | 0x00     # BPF_JMP | BPF_JEQ | BPF_K
_JMP_JGT_K = 0x05 | 0x20 | 0x00     # BPF_JMP | BPF_JGT | BPF_K
_JMP_JSET_K = 0x05 | 0x40 | 0x00    # BPF_JMP | BPF_JSET | BPF_K
_RET_K = 0x06 | 0x00                # BPF_RET | BPF_K
# Offsets in struct seccomp_data (linux/seccomp.h).
_NR_OFFSET = 0
_ARCH_OFFSET = 4
# jt/jf are 8-bit forward offsets (filter.h).
_MAX_SHORT_JUMP = 255

SECCOMP_RET_ERRNO = 0x00050000
SCMP_ACT_ALLOW = 0x7fff0000
SCMP_ACT_LOG = 0x7ffc0000
SCMP_ACT_TRACE = 0x7ff00000
_ACTION_MASK = 0xffff0000           # SECCOMP_RET_ACTION_FULL

# linux/audit.h: EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE. libseccomp's
# SCMP_ARCH_* tokens are the AUDIT_ARCH_* values, except SCMP_ARCH_X32
# (EM_X86_64 | __AUDIT_ARCH_LE), which is not an arch the kernel reports.
AUDIT_ARCH_X86_64 = 0xc000003e
SCMP_ARCH_X32 = 0x4000003e
X32_SYSCALL_BIT = 0x40000000
# EM_S390 with and without __AUDIT_ARCH_64BIT.
_S390_ARCHES = (0x00000016, 0x80000016)


def wants_stub(default_action):
    """Whether a filter with this default action (libseccomp value) gets the stub."""
    if default_action & _ACTION_MASK in (SCMP_ACT_ALLOW, SCMP_ACT_LOG, SCMP_ACT_TRACE):
        return False
    return default_action != SECCOMP_RET_ERRNO | errno.ENOSYS


def highest_numbers(resolve, arch_tokens, names):
    """{arch token: highest syscall number of ``names`` on it}.

    ``resolve(token, name)`` is libseccomp's seccomp_syscall_resolve_name_arch:
    negative for a name it does not know or that does not exist on that
    architecture (its pseudo-syscall numbers). Tokens with no known name are left out.
    """
    highest = {}
    for token in arch_tokens:
        for name in names:
            number = resolve(token, name)
            if number >= 0 and number > highest.get(token, -1):
                highest[token] = number
    return highest


def _sections(highest):
    """[(audit arch, {"native"/"x32": highest number})] per kernel architecture, in a stable order."""
    by_arch = {}
    for token, number in highest.items():
        if token == SCMP_ARCH_X32:
            by_arch.setdefault(AUDIT_ARCH_X86_64, {})["x32"] = number
        elif token == AUDIT_ARCH_X86_64:
            by_arch.setdefault(AUDIT_ARCH_X86_64, {})["native"] = number
        else:
            by_arch.setdefault(token, {})["native"] = number
    return sorted(by_arch.items())


def stub_instructions(highest):
    """The stub as a list of (code, jt, jf, k) with jumps resolved; [] for no architecture."""
    sections = _sections(highest)
    if not sections:
        return []
    program = [(_LD_W_ABS, None, None, _ARCH_OFFSET)]
    for index, (arch, numbers) in enumerate(sections):
        following = "arch%d" % (index + 1)
        program.append(("label", "arch%d" % index))
        program.append((_JMP_JEQ_K, None, following, arch))
        program.append((_LD_W_ABS, None, None, _NR_OFFSET))
        if arch in _S390_ARCHES:
            program.append((_JMP_JEQ_K, "enosys", None, 0))
        if arch == AUDIT_ARCH_X86_64:
            program.append((_JMP_JSET_K, "x32-%d" % index, None, X32_SYSCALL_BIT))
            program.append(_above(numbers.get("native")))
            program.append(("label", "x32-%d" % index))
            program.append(_above(numbers.get("x32")))
        else:
            program.append(_above(numbers["native"]))
    program.append(("label", "arch%d" % len(sections)))
    program.append((_JMP_JA, None, None, "filter"))
    program.append(("label", "enosys"))
    program.append((_RET_K, None, None, SECCOMP_RET_ERRNO | errno.ENOSYS))
    program.append(("label", "filter"))
    return _resolve(program)


def _above(highest):
    """jgt highest -> ENOSYS, else the filter; without a number only the filter."""
    if highest is None:
        return (_JMP_JA, None, None, "filter")
    return (_JMP_JGT_K, "enosys", "filter", highest)


def _resolve(program):
    """Turn label names into forward offsets: jt/jf from the next instruction, ja's k likewise."""
    labels = {}
    position = 0
    for item in program:
        if item[0] == "label":
            labels[item[1]] = position
        else:
            position += 1
    resolved = []
    for item in program:
        if item[0] == "label":
            continue
        code, jt, jf, k = item
        here = len(resolved) + 1
        if code == _JMP_JA:
            k = _offset(labels, k, here)
        resolved.append((code, _offset(labels, jt, here), _offset(labels, jf, here), k))
    return resolved


def _offset(labels, target, here):
    if target is None:
        return 0
    distance = labels[target] - here
    if not 0 <= distance <= _MAX_SHORT_JUMP:
        # Each section has at most 6 instructions and libseccomp knows ~20 architectures.
        raise ValueError("seccomp ENOSYS stub: a jump of %d instructions" % distance)
    return distance


def stub_bytes(highest):
    """The stub as the bytes of struct sock_filter[] in host byte order, to prepend to libseccomp's."""
    return b"".join(code.to_bytes(2, sys.byteorder) + bytes((jt, jf)) + k.to_bytes(4, sys.byteorder)
                    for code, jt, jf, k in stub_instructions(highest))
