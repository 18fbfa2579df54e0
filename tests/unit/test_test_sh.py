# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""scripts/test.sh's runner: every stage runs, one summary table, the exit
status, stage selection, and stages not run when packages or venv failed.

The script is sourced with stand-in stage functions (it runs main only when
executed), so nothing is installed and no suite runs here."""
from __future__ import absolute_import, division, print_function

import os
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Stand-ins print what the real stages print and leave a mark when they run.
PASSING = {
    "packages": 'echo "all installed: x y"',
    "venv": 'echo "requirements already installed"',
    "pytest": 'echo "....s"; echo "4 passed, 1 skipped in 0.52s"',
    "sanity": 'echo \'Running sanity test "pep8"\'; echo \'Running sanity test "pylint"\'',
    "integration": 'echo "Running oci_exec integration test role"; echo \'ok: [testhost] => {"msg": "SKIPPED memory_swap: x"}\'',
    "molecule": 'echo "ansible-lint passed (1s)"; echo "INFO     [host > verify] Executed: Successful";'
                ' echo "INFO     [containers > verify] Executed: Successful"',
}


def run(tmp_path, args, **bodies):
    stages = dict(PASSING)
    stages.update(bodies)
    script = ["source %s/scripts/test.sh" % REPO]
    for name, body in stages.items():
        script.append('stage_%s() { echo ran >> "%s/%s"; %s; }' % (name, tmp_path, name, body))
    script.append('main "$@"')
    proc = subprocess.run(["bash", "-c", "\n".join(script), "test.sh"] + list(args), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=60,
                          check=False)
    ran = sorted(name for name in PASSING if os.path.exists(os.path.join(str(tmp_path), name)))
    table = proc.stdout[proc.stdout.index("==> summary"):].splitlines()[1:]
    rows = {}
    for line in table[1:]:
        fields = line.split(None, 3)
        if fields and fields[0] in PASSING:
            rows[fields[0]] = (fields[1], fields[2], fields[3] if len(fields) > 3 else "")
    return proc, ran, rows


def test_all_pass_one_table_with_counts(tmp_path):
    proc, ran, rows = run(tmp_path, [])
    assert proc.returncode == 0, proc.stdout
    assert ran == sorted(PASSING)
    assert list(rows) == ["packages", "venv", "pytest", "sanity", "integration", "molecule"]
    assert rows["pytest"][0] == "pass" and rows["pytest"][2] == "4 passed, 1 skipped"
    packages = subprocess.run(["bash", "-c", 'source %s/scripts/test.sh; echo "${#APT_PACKAGES[@]}"' % REPO],
                              stdout=subprocess.PIPE, universal_newlines=True, timeout=60, check=True).stdout
    assert rows["packages"][2] == "%d already installed" % int(packages)
    assert rows["sanity"][2] == "2 tests, 0 failed"
    assert rows["integration"][2] == "1 targets, 0 failed, 1 cases skipped (host)"
    assert rows["molecule"][2] == "ansible-lint passed; 2 scenarios, 0 failed"
    assert all(row[1].isdigit() for row in rows.values())
    # each stage's own output is still there, under its header
    assert "==> pytest: unit and integration tests" in proc.stdout and "....s" in proc.stdout
    assert proc.stdout.count("==> summary") == 1


def test_a_failing_stage_does_not_stop_the_others(tmp_path):
    failing_pytest = 'echo "1 failed, 3 passed in 1.00s"; return 1'
    failing_sanity = ('echo \'Running sanity test "pep8"\'; echo "ERROR: The 1 sanity test(s) listed below (out of 1)'
                      ' failed. See error output above for details."; return 1')
    proc, ran, rows = run(tmp_path, [], pytest=failing_pytest, sanity=failing_sanity)
    assert proc.returncode == 1, proc.stdout
    assert ran == sorted(PASSING)
    assert rows["pytest"][0] == "fail" and rows["pytest"][2] == "1 failed, 3 passed; exit 1"
    assert rows["sanity"][0] == "fail" and rows["sanity"][2] == "1 tests, 1 failed; exit 1"
    assert rows["integration"][0] == "pass" and rows["molecule"][0] == "pass"
    assert "FAILED" in proc.stdout


def test_no_tests_collected_is_a_failure(tmp_path):
    proc, dummy, rows = run(tmp_path, ["pytest"], pytest='echo "no tests ran in 0.01s"; return 5')
    assert proc.returncode == 1
    assert rows["pytest"] == ("fail", rows["pytest"][1], "no tests collected; exit 5")


def test_a_failed_setup_stage_leaves_the_others_not_run(tmp_path):
    proc, ran, rows = run(tmp_path, [], venv='echo "pip: no network" >&2; return 1')
    assert proc.returncode == 1, proc.stdout
    assert ran == ["packages", "venv"]
    assert rows["venv"][0] == "fail"
    for name in ("pytest", "sanity", "integration", "molecule"):
        assert rows[name] == ("skip", "-", "not run: the venv stage failed"), rows[name]


def test_both_setup_stages_failing_are_named(tmp_path):
    proc, ran, rows = run(tmp_path, ["molecule"], packages="return 100", venv="return 1")
    assert proc.returncode == 1
    assert ran == ["packages", "venv"]
    assert rows["molecule"] == ("skip", "-", "not run: the packages and venv stage failed")


def test_one_stage_alone_brings_its_setup_stages(tmp_path):
    proc, ran, rows = run(tmp_path, ["sanity"])
    assert proc.returncode == 0, proc.stdout
    assert ran == ["packages", "sanity", "venv"]
    assert list(rows) == ["packages", "venv", "sanity"]


def test_stages_run_in_their_order_whatever_the_arguments(tmp_path):
    proc, ran, rows = run(tmp_path, ["molecule", "pytest", "venv"])
    assert proc.returncode == 0
    assert list(rows) == ["packages", "venv", "pytest", "molecule"]


def test_unknown_stage_usage_and_dry_run(tmp_path):
    proc = subprocess.run(["bash", os.path.join(REPO, "scripts", "test.sh"), "nosuchstage"], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert "unknown stage or option 'nosuchstage'" in proc.stdout and "usage:" in proc.stdout
    proc = subprocess.run(["bash", os.path.join(REPO, "scripts", "test.sh"), "--help"], stdout=subprocess.PIPE,
                          universal_newlines=True, timeout=60, check=False)
    assert proc.returncode == 0
    for name in ("packages", "venv", "pytest", "sanity", "integration", "molecule", "--dry-run"):
        assert "\n  %s " % name in proc.stdout, name
    proc = subprocess.run(["bash", os.path.join(REPO, "scripts", "test.sh"), "--dry-run", "integration"],
                          stdout=subprocess.PIPE, universal_newlines=True, timeout=60, check=False)
    assert proc.returncode == 0
    assert "would run integration: ansible-test integration (bash tests/ansible/run-integration.sh" in proc.stdout
    assert "would run pytest" not in proc.stdout


def test_a_stage_stops_at_its_first_failing_command(tmp_path):
    # As under the old `set -e` script: e.g. a failed pip install must not go
    # on to record the requirements as installed.
    proc, ran, rows = run(tmp_path, ["venv"], venv='false; echo "requirements recorded"')
    assert proc.returncode == 1
    assert "requirements recorded" not in proc.stdout
    assert rows["venv"][0] == "fail"
