# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""config.md process.rlimits, seen with ulimit and /proc/self/limits."""
from __future__ import absolute_import, division, print_function

from host_features import effective_capability, hard_rlimits, requires


def run_ok(oci, config):
    result = oci.rt.run(oci.new_id(), oci.bundle(config))
    assert result.returncode == 0, result
    return result.stdout


def limits_table(text):
    """/proc/PID/limits -> {"Max open files": (soft, hard)}."""
    table = {}
    for line in text.splitlines()[1:]:
        name = line[:26].strip()
        values = line[26:].split()
        table[name] = (values[0], values[1])
    return table


def test_nofile_with_ulimit(oci):
    config = oci.config(["sh", "-c", "ulimit -n; ulimit -Hn"])
    config["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1000}]
    assert run_ok(oci, config).split() == ["512", "1000"]


@requires(hard_rlimits(NOFILE=4096, NPROC=400, CORE=1048576, MEMLOCK=131072))
def test_several_rlimits(oci):
    config = oci.config(["cat", "/proc/self/limits"])
    config["process"]["rlimits"] = [
        {"type": "RLIMIT_NOFILE", "soft": 2048, "hard": 4096},
        {"type": "RLIMIT_NPROC", "soft": 300, "hard": 400},
        {"type": "RLIMIT_CORE", "soft": 0, "hard": 1048576},
        {"type": "RLIMIT_MEMLOCK", "soft": 65536, "hard": 131072},
    ]
    table = limits_table(run_ok(oci, config))
    assert table["Max open files"] == ("2048", "4096")
    assert table["Max processes"] == ("300", "400")
    assert table["Max core file size"] == ("0", "1048576")
    assert table["Max locked memory"] == ("65536", "131072")


# Raising a hard limit needs CAP_SYS_RESOURCE, which the runtime has while it
# sets up the container (when the test process has it), not the container process itself.
@requires(effective_capability("CAP_SYS_RESOURCE"))
def test_hard_limit_raised_above_callers(oci):
    with open("/proc/self/limits") as handle:
        mine = limits_table(handle.read())["Max open files"][1]
    target = min(int(mine) * 2, 1048576) if mine != "unlimited" else 1048576
    config = oci.config(["sh", "-c", "ulimit -Hn"])
    config["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": target}]
    assert run_ok(oci, config).strip() == str(target)
