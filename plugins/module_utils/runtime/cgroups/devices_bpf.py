# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Device rules for cgroup v2: an eBPF program of type CGROUP_DEVICE.

cgroup v2 has no devices.allow/deny files. Instead the kernel runs every
eBPF program attached to the cgroup (and its ancestors) with attach type
BPF_CGROUP_DEVICE whenever a member process opens or mknods a device node
(cgroup-v2.rst "Device controller"). The program reads
``struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }`` where
access_type = (access << 16) | device type, and returns 1 to allow, 0 to deny.

The program built here checks the OCI rules from last to first and returns
at the first match, which is "the last matching rule wins"; if none matches
it denies. For an allow rule the requested access must be a subset of the
rule's; a deny rule matches when the request includes any access it names.

Loading uses bpf(2) BPF_PROG_LOAD; attaching uses BPF_PROG_ATTACH with
BPF_F_ALLOW_MULTI so programs of parent cgroups keep applying as well. A
cgroup that existed before create may still carry an earlier user's program,
which would keep denying what the config allows (every attached program must
allow an access): with ``replace`` the programs attached to that cgroup
before are detached once the new one is in place (BPF_PROG_QUERY,
BPF_PROG_GET_FD_BY_ID, BPF_PROG_DETACH), as runc does.
"""

import ctypes
import errno
import os
import struct
import sys

from ..errors import CgroupError, SyscallError, UnsupportedError

# <linux/bpf.h>
BPF_PROG_LOAD = 5
BPF_PROG_ATTACH = 8
BPF_PROG_DETACH = 9
BPF_PROG_GET_FD_BY_ID = 13
BPF_PROG_QUERY = 16
BPF_PROG_TYPE_CGROUP_DEVICE = 15
BPF_CGROUP_DEVICE = 6
BPF_F_ALLOW_MULTI = 2
BPF_DEVCG_DEV_BLOCK = 1
BPF_DEVCG_DEV_CHAR = 2
BPF_DEVCG_ACC_MKNOD = 1
BPF_DEVCG_ACC_READ = 2
BPF_DEVCG_ACC_WRITE = 4

# Instruction encoding, <linux/bpf_common.h> and <linux/bpf.h>
_LDX_MEM_W = 0x61      # BPF_LDX | BPF_MEM | BPF_W: dst = *(u32 *)(src + off)
_ALU_AND_K = 0x54      # BPF_ALU | BPF_AND | BPF_K: dst &= imm (32-bit)
_ALU_RSH_K = 0x74      # BPF_ALU | BPF_RSH | BPF_K: dst >>= imm (32-bit)
_MOV64_X = 0xbf        # BPF_ALU64 | BPF_MOV | BPF_X: dst = src
_MOV64_K = 0xb7        # BPF_ALU64 | BPF_MOV | BPF_K: dst = imm
_JEQ_K = 0x15          # BPF_JMP | BPF_JEQ | BPF_K: if dst == imm goto +off
_JNE_K = 0x55          # BPF_JMP | BPF_JNE | BPF_K: if dst != imm goto +off
_JNE_X = 0x5d          # BPF_JMP | BPF_JNE | BPF_X: if dst != src goto +off
_EXIT = 0x95           # BPF_JMP | BPF_EXIT

R0, R1, R2, R3, R4, R5 = range(6)
_TYPES = {"c": BPF_DEVCG_DEV_CHAR, "b": BPF_DEVCG_DEV_BLOCK}
_ACCESS_BITS = {"r": BPF_DEVCG_ACC_READ, "w": BPF_DEVCG_ACC_WRITE, "m": BPF_DEVCG_ACC_MKNOD}
_FULL_ACCESS = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD
PROGRAM_NAME = b"oci_devices"
LICENSE = b"GPL"


def instruction(code, dst=0, src=0, off=0, imm=0):
    """One struct bpf_insn {u8 code; u8 dst_reg:4, src_reg:4; s16 off; s32 imm}."""
    if sys.byteorder == "little":
        return struct.pack("<BBhi", code, (src << 4) | dst, off, imm)
    return struct.pack(">BBhi", code, (dst << 4) | src, off, imm)


def access_mask(access):
    mask = 0
    for letter in access:
        mask |= _ACCESS_BITS[letter]
    return mask


def _rule_block(rule):
    """Instructions for one rule as (code, dst, src, off, imm) tuples; an off
    of None means "jump to the next rule" and is resolved by the caller."""
    block = []
    if rule.type != "a":
        block.append((_JNE_K, R2, 0, None, _TYPES[rule.type]))
    mask = access_mask(rule.access)
    if mask != _FULL_ACCESS:
        block.append((_MOV64_X, R1, R3, 0, 0))
        block.append((_ALU_AND_K, R1, 0, 0, mask))
        if rule.allow:
            # allow only if every requested access is granted: (req & mask) == req
            block.append((_JNE_X, R1, R3, None, 0))
        else:
            # deny if any requested access is denied: (req & mask) != 0
            block.append((_JEQ_K, R1, 0, None, 0))
    if rule.major is not None:
        block.append((_JNE_K, R4, 0, None, rule.major))
    if rule.minor is not None:
        block.append((_JNE_K, R5, 0, None, rule.minor))
    block.append((_MOV64_K, R0, 0, 0, 1 if rule.allow else 0))
    block.append((_EXIT, 0, 0, 0, 0))
    return block


def build_program(rules):
    """The program bytes for normalised DeviceRule objects (see devices.py)."""
    insns = [
        (_LDX_MEM_W, R2, R1, 0, 0),    # r2 = ctx->access_type
        (_ALU_AND_K, R2, 0, 0, 0xFFFF),  # r2 = device type
        (_LDX_MEM_W, R3, R1, 0, 0),
        (_ALU_RSH_K, R3, 0, 0, 16),    # r3 = requested access
        (_LDX_MEM_W, R4, R1, 4, 0),    # r4 = ctx->major
        (_LDX_MEM_W, R5, R1, 8, 0),    # r5 = ctx->minor
    ]
    for rule in reversed(rules):
        block = _rule_block(rule)
        end = len(block)
        for index, (code, dst, src, off, imm) in enumerate(block):
            if off is None:
                off = end - index - 1  # skip to the first instruction after this block
            insns.append((code, dst, src, off, imm))
        if len(block) == 2:
            break  # an unconditional rule: earlier rules can never be reached
    else:
        insns.append((_MOV64_K, R0, 0, 0, 0))  # no rule matched: deny
        insns.append((_EXIT, 0, 0, 0, 0))
    return b"".join(instruction(*insn) for insn in insns)


def _pack_load_attr(program_buffer, insn_count, license_buffer, log_buffer):
    """union bpf_attr for BPF_PROG_LOAD, up to expected_attach_type (72 bytes)."""
    log_size = len(log_buffer) if log_buffer is not None else 0
    return struct.pack(
        "=IIQQIIQII16sII",
        BPF_PROG_TYPE_CGROUP_DEVICE, insn_count,
        ctypes.addressof(program_buffer), ctypes.addressof(license_buffer),
        1 if log_buffer is not None else 0, log_size,
        ctypes.addressof(log_buffer) if log_buffer is not None else 0,
        0, 0, PROGRAM_NAME, 0, BPF_CGROUP_DEVICE)


def load_program(program, syscalls):
    """BPF_PROG_LOAD ``program``; returns the program fd."""
    program_buffer = ctypes.create_string_buffer(program, len(program))
    license_buffer = ctypes.create_string_buffer(LICENSE)
    count = len(program) // 8
    try:
        return syscalls.bpf(BPF_PROG_LOAD, _pack_load_attr(program_buffer, count,
                                                           license_buffer, None))
    except SyscallError as exc:
        if exc.errno == errno.ENOSYS:
            raise UnsupportedError("linux.resources.devices: this kernel has no bpf(2), needed "
                                   "for device rules on cgroup v2")
        if exc.errno == errno.EPERM:
            raise CgroupError("linux.resources.devices: loading the device filter eBPF program: "
                              "%s (needs CAP_SYS_ADMIN or CAP_BPF)" % exc)
        first_error = exc
    # Load again with the verifier log to explain the failure (bpf(2)).
    log_buffer = ctypes.create_string_buffer(65536)
    try:
        fd = syscalls.bpf(BPF_PROG_LOAD, _pack_load_attr(program_buffer, count,
                                                         license_buffer, log_buffer))
    except SyscallError:
        log = log_buffer.value.decode("utf-8", "replace").strip()
        raise CgroupError("linux.resources.devices: loading the device filter eBPF program "
                          "(%d instructions): %s%s" % (count, first_error,
                                                       "; verifier: " + log if log else ""))
    return fd


def attach_program(cgroup_dir, prog_fd, syscalls):
    """BPF_PROG_ATTACH ``prog_fd`` to the cgroup2 directory ``cgroup_dir``."""
    dir_fd = os.open(cgroup_dir, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
                     | getattr(os, "O_CLOEXEC", 0))
    try:
        attr = struct.pack("=IIIII", dir_fd, prog_fd, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI, 0)
        syscalls.bpf(BPF_PROG_ATTACH, attr)
    except SyscallError as exc:
        raise CgroupError("linux.resources.devices: attaching the device filter eBPF program "
                          "to %s: %s" % (cgroup_dir, exc))
    finally:
        os.close(dir_fd)


def apply_device_rules(cgroup_dir, rules, syscalls, replace=False):
    """Enforce normalised ``rules`` on the cgroup2 directory ``cgroup_dir``.

    The attachment keeps the program alive, so its fd is closed afterwards;
    removing the cgroup detaches and frees it. With ``replace`` the device
    programs attached to ``cgroup_dir`` before are detached afterwards.
    """
    earlier = attached_program_ids(cgroup_dir, syscalls) if replace else []
    prog_fd = load_program(build_program(rules), syscalls)
    try:
        attach_program(cgroup_dir, prog_fd, syscalls)
    finally:
        os.close(prog_fd)
    for prog_id in earlier:
        detach_program(cgroup_dir, prog_id, syscalls)


_QUERY_CAPACITY = 64


def attached_program_ids(cgroup_dir, syscalls):
    """Ids of the BPF_CGROUP_DEVICE programs attached to ``cgroup_dir`` itself (not its ancestors').

    bpf(2) BPF_PROG_QUERY writes the ids into the buffer ``prog_ids`` points
    at; ids are never 0, so the zeroed buffer's non-zero entries are the answer
    (the count the kernel writes back into the attr is not needed).
    """
    ids = ctypes.create_string_buffer(4 * _QUERY_CAPACITY)  # __u32 ids
    dir_fd = os.open(cgroup_dir, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        # query: target_fd, attach_type, query_flags, attach_flags, prog_ids, prog_cnt, (pad), prog_attach_flags
        attr = struct.pack("=IIIIQIIQ", dir_fd, BPF_CGROUP_DEVICE, 0, 0, ctypes.addressof(ids),
                           _QUERY_CAPACITY, 0, 0)
        syscalls.bpf(BPF_PROG_QUERY, attr)
    except SyscallError as exc:
        raise CgroupError("linux.resources.devices: listing the device filter programs of %s: %s" % (cgroup_dir, exc))
    finally:
        os.close(dir_fd)
    return [prog_id for prog_id in struct.unpack("=%dI" % _QUERY_CAPACITY, ids.raw) if prog_id]


def detach_program(cgroup_dir, prog_id, syscalls):
    """BPF_PROG_DETACH the program ``prog_id`` from ``cgroup_dir``; one detached meanwhile is fine."""
    try:
        prog_fd = syscalls.bpf(BPF_PROG_GET_FD_BY_ID, struct.pack("=III", prog_id, 0, 0))
    except SyscallError as exc:
        if exc.errno == errno.ENOENT:
            return
        raise CgroupError("linux.resources.devices: opening device filter program %d of %s: %s"
                          % (prog_id, cgroup_dir, exc))
    dir_fd = os.open(cgroup_dir, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        syscalls.bpf(BPF_PROG_DETACH, struct.pack("=IIII", dir_fd, prog_fd, BPF_CGROUP_DEVICE, 0))
    except SyscallError as exc:
        if exc.errno != errno.ENOENT:
            raise CgroupError("linux.resources.devices: detaching the earlier device filter program %d "
                              "from %s: %s" % (prog_id, cgroup_dir, exc))
    finally:
        os.close(dir_fd)
        os.close(prog_fd)
