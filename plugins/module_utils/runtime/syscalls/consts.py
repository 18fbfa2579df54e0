# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel constants (values from the uapi headers, x86_64 and arm64 agree)."""

# mount(2) flags, <linux/mount.h>
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_SYNCHRONOUS = 0x10
MS_REMOUNT = 0x20
MS_MANDLOCK = 0x40
MS_DIRSYNC = 0x80
MS_NOSYMFOLLOW = 0x100
MS_NOATIME = 0x400
MS_NODIRATIME = 0x800
MS_BIND = 0x1000
MS_MOVE = 0x2000
MS_REC = 0x4000
MS_SILENT = 0x8000
MS_POSIXACL = 0x10000
MS_UNBINDABLE = 0x20000
MS_PRIVATE = 0x40000
MS_SLAVE = 0x80000
MS_SHARED = 0x100000
MS_RELATIME = 0x200000
MS_STRICTATIME = 0x1000000
MS_LAZYTIME = 0x2000000
MS_PROPAGATION = MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE

# umount2(2)
MNT_FORCE = 0x1
MNT_DETACH = 0x2

# mount_setattr(2): flags and struct mount_attr attributes (linux/mount.h)
AT_FDCWD = -100
AT_EMPTY_PATH = 0x1000
AT_RECURSIVE = 0x8000
# open_tree(2), move_mount(2)
OPEN_TREE_CLONE = 0x1
OPEN_TREE_CLOEXEC = 0o2000000
MOVE_MOUNT_F_EMPTY_PATH = 0x4
MOVE_MOUNT_T_SYMLINKS = 0x10
MOUNT_ATTR_RDONLY = 0x1
MOUNT_ATTR_NOSUID = 0x2
MOUNT_ATTR_NODEV = 0x4
MOUNT_ATTR_NOEXEC = 0x8
MOUNT_ATTR__ATIME = 0x70
MOUNT_ATTR_RELATIME = 0x0
MOUNT_ATTR_NOATIME = 0x10
MOUNT_ATTR_STRICTATIME = 0x20
MOUNT_ATTR_NODIRATIME = 0x80
MOUNT_ATTR_NOSYMFOLLOW = 0x200000
MNT_EXPIRE = 0x4
UMOUNT_NOFOLLOW = 0x8

# clone(2) / unshare(2) / setns(2), <linux/sched.h>
CLONE_NEWTIME = 0x00000080
CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
# clone3(2): the child starts in the cgroup2 directory given by a fd (Linux 5.7)
CLONE_INTO_CGROUP = 0x200000000

# OCI namespace type -> (clone flag, /proc/PID/ns entry)
NAMESPACES = {
    "pid": (CLONE_NEWPID, "pid"),
    "network": (CLONE_NEWNET, "net"),
    "mount": (CLONE_NEWNS, "mnt"),
    "ipc": (CLONE_NEWIPC, "ipc"),
    "uts": (CLONE_NEWUTS, "uts"),
    "user": (CLONE_NEWUSER, "user"),
    "cgroup": (CLONE_NEWCGROUP, "cgroup"),
    "time": (CLONE_NEWTIME, "time"),
}

# prctl(2), <linux/prctl.h>
PR_SET_PDEATHSIG = 1
PR_GET_DUMPABLE = 3
PR_SET_DUMPABLE = 4
PR_SET_KEEPCAPS = 8
PR_SET_NAME = 15
PR_CAPBSET_READ = 23
PR_CAPBSET_DROP = 24
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
PR_GET_NO_NEW_PRIVS = 39
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_IS_SET = 1
PR_CAP_AMBIENT_RAISE = 2
PR_CAP_AMBIENT_LOWER = 3
PR_CAP_AMBIENT_CLEAR_ALL = 4

# capget/capset, <linux/capability.h>
LINUX_CAPABILITY_VERSION_3 = 0x20080522

# openat2(2) resolve flags, <linux/openat2.h>
RESOLVE_NO_XDEV = 0x01
RESOLVE_NO_MAGICLINKS = 0x02
RESOLVE_NO_SYMLINKS = 0x04
RESOLVE_BENEATH = 0x08
RESOLVE_IN_ROOT = 0x10

# close_range(2)
CLOSE_RANGE_CLOEXEC = 0x4

# seccomp(2) / prctl(2) PR_SET_SECCOMP, <linux/seccomp.h>
PR_GET_SECCOMP = 21
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_SET_MODE_FILTER = 1

# personality(2), <linux/personality.h>: execution domains of linux.personality
PER_LINUX = 0x0000
PER_LINUX32 = 0x0008

# getrlimit(2) / prlimit(2): the kernel's RLIM_INFINITY is (rlim_t)-1; the
# syscall layer speaks Python's resource module's spelling of it, -1.
RLIM_INFINITY = -1
RLIMIT_NOFILE = 7
