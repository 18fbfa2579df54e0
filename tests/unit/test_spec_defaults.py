# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""default_config: a valid, runc-spec-like starting point."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from runtime.version import OCI_VERSION
from runtime.spec.defaults import default_config
from runtime.spec.validate import validate_config

DEFAULT_CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]


def test_default_config_is_valid_and_json():
    config = default_config()
    validate_config(config)
    assert json.loads(json.dumps(config)) == config


def test_process_defaults():
    process = default_config()["process"]
    assert process["terminal"] is True
    assert process["args"] == ["sh"]
    assert process["cwd"] == "/"
    assert process["user"] == {"uid": 0, "gid": 0}
    assert process["env"][0].startswith("PATH=/usr/local/sbin:")
    assert "TERM=xterm" in process["env"]
    assert process["capabilities"] == {"bounding": DEFAULT_CAPS, "effective": DEFAULT_CAPS,
                                       "permitted": DEFAULT_CAPS}
    assert process["rlimits"] == [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]
    assert process["noNewPrivileges"] is True


def test_arguments():
    config = default_config(args=("/bin/echo", "hi"), terminal=False)
    assert config["process"]["args"] == ["/bin/echo", "hi"]
    assert config["process"]["terminal"] is False
    validate_config(config)


def test_top_level_and_linux_defaults():
    config = default_config()
    assert config["ociVersion"] == OCI_VERSION
    assert config["root"] == {"path": "rootfs", "readonly": True}
    assert config["hostname"] == "container"
    linux = config["linux"]
    assert [ns["type"] for ns in linux["namespaces"]] == [
        "pid", "network", "ipc", "uts", "mount", "cgroup"]
    assert all("path" not in ns for ns in linux["namespaces"])
    assert linux["resources"] == {"devices": [{"allow": False, "access": "rwm"}]}
    assert "/proc/kcore" in linux["maskedPaths"]
    assert "/sys/firmware" in linux["maskedPaths"]
    assert linux["readonlyPaths"] == ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                      "/proc/sysrq-trigger"]


def test_mounts():
    mounts = dict((m["destination"], m) for m in default_config()["mounts"])
    assert list(mounts) == ["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys",
                            "/sys/fs/cgroup"]
    assert mounts["/dev"]["options"] == ["nosuid", "strictatime", "mode=755", "size=65536k"]
    assert mounts["/dev/pts"]["type"] == "devpts"
    assert "newinstance" in mounts["/dev/pts"]["options"]
    assert "gid=5" in mounts["/dev/pts"]["options"]
    assert mounts["/dev/shm"]["options"] == ["nosuid", "noexec", "nodev", "mode=1777",
                                             "size=65536k"]
    assert mounts["/sys"]["options"][-1] == "ro"
    assert mounts["/sys/fs/cgroup"]["type"] == "cgroup"
    assert "ro" in mounts["/sys/fs/cgroup"]["options"]


def test_each_call_returns_a_fresh_copy():
    first = default_config()
    first["process"]["capabilities"]["bounding"].append("CAP_SYS_ADMIN")
    first["mounts"][1]["options"].append("ro")
    first["linux"]["maskedPaths"].clear()
    second = default_config()
    assert second["process"]["capabilities"]["bounding"] == DEFAULT_CAPS
    assert "ro" not in second["mounts"][1]["options"]
    assert second["linux"]["maskedPaths"]
    # The capability sets do not share one list either.
    second["process"]["capabilities"]["effective"].append("CAP_CHOWN")
    assert second["process"]["capabilities"]["permitted"] == DEFAULT_CAPS
