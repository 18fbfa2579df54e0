# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The symbolic names config.json may use, with their kernel numbers.

The runtime-spec names kernel constants by their C identifiers (``CAP_KILL``,
``RLIMIT_NOFILE``, ``SCMP_ACT_ERRNO``...). The validator checks names against
these tables, and the rooms that talk to the kernel (security, process)
translate them with the same tables, so a name accepted here is a name the
runtime can apply.
"""

from ..syscalls.consts import NAMESPACES as _NAMESPACES

# capabilities(7) / linux/capability.h: capability name -> bit number.
CAPABILITIES = {
    "CAP_CHOWN": 0,
    "CAP_DAC_OVERRIDE": 1,
    "CAP_DAC_READ_SEARCH": 2,
    "CAP_FOWNER": 3,
    "CAP_FSETID": 4,
    "CAP_KILL": 5,
    "CAP_SETGID": 6,
    "CAP_SETUID": 7,
    "CAP_SETPCAP": 8,
    "CAP_LINUX_IMMUTABLE": 9,
    "CAP_NET_BIND_SERVICE": 10,
    "CAP_NET_BROADCAST": 11,
    "CAP_NET_ADMIN": 12,
    "CAP_NET_RAW": 13,
    "CAP_IPC_LOCK": 14,
    "CAP_IPC_OWNER": 15,
    "CAP_SYS_MODULE": 16,
    "CAP_SYS_RAWIO": 17,
    "CAP_SYS_CHROOT": 18,
    "CAP_SYS_PTRACE": 19,
    "CAP_SYS_PACCT": 20,
    "CAP_SYS_ADMIN": 21,
    "CAP_SYS_BOOT": 22,
    "CAP_SYS_NICE": 23,
    "CAP_SYS_RESOURCE": 24,
    "CAP_SYS_TIME": 25,
    "CAP_SYS_TTY_CONFIG": 26,
    "CAP_MKNOD": 27,
    "CAP_LEASE": 28,
    "CAP_AUDIT_WRITE": 29,
    "CAP_AUDIT_CONTROL": 30,
    "CAP_SETFCAP": 31,
    "CAP_MAC_OVERRIDE": 32,
    "CAP_MAC_ADMIN": 33,
    "CAP_SYSLOG": 34,
    "CAP_WAKE_ALARM": 35,
    "CAP_BLOCK_SUSPEND": 36,
    "CAP_AUDIT_READ": 37,
    "CAP_PERFMON": 38,
    "CAP_BPF": 39,
    "CAP_CHECKPOINT_RESTORE": 40,
}

# The five capability sets of a thread, as named in process.capabilities.
CAPABILITY_SETS = ("bounding", "effective", "inheritable", "permitted", "ambient")

# getrlimit(2) / asm-generic/resource.h: resource name -> resource number.
RLIMITS = {
    "RLIMIT_CPU": 0,
    "RLIMIT_FSIZE": 1,
    "RLIMIT_DATA": 2,
    "RLIMIT_STACK": 3,
    "RLIMIT_CORE": 4,
    "RLIMIT_RSS": 5,
    "RLIMIT_NPROC": 6,
    "RLIMIT_NOFILE": 7,
    "RLIMIT_MEMLOCK": 8,
    "RLIMIT_AS": 9,
    "RLIMIT_LOCKS": 10,
    "RLIMIT_SIGPENDING": 11,
    "RLIMIT_MSGQUEUE": 12,
    "RLIMIT_NICE": 13,
    "RLIMIT_RTPRIO": 14,
    "RLIMIT_RTTIME": 15,
}

# ioprio_set(2): I/O scheduling class name -> class number.
IOPRIO_CLASSES = {
    "IOPRIO_CLASS_RT": 1,
    "IOPRIO_CLASS_BE": 2,
    "IOPRIO_CLASS_IDLE": 3,
}

# sched(7) / sched_setattr(2): policy name -> policy number.
SCHED_POLICIES = {
    "SCHED_OTHER": 0,
    "SCHED_FIFO": 1,
    "SCHED_RR": 2,
    "SCHED_BATCH": 3,
    "SCHED_ISO": 4,
    "SCHED_IDLE": 5,
    "SCHED_DEADLINE": 6,
}

# sched_setattr(2): sched_attr.sched_flags bits (linux/sched.h).
SCHED_FLAGS = {
    "SCHED_FLAG_RESET_ON_FORK": 0x01,
    "SCHED_FLAG_RECLAIM": 0x02,
    "SCHED_FLAG_DL_OVERRUN": 0x04,
    "SCHED_FLAG_KEEP_POLICY": 0x08,
    "SCHED_FLAG_KEEP_PARAMS": 0x10,
    "SCHED_FLAG_UTIL_CLAMP_MIN": 0x20,
    "SCHED_FLAG_UTIL_CLAMP_MAX": 0x40,
}

# config-linux.md "Namespaces": the namespace types, shared with the syscall
# layer's table of CLONE_NEW* flags so the two can never disagree.
NAMESPACE_TYPES = tuple(sorted(_NAMESPACES))

# config-linux.md "Rootfs Mount Propagation" (plus runc's recursive forms):
# value -> (mount(2) propagation flag name, recursive).
ROOTFS_PROPAGATIONS = {
    "shared": ("MS_SHARED", False),
    "slave": ("MS_SLAVE", False),
    "private": ("MS_PRIVATE", False),
    "unbindable": ("MS_UNBINDABLE", False),
    "rshared": ("MS_SHARED", True),
    "rslave": ("MS_SLAVE", True),
    "rprivate": ("MS_PRIVATE", True),
    "runbindable": ("MS_UNBINDABLE", True),
}

# config.md "POSIX-platform Hooks": the lifecycle phases, in the order they run.
HOOK_PHASES = ("prestart", "createRuntime", "createContainer", "startContainer",
               "poststart", "poststop")

# config-linux.md "Offset for Time Namespace": the clocks time_namespaces(7) can offset.
TIME_OFFSET_CLOCKS = ("boottime", "monotonic")

# config-linux.md "Devices": mknod(1) type letters.
DEVICE_TYPES = ("c", "b", "u", "p")

# config-linux.md "Allowed Device list": the cgroup device types.
CGROUP_DEVICE_TYPES = ("a", "c", "b")

# config-linux.md "Seccomp" (libseccomp seccomp.h names).
SECCOMP_ACTIONS = (
    "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW",
    "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
)
# Only these actions carry a return value (seccomp(2): SECCOMP_RET_DATA).
SECCOMP_ACTIONS_WITH_ERRNO = ("SCMP_ACT_ERRNO", "SCMP_ACT_TRACE")
SECCOMP_ARCHES = (
    "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64",
    "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
    "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
    "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
    "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB",
)
# seccomp(2) SECCOMP_SET_MODE_FILTER flags: name -> bit.
SECCOMP_FILTER_FLAGS = {
    "SECCOMP_FILTER_FLAG_TSYNC": 1 << 0,
    "SECCOMP_FILTER_FLAG_LOG": 1 << 1,
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW": 1 << 2,
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV": 1 << 5,
}
SECCOMP_OPERATORS = (
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
    "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
)
# seccomp_data.args has six entries (seccomp(2)).
SECCOMP_MAX_ARG_INDEX = 5

# config-linux.md "Personality": the execution domains (personality(2)).
PERSONALITY_DOMAINS = {"LINUX": 0x0000, "LINUX32": 0x0008}

# set_mempolicy(2): mode name -> mode number, and the mode flags.
MEMORY_POLICY_MODES = {
    "MPOL_DEFAULT": 0,
    "MPOL_PREFERRED": 1,
    "MPOL_BIND": 2,
    "MPOL_INTERLEAVE": 3,
    "MPOL_LOCAL": 4,
    "MPOL_PREFERRED_MANY": 5,
    "MPOL_WEIGHTED_INTERLEAVE": 6,
}
MEMORY_POLICY_FLAGS = {
    "MPOL_F_NUMA_BALANCING": 1 << 13,
    "MPOL_F_RELATIVE_NODES": 1 << 14,
    "MPOL_F_STATIC_NODES": 1 << 15,
}
