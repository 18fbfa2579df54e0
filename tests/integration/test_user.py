# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""config.md process.user: uid, gid, additionalGids and umask."""
from __future__ import absolute_import, division, print_function

import os
import stat

import itest_helpers as H


def run_ok(oci, config):
    result = oci.rt.run(oci.new_id(), oci.bundle(config))
    assert result.returncode == 0, result
    return result.stdout


def test_uid_gid_groups_umask(oci):
    config = oci.config(["sh", "-c", "id -u; id -g; id -G; umask; id -un; touch /out/made"])
    config["process"]["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [10, 20],
                                 "umask": 0o027}
    lines = run_ok(oci, config).splitlines()
    assert lines[0] == "1000"
    assert lines[1] == "1000"
    assert set(lines[2].split()) == {"1000", "10", "20"}
    assert lines[3] == "0027"
    assert lines[4] == "user"
    info = os.stat(oci.out_file("made"))
    assert (info.st_uid, info.st_gid) == (1000, 1000)
    assert stat.S_IMODE(info.st_mode) == 0o640


def test_supplementary_groups_in_proc(oci):
    config = oci.config(["cat", "/proc/self/status"])
    config["process"]["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [10, 20]}
    fields = H.parse_status_text(run_ok(oci, config))
    assert fields["Uid"].split() == ["1000"] * 4
    assert fields["Gid"].split() == ["1000"] * 4
    assert set(fields["Groups"].split()) == {"10", "20"}


def test_root_with_other_gid(oci):
    config = oci.config(["sh", "-c", "id -u; id -g; touch /out/rootfile"])
    config["process"]["user"] = {"uid": 0, "gid": 20}
    assert run_ok(oci, config).split() == ["0", "20"]
    info = os.stat(oci.out_file("rootfile"))
    assert (info.st_uid, info.st_gid) == (0, 20)


def test_uid_not_in_passwd(oci):
    config = oci.config(["sh", "-c", "id -u; id -g"])
    config["process"]["user"] = {"uid": 4242, "gid": 4343}
    assert run_ok(oci, config).split() == ["4242", "4343"]


def test_non_root_cannot_write_root_owned(oci):
    config = oci.config(["sh", "-c", "touch /out/sub/x 2>&1 || echo denied"])
    os.makedirs(oci.out_file("sub"))
    os.chmod(oci.out_file("sub"), 0o755)
    config["process"]["user"] = {"uid": 1000, "gid": 1000}
    assert run_ok(oci, config).split()[-1] == "denied"
    assert not os.path.exists(oci.out_file("sub/x"))
