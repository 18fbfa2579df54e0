# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""config-linux.md "Rootfs Mount Propagation": the flag lands on the container's "/".

mount_namespaces(7): an unbindable mount cannot be the source of a bind
mount, so the value can only be applied once the rootfs has been bound and
pivoted into; the host's mounts keep their own propagation.
"""
from __future__ import absolute_import, division, print_function

import pytest

import itest_helpers as H
from hostview import HostView


def root_line(mountinfo):
    """The mountinfo entry of "/" (the last one: the container's root)."""
    found = None
    for line in mountinfo.splitlines():
        fields = line.split()
        if len(fields) > 4 and fields[4] == "/":
            found = line
    return found


def optional_fields(line):
    fields = line.split()
    return fields[6:fields.index("-")]


@pytest.mark.parametrize("value,expected", [
    ("unbindable", ["unbindable"]),
    ("runbindable", ["unbindable"]),
    ("private", []),
])
def test_root_propagation_applied_after_the_switch(oci, value, expected):
    host = HostView([oci.tmp, oci.rootfs])
    config = oci.config(["cat", "/proc/self/mountinfo"], out=False)
    config["linux"]["rootfsPropagation"] = value
    result = oci.rt.run(oci.new_id(), oci.bundle(config))
    assert result.returncode == 0, result
    line = root_line(result.stdout)
    assert line, result.stdout
    assert optional_fields(line) == expected, line
    host.assert_unchanged()


def test_runbindable_covers_the_mounts_below_root(oci):
    config = oci.config(["cat", "/proc/self/mountinfo"], out=False)
    config["linux"]["rootfsPropagation"] = "runbindable"
    result = oci.rt.run(oci.new_id(), oci.bundle(config))
    assert result.returncode == 0, result
    lines = [line for line in result.stdout.splitlines() if line.split()[4] in ("/", "/proc", "/tmp")]
    assert len(lines) >= 3, result.stdout
    for line in lines:
        assert "unbindable" in optional_fields(line), line


@pytest.mark.parametrize("value,outcome", [("unbindable", "refused"), ("rprivate", "bound")])
def test_unbindable_root_refuses_a_bind_inside(oci, value, outcome):
    """What the flag is for: the container cannot bind its root elsewhere."""
    config = oci.config(["sh", "-c", "mount --bind / /mnt/a && echo bound || echo refused"], out=False)
    caps = H.DEFAULT_CAPS + ["CAP_SYS_ADMIN"]
    config["process"]["capabilities"] = dict((key, list(caps)) for key in ("bounding", "effective", "permitted"))
    config["linux"]["rootfsPropagation"] = value
    result = oci.rt.run(oci.new_id(), oci.bundle(config))
    assert result.returncode == 0, result
    assert result.stdout.split()[-1] == outcome, result
