# -*- coding: utf-8 -*-
"""A cgroupfs simulated in a temporary directory, for the cgroups unit tests.

It behaves like the kernel where the manager depends on it: mkdir fills a
new v1 cgroup with its parent's control files (cpuset values empty), a v2
cgroup gets the files of the controllers its parent enabled in
cgroup.subtree_control (and existing children gain them when a controller is
enabled), rmdir ignores control files but fails with EBUSY while processes
or child cgroups remain, and cgroup.procs collects pids. Every write is
recorded in ``writes`` as (path relative to the mount root, value).
"""
import errno
import os
import shutil

from runtime.cgroups.files import CgroupFiles

V1_FILES = {
    "cpu": ["cpu.shares", "cpu.cfs_period_us", "cpu.cfs_quota_us", "cpu.cfs_burst_us",
            "cpu.rt_period_us", "cpu.rt_runtime_us", "cpu.idle"],
    "cpuacct": ["cpuacct.usage"],
    "cpuset": ["cpuset.cpus", "cpuset.mems"],
    # no memory.kmem.limit_in_bytes: a kernel without kernel memory limits
    "memory": ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes",
               "memory.soft_limit_in_bytes", "memory.swappiness", "memory.oom_control",
               "memory.use_hierarchy", "memory.kmem.tcp.limit_in_bytes"],
    "devices": ["devices.allow", "devices.deny", "devices.list"],
    "freezer": ["freezer.state"],
    "blkio": ["blkio.weight", "blkio.leaf_weight", "blkio.weight_device",
              "blkio.leaf_weight_device", "blkio.throttle.read_bps_device",
              "blkio.throttle.write_bps_device", "blkio.throttle.read_iops_device",
              "blkio.throttle.write_iops_device"],
    "pids": ["pids.max"],
    "hugetlb": ["hugetlb.2MB.limit_in_bytes", "hugetlb.1GB.limit_in_bytes"],
    "net_cls": ["net_cls.classid"],
    "net_prio": ["net_prio.ifpriomap"],
}
V2_FILES = {
    "cpu": ["cpu.weight", "cpu.max", "cpu.max.burst", "cpu.idle"],
    "cpuset": ["cpuset.cpus", "cpuset.mems"],
    "memory": ["memory.max", "memory.low", "memory.high", "memory.swap.max"],
    "io": ["io.weight", "io.max"],
    "pids": ["pids.max"],
    "hugetlb": ["hugetlb.2MB.max", "hugetlb.1GB.max"],
    "rdma": ["rdma.max"],
}
CORE_V1 = ["cgroup.procs", "tasks"]
CORE_V2 = ["cgroup.procs", "cgroup.controllers", "cgroup.subtree_control", "cgroup.max.depth"]

LEGACY_V1 = [("cpu,cpuacct", "cpu,cpuacct"), ("cpuset", "cpuset"), ("memory", "memory"),
             ("devices", "devices"), ("freezer", "freezer"), ("blkio", "blkio"),
             ("pids", "pids"), ("hugetlb", "hugetlb"), ("net_cls,net_prio", "net_cls,net_prio"),
             ("systemd", "name=systemd")]
# like the test host: cpu and cpuacct apart, no hugetlb/net_* in v1
HYBRID_V1 = [("cpu", "cpu"), ("cpuacct", "cpuacct"), ("cpuset", "cpuset"), ("memory", "memory"),
             ("devices", "devices"), ("freezer", "freezer"), ("blkio", "blkio"),
             ("pids", "pids"), ("systemd", "name=systemd")]


def _touch(path, content=""):
    with open(path, "w") as handle:
        handle.write(content)


class SimFiles(CgroupFiles):
    def __init__(self, mount_root, v2_roots=()):
        self.mount_root = mount_root
        self.v2_roots = [os.path.normpath(p) for p in v2_roots]
        self.writes = []
        self.fail = {}  # file name -> errno to raise on write
        self.next_self_pid = 4242

    def rel(self, path):
        return os.path.relpath(path, self.mount_root)

    def written(self, suffix=""):
        return [(p, v) for p, v in self.writes if p.endswith(suffix)]

    def _v2_root(self, path):
        for root in self.v2_roots:
            if path == root or path.startswith(root + "/"):
                return root
        return None

    def _add_v2_files(self, directory, controllers):
        for controller in controllers:
            for name in V2_FILES.get(controller, []):
                target = os.path.join(directory, name)
                if not os.path.exists(target):
                    _touch(target)

    def mkdir(self, path):
        os.mkdir(path)
        parent = os.path.dirname(path)
        if self._v2_root(path):
            enabled = self.read(os.path.join(parent, "cgroup.subtree_control")).split()
            for name in CORE_V2:
                _touch(os.path.join(path, name))
            _touch(os.path.join(path, "cgroup.controllers"), " ".join(enabled))
            self._add_v2_files(path, enabled)
            return
        for name in os.listdir(parent):
            source = os.path.join(parent, name)
            if os.path.isfile(source):
                _touch(os.path.join(path, name))

    def write(self, path, value):
        self.writes.append((self.rel(path), value))
        name = os.path.basename(path)
        if name in self.fail:
            raise OSError(self.fail[name], os.strerror(self.fail[name]))
        if name == "cgroup.subtree_control":
            current = self.read(path).split()
            for token in value.split():
                if token[0] == "+" and token[1:] not in current:
                    current.append(token[1:])
            CgroupFiles.write(self, path, " ".join(current))
            directory = os.path.dirname(path)
            for child in self.subdirs(directory):
                self._add_v2_files(os.path.join(directory, child), current)
                _touch(os.path.join(directory, child, "cgroup.controllers"), " ".join(current))
            return
        if name == "cgroup.procs":
            pid = int(value) or self.next_self_pid
            _touch(path, self.read(path) + "%d\n" % pid)
            return
        CgroupFiles.write(self, path, value)

    def rmdir(self, path):
        if not os.path.isdir(path):
            raise OSError(errno.ENOENT, os.strerror(errno.ENOENT))
        procs = os.path.join(path, "cgroup.procs")
        if self.subdirs(path) or (os.path.exists(procs) and self.read(procs).strip()):
            raise OSError(errno.EBUSY, os.strerror(errno.EBUSY))
        shutil.rmtree(path)


class SimHost(object):
    """mount_root, mountinfo text and SimFiles for one simulated host."""

    def __init__(self, tmp, mode, v2_controllers=None):
        self.mount_root = os.path.join(str(tmp), "cgroup")
        os.mkdir(self.mount_root)
        lines = ["20 1 0:20 / %s rw,nosuid - tmpfs tmpfs rw,mode=755" % self.mount_root]
        v2_roots = []
        if mode == "unified":
            v2_roots.append(self.mount_root)
            self._v2_root(self.mount_root, v2_controllers
                          or ["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma"])
            lines = ["21 1 0:21 / %s rw,nosuid - cgroup2 cgroup2 rw,nsdelegate"
                     % self.mount_root]
        else:
            layout = LEGACY_V1 if mode == "legacy" else HYBRID_V1
            for index, (dirname, options) in enumerate(layout):
                point = os.path.join(self.mount_root, dirname)
                os.mkdir(point)
                for name in CORE_V1:
                    _touch(os.path.join(point, name))
                for controller in options.split(","):
                    for name in V1_FILES.get(controller, []):
                        _touch(os.path.join(point, name))
                if "cpuset" in options:
                    _touch(os.path.join(point, "cpuset.cpus"), "0-3\n")
                    _touch(os.path.join(point, "cpuset.mems"), "0\n")
                lines.append("%d 20 0:%d / %s rw,nosuid,nodev,noexec - cgroup cgroup rw,%s"
                             % (30 + index, 30 + index, point, options))
            if mode == "hybrid":
                point = os.path.join(self.mount_root, "unified")
                os.mkdir(point)
                v2_roots.append(point)
                self._v2_root(point, v2_controllers or ["hugetlb"])
                lines.append("50 20 0:50 / %s rw,nosuid - cgroup2 cgroup2 rw" % point)
        lines.append("60 1 0:60 / /proc rw - proc proc rw")
        self.mountinfo = "\n".join(lines) + "\n"
        self.files = SimFiles(self.mount_root, v2_roots)

    @staticmethod
    def _v2_root(point, controllers):
        for name in CORE_V2:
            _touch(os.path.join(point, name))
        _touch(os.path.join(point, "cgroup.controllers"), " ".join(controllers) + "\n")

    def path(self, *parts):
        return os.path.join(self.mount_root, *parts)

    def manager(self, container_id="ctr1", cgroups_path=None, syscalls=None, state_root=None, claims_dir=None):
        """A planned manager; with ``state_root`` it claims its cgroup in ``claims_dir`` (cgroups/owner.py)."""
        from runtime.cgroups.manager import CgroupManager
        extra = {"state_root": state_root, "claims_dir": claims_dir} if state_root else {}
        return CgroupManager.plan(container_id, cgroups_path, mount_root=self.mount_root,
                                  mountinfo=self.mountinfo, files=self.files, syscalls=syscalls, **extra)
