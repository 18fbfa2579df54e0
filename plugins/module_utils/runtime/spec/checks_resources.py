# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks for config.json ``linux.resources``: the container's cgroup limits.

Each member maps to one cgroup controller (config-linux.md "Control groups"):
devices, memory, cpu/cpuset, pids, blkio/io, hugetlb, net_cls/net_prio, rdma,
plus ``unified``, raw cgroup v2 files. Values end up written to cgroup files,
so besides their types the checks enforce the ranges the kernel accepts.
``validate_resources`` is also meant for ``update``, which takes the same object.
"""


from .checks_common import (
    boolean, check_object, child, choice, cpu_list, fail, file_name_key, int64,
    int_range, INT64_MAX, item, kernel_string, list_of, map_of, nonempty_string,
    object_of, section, string, uint32, uint64,
)
from .names import CGROUP_DEVICE_TYPES


def _device_access(value, path):
    # cgroup-v1/devices.txt: access is a combination of r (read), w (write), m (mknod).
    string(value, path)
    if value == "" or set(value) - set("rwm"):
        fail(path, "must be a non-empty combination of r, w and m, got %r" % (value,))


# In the device allow list, -1 is the wildcard that runc-generated configs use
# for "*"; leaving major/minor out means the same.
_WILDCARD_DEVICE_NUMBER = int_range(-1, INT64_MAX, "-1 (any) or a non-negative int64")
_DEVICE_RULE = object_of({
    "allow": boolean,
    "type": choice(CGROUP_DEVICE_TYPES),
    "major": _WILDCARD_DEVICE_NUMBER,
    "minor": _WILDCARD_DEVICE_NUMBER,
    "access": _device_access,
}, required=("allow",))


def _check_memory(value, path):
    check_object(value, path, {
        "limit": int64,
        "reservation": int64,
        "swap": int64,
        "kernel": int64,
        "kernelTCP": int64,
        # sysctl vm.swappiness and memory.swappiness range (memory.txt).
        "swappiness": int_range(0, 100),
        "disableOOMKiller": boolean,
        "useHierarchy": boolean,
        "checkBeforeUpdate": boolean,
    })
    # memory.memsw.limit_in_bytes counts memory plus swap, so it cannot be
    # below the memory limit (the kernel answers EINVAL).
    limit, swap = value.get("limit", 0), value.get("swap", 0)
    if limit > 0 and swap > 0 and swap < limit:
        fail(child(path, "swap"), "must be at least memory.limit (%d): swap counts "
             "memory plus swap, got %d" % (limit, swap))


def _check_cpu(value, path):
    check_object(value, path, {
        "shares": uint64,
        "quota": int64,
        "burst": uint64,
        "period": uint64,
        "realtimeRuntime": int64,
        "realtimePeriod": uint64,
        "cpus": cpu_list,
        "mems": cpu_list,
        "idle": int64,
    })
    # config-linux.md: a positive quota MUST be no smaller than burst.
    quota, burst = value.get("quota", 0), value.get("burst")
    if burst is not None and quota > 0 and burst > quota:
        fail(child(path, "burst"), "must not be larger than cpu.quota (%d), got %d"
             % (quota, burst))


# cgroup-v1/blkio-controller.txt: weights range from 10 to 1000.
_BLKIO_WEIGHT = int_range(10, 1000)
_DEVICE_NUMBER = int_range(0, INT64_MAX, "a non-negative int64")
_WEIGHT_DEVICE = object_of({
    "major": _DEVICE_NUMBER,
    "minor": _DEVICE_NUMBER,
    "weight": _BLKIO_WEIGHT,
    "leafWeight": _BLKIO_WEIGHT,
}, required=("major", "minor"))
_THROTTLE_DEVICE_LIST = list_of(object_of({
    "major": _DEVICE_NUMBER,
    "minor": _DEVICE_NUMBER,
    "rate": uint64,
}, required=("major", "minor", "rate")))


def _check_weight_devices(value, path):
    list_of(_WEIGHT_DEVICE)(value, path)
    for index, device in enumerate(value):
        # config-linux.md: at least one of weight or leafWeight MUST be given.
        if "weight" not in device and "leafWeight" not in device:
            fail(item(path, index), "must set weight or leafWeight")


_BLOCK_IO = object_of({
    "weight": _BLKIO_WEIGHT,
    "leafWeight": _BLKIO_WEIGHT,
    "weightDevice": _check_weight_devices,
    "throttleReadBpsDevice": _THROTTLE_DEVICE_LIST,
    "throttleWriteBpsDevice": _THROTTLE_DEVICE_LIST,
    "throttleReadIOPSDevice": _THROTTLE_DEVICE_LIST,
    "throttleWriteIOPSDevice": _THROTTLE_DEVICE_LIST,
})


def valid_page_size(value):
    """config-linux.md "Huge page limits": <size><unit-prefix>B, as in hugetlb.2MB.limit_in_bytes.

    [1-9][0-9]*[KMGTP]?B (2MB, 1GB, 64KB), checked by hand, not with re:
    re imports enum, ~5 ms of every create.
    """
    number = value[:-1] if value.endswith("B") else ""
    if number[-1:] in ("K", "M", "G", "T", "P"):
        number = number[:-1]
    return number[:1] in ("1", "2", "3", "4", "5", "6", "7", "8", "9") and all(char in "0123456789" for char in number)


def _page_size(value, path):
    string(value, path)
    if not valid_page_size(value):
        fail(path, "must be a size like \"2MB\" or \"1GB\", got %r" % (value,))


_HUGEPAGE_LIMITS = list_of(object_of({"pageSize": _page_size, "limit": uint64},
                                     required=("pageSize", "limit")))

_NETWORK = object_of({
    "classID": uint32,
    "priorities": list_of(object_of({"name": nonempty_string, "priority": uint32},
                                    required=("name", "priority"))),
})


def _rdma_limits(value, path):
    check_object(value, path, {"hcaHandles": uint32, "hcaObjects": uint32})
    # config-linux.md: at least one of hcaHandles or hcaObjects MUST be given.
    if "hcaHandles" not in value and "hcaObjects" not in value:
        fail(path, "must set hcaHandles or hcaObjects")


_RESOURCE_MEMBERS = {
    "devices": list_of(_DEVICE_RULE),
    "memory": _check_memory,
    "cpu": _check_cpu,
    # pids.max: a positive limit, 0 or -1 for "max" in runc's convention.
    "pids": object_of({"limit": int64}),
    "blockIO": _BLOCK_IO,
    "hugepageLimits": _HUGEPAGE_LIMITS,
    "network": _NETWORK,
    "rdma": map_of(_rdma_limits, file_name_key),
    # Keys are cgroup v2 file names written inside the container's cgroup.
    "unified": map_of(kernel_string, file_name_key),
}


def validate_resources(resources, path="linux.resources"):
    """Check a ``resources`` object (config.json or the input of ``update``)."""
    check_object(resources, path, _RESOURCE_MEMBERS)


def check_resources(config, for_create):
    linux = section(config, "linux")
    if "resources" in linux:
        validate_resources(linux["resources"], "linux.resources")
