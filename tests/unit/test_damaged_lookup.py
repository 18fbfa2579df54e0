# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What delete --force of a damaged container trusts (lifecycle/damaged.py), without root."""
import os
import subprocess
import sys

import pytest

from runtime.lifecycle.damaged import find_monitor, majority_cgroup_path

HYBRID = ["12:pids:/oci/web", "11:memory:/oci/web", "10:cpu,cpuacct:/oci/web", "1:name=systemd:/oci/web",
          "0::/oci/web"]


@pytest.mark.parametrize("lines,expected", [
    (HYBRID, "oci/web"),
    (["0::/machine/web"], "machine/web"),
    # The container moved itself to a child cgroup in one hierarchy: most still agree.
    (HYBRID[:1] + ["11:memory:/oci/web/inner"] + HYBRID[2:], "oci/web"),
    (["0::/", "1:name=systemd:/"], None),
    ([], None),
])
def test_majority_cgroup_path(lines, expected):
    assert majority_cgroup_path(lines) == expected


def test_find_monitor_needs_the_open_directory(tmp_path):
    # A process with the monitor's command line, but without the container
    # directory open, is not the monitor; one that holds it open is.
    container = tmp_path / "c1"
    container.mkdir()
    script = tmp_path / ".libexec" / "monitor-x" / "monitor.py"
    script.parent.mkdir(parents=True)
    script.write_text("import os, sys, time\n"
                      "fd = os.open(sys.argv[1], os.O_RDONLY) if os.environ.get('HOLD') else None\n"
                      "print('ready', flush=True)\n"
                      "time.sleep(30)\n")
    argv = [sys.executable, "-I", "-S", "-B", str(script), str(container), str(os.getpid())]
    for hold, expected_monitor in (("", False), ("1", True)):
        env = dict(os.environ, HOLD=hold)
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, env=env, universal_newlines=True)
        try:
            assert proc.stdout.readline().strip() == "ready"
            monitor, init = find_monitor(str(container), "c1")
            assert (monitor == proc.pid) is expected_monitor
            assert init is None  # the named "init" (this test) is not the monitor's child
        finally:
            proc.kill()
            proc.wait()
