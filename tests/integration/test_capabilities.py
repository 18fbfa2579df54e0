# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""config.md process.capabilities, read back from /proc/self/status of the
container process (capabilities(7) execve rules apply: for uid 0 the
permitted and effective sets after exec are the bounding set)."""
from __future__ import absolute_import, division, print_function

import itest_helpers as H

CAP_FIELDS = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")


def container_caps(oci, config):
    result = oci.rt.run(oci.new_id(), oci.bundle(config))
    assert result.returncode == 0, result
    fields = H.parse_status_text(result.stdout)
    return {name: int(fields[name], 16) for name in CAP_FIELDS}


def set_caps(config, bounding, effective, permitted, inheritable, ambient):
    config["process"]["capabilities"] = {
        "bounding": bounding, "effective": effective, "permitted": permitted,
        "inheritable": inheritable, "ambient": ambient}


def test_non_root_capability_sets(oci):
    # For a non-root user without file capabilities only the ambient set
    # survives execve into permitted/effective; inheritable and bounding
    # are kept as configured.
    bounding = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID", "CAP_AUDIT_WRITE"]
    kept = ["CAP_KILL", "CAP_NET_BIND_SERVICE"]
    config = oci.config(["cat", "/proc/self/status"])
    config["process"]["user"] = {"uid": 1000, "gid": 1000}
    set_caps(config, bounding, kept, kept, kept, kept)
    caps = container_caps(oci, config)
    assert caps["CapBnd"] == H.cap_mask(bounding)
    for field in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
        assert caps[field] == H.cap_mask(kept), (field, hex(caps[field]))


def test_root_capability_sets(oci):
    bounding = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_KILL", "CAP_SYS_CHROOT"]
    config = oci.config(["cat", "/proc/self/status"])
    set_caps(config, bounding, bounding, bounding, [], [])
    caps = container_caps(oci, config)
    assert caps["CapBnd"] == H.cap_mask(bounding)
    assert caps["CapEff"] == H.cap_mask(bounding)
    assert caps["CapPrm"] == H.cap_mask(bounding)
    assert caps["CapInh"] == 0
    assert caps["CapAmb"] == 0


def test_default_caps_are_small(oci):
    caps = container_caps(oci, oci.config(["cat", "/proc/self/status"]))
    assert caps["CapBnd"] == H.cap_mask(H.DEFAULT_CAPS)
    assert caps["CapEff"] == H.cap_mask(H.DEFAULT_CAPS)
    assert caps["CapAmb"] == 0


def test_missing_capability_denies_operation(oci):
    script = "touch /tmp/f; chown 1000 /tmp/f 2>&1 && echo chowned || echo denied"
    without = oci.config(["sh", "-c", script])
    result = oci.rt.run(oci.new_id(), oci.bundle(without))
    assert result.stdout.split()[-1] == "denied", result

    with_chown = oci.config(["sh", "-c", script])
    caps = with_chown["process"]["capabilities"]
    for key in ("bounding", "effective", "permitted"):
        caps[key] = caps[key] + ["CAP_CHOWN"]
    result = oci.rt.run(oci.new_id(), oci.bundle(with_chown))
    assert result.stdout.split()[-1] == "chowned", result


def test_no_new_privileges(oci):
    for flag, expected in ((True, "1"), (False, "0")):
        config = oci.config(["cat", "/proc/self/status"])
        config["process"]["noNewPrivileges"] = flag
        result = oci.rt.run(oci.new_id(), oci.bundle(config))
        assert result.returncode == 0, result
        assert H.parse_status_text(result.stdout)["NoNewPrivs"] == expected
