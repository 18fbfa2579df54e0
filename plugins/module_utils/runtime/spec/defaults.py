# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A starting config.json, like the one ``runc spec`` writes.

The defaults give a conventional, unprivileged-looking container: root inside
the container with only a few harmless capabilities, no_new_privs, a read-only
rootfs, private pid/network/ipc/uts/mount/cgroup namespaces, the standard
kernel file systems of config-linux.md "Default Filesystems", every device
denied in the cgroup, and the /proc and /sys files that leak host information
or allow host changes masked or made read-only.
"""

from ..version import OCI_VERSION

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# Enough for ordinary programs (writing the audit log via login tools, signals
# to own processes, ports below 1024), nothing that can affect the host.
DEFAULT_CAPABILITIES = ("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE")

# Files that expose host kernel state or hardware and are not namespaced.
DEFAULT_MASKED_PATHS = (
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
)

# Files that would change host-wide settings if written.
DEFAULT_READONLY_PATHS = (
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
)

DEFAULT_NAMESPACES = ("pid", "network", "ipc", "uts", "mount", "cgroup")


def _mount(destination, fstype, source, options):
    return {"destination": destination, "type": fstype, "source": source,
            "options": list(options)}


def _default_mounts():
    return [
        _mount("/proc", "proc", "proc", ()),
        # strictatime: tmpfs /dev keeps real atimes for tools that look at them.
        _mount("/dev", "tmpfs", "tmpfs", ("nosuid", "strictatime", "mode=755", "size=65536k")),
        # newinstance: a private devpts, so the container sees only its own ptys;
        # gid=5 is the conventional "tty" group.
        _mount("/dev/pts", "devpts", "devpts",
               ("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5")),
        _mount("/dev/shm", "tmpfs", "shm",
               ("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")),
        _mount("/dev/mqueue", "mqueue", "mqueue", ("nosuid", "noexec", "nodev")),
        _mount("/sys", "sysfs", "sysfs", ("nosuid", "noexec", "nodev", "ro")),
        _mount("/sys/fs/cgroup", "cgroup", "cgroup",
               ("nosuid", "noexec", "nodev", "relatime", "ro")),
    ]


def default_config(args=None, terminal=True):
    """Return a new config.json dict; ``args`` replaces the default ["sh"]."""
    capabilities = list(DEFAULT_CAPABILITIES)
    return {
        "ociVersion": OCI_VERSION,
        "process": {
            "terminal": bool(terminal),
            "user": {"uid": 0, "gid": 0},
            "args": list(args) if args is not None else ["sh"],
            "env": ["PATH=" + DEFAULT_PATH, "TERM=xterm"],
            "cwd": "/",
            "capabilities": {
                "bounding": list(capabilities),
                "effective": list(capabilities),
                "permitted": list(capabilities),
            },
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": True},
        "hostname": "container",
        "mounts": _default_mounts(),
        "linux": {
            "resources": {"devices": [{"allow": False, "access": "rwm"}]},
            "namespaces": [{"type": kind} for kind in DEFAULT_NAMESPACES],
            "maskedPaths": list(DEFAULT_MASKED_PATHS),
            "readonlyPaths": list(DEFAULT_READONLY_PATHS),
        },
    }
