#!/usr/bin/env bash
# The one test command of this repository, run from the repo root:
#
#     bash scripts/test.sh [--dry-run] [STAGE...]
#     bash scripts/test.sh --help
#
# Meant for root on a fresh Debian 12 machine (CI runs it through .ci/run).
# Stages, in this order: packages (apt) -> venv (.venv, tests/requirements.txt)
# -> pytest -> sanity (ansible-test) -> integration (ansible-test, real
# containers) -> molecule (ansible-lint and the roles' scenarios).
# Every selected stage runs even when an earlier one failed; a stage whose
# packages or venv stage failed is reported as not run. The run ends with one
# summary table and exits non-zero when any stage failed or did not run, any
# test failed, or a suite collected no test.
set -uo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

source "$REPO_ROOT/scripts/lib.sh"
# OCI_TEST_VENV: another venv to use and keep up to date (e.g. a git worktree sharing its main checkout's).
VENV_DIR="${OCI_TEST_VENV:-$REPO_ROOT/.venv}"
APT_PACKAGES=(python3 python3-venv busybox-static libseccomp2 runc crun iproute2 git nftables python3-pyroute2 podman
              docker-registry skopeo umoci shellcheck)

STAGES=(packages venv pytest sanity integration molecule)
# The stages every test stage needs first.
SETUP_STAGES=(packages venv)
is_setup_stage() { case " ${SETUP_STAGES[*]} " in *" $1 "*) return 0 ;; esac; return 1; }

usage() {
    cat <<EOF
usage: bash scripts/test.sh [--dry-run] [STAGE...]

Runs the given stages (default: all), in this order, each even when an
earlier one failed, then prints one summary table (stage, result, counts,
seconds). Exits 1 when a stage failed or could not run.

  packages     apt packages: ${APT_PACKAGES[*]}
               (waits up to ${APT_LOCK_TIMEOUT}s for apt/dpkg locks; OCI_APT_LOCK_TIMEOUT)
  venv         $VENV_DIR from $SYSTEM_PYTHON with tests/requirements.txt
               (OCI_TEST_VENV picks another directory than .venv)
  pytest       pytest tests/unit tests/integration (real containers, as root)
  sanity       ansible-test sanity (tests/ansible/run-sanity.sh)
  integration  ansible-test integration targets (tests/ansible/run-integration.sh)
  molecule     ansible-lint --profile production and the molecule scenarios
               (tests/ansible/run-molecule.sh)

pytest, sanity, integration and molecule need packages and venv, which run
first when they are not named (quick when nothing is missing); when one of
them fails, the stages that need it are reported as not run.

  --dry-run    print the plan (stages and commands), run nothing
  -h, --help   this text
EOF
}

# --- the stages: each prints its usual output and returns its status ----------
stage_packages() { apt_install "${APT_PACKAGES[@]}"; }
stage_venv() { ensure_venv "$VENV_DIR"; }

stage_pytest() {
    local targets=() target status
    for target in tests/unit tests/integration; do
        if [ -d "$target" ]; then
            targets+=("$target")
        else
            echo "note: $target does not exist yet, not collected"
        fi
    done
    if [ "${#targets[@]}" -eq 0 ]; then
        echo "no test directory found (tests/unit, tests/integration)" >&2
        return 1
    fi
    status=0
    "$VENV_DIR/bin/python" -m pytest "${targets[@]}" -p no:cacheprovider -q -rs </dev/null || status=$?
    # pytest's exit 5: nothing collected. An empty suite proves nothing.
    [ "$status" -ne 5 ] || echo "pytest collected no test in ${targets[*]}: an empty suite proves nothing" >&2
    return "$status"
}

stage_sanity() { bash tests/ansible/run-sanity.sh "$VENV_DIR" </dev/null; }
stage_integration() { bash tests/ansible/run-integration.sh "$VENV_DIR" </dev/null; }
stage_molecule() { bash tests/ansible/run-molecule.sh "$VENV_DIR" </dev/null; }

# What each stage runs, for --dry-run and the stage headers.
describe() {
    case "$1" in
        packages) echo "host packages (${APT_PACKAGES[*]})" ;;
        venv) echo "python venv at $VENV_DIR ($SYSTEM_PYTHON, tests/requirements.txt)" ;;
        pytest) echo "pytest: unit and integration tests ($VENV_DIR/bin/python -m pytest tests/unit tests/integration)" ;;
        sanity) echo "ansible-test sanity (bash tests/ansible/run-sanity.sh $VENV_DIR)" ;;
        integration) echo "ansible-test integration (bash tests/ansible/run-integration.sh $VENV_DIR)" ;;
        molecule) echo "ansible-lint --profile production, molecule scenarios (bash tests/ansible/run-molecule.sh $VENV_DIR)" ;;
    esac
}

# --- counts from a stage's output, for the summary ----------------------------
counts() {
    local stage="$1" log="$2" status="$3" line ran failed
    case "$stage" in
        packages)
            if grep -q '^all installed' "$log"; then
                echo "${#APT_PACKAGES[@]} already installed"
            else
                line="$(grep -m1 '^installing: ' "$log" | cut -d' ' -f2-)"
                [ -z "$line" ] || echo "installed $(wc -w <<<"$line") of ${#APT_PACKAGES[@]}"
            fi ;;
        venv)
            if grep -q '^requirements already installed' "$log"; then
                echo "requirements already installed"
            elif grep -q '^installing ' "$log"; then
                echo "requirements installed"
            fi ;;
        pytest)
            # The last line of -q output: "1 failed, 1398 passed, 2 skipped in 61.23s".
            line="$(grep -E '^[= ]*[0-9]+ (passed|failed|skipped|error|errors|deselected|xfailed|xpassed|warnings?)\b.* in [0-9.]+s' "$log" | tail -n 1)"
            line="${line#"${line%%[0-9]*}"}"
            line="${line% in *}"
            if [ "$status" -eq 5 ]; then
                echo "no tests collected"
            else
                echo "$line"
            fi ;;
        sanity)
            ran="$(grep -c '^Running sanity test' "$log")"
            failed="$(sed -nE 's/.*The ([0-9]+) sanity test\(s\) listed below \(out of ([0-9]+)\) failed.*/\1/p' "$log" | tail -n 1)"
            echo "$ran tests, ${failed:-0} failed" ;;
        integration)
            ran="$(grep -cE '^Running [^ ]+ integration test role' "$log")"
            failed="$(sed -nE 's/.*The ([0-9]+) integration test\(s\) listed below \(out of ([0-9]+)\) failed.*/\1/p' "$log" | tail -n 1)"
            line="$ran targets, ${failed:-0} failed"
            # Option cases a target skipped for want of a host feature (they say why in the output).
            ran="$(grep -c '"msg": "SKIPPED ' "$log")"
            [ "$ran" -eq 0 ] || line="$line, $ran cases skipped (host)"
            echo "$line" ;;
        molecule)
            if grep -q '^ansible-lint passed' "$log"; then line="ansible-lint passed"; else line="ansible-lint failed"; fi
            ran="$(sed -nE 's/.*\[([A-Za-z0-9_.-]+) > [a-z_]+\] Executed: .*/\1/p' "$log" | sort -u | wc -l)"
            failed="$(sed -nE 's/.*\[([A-Za-z0-9_.-]+) > [a-z_]+\] Executed: Failed.*/\1/p' "$log" | sort -u | wc -l)"
            echo "$line; $ran scenarios, $failed failed" ;;
    esac
}

# --- running and reporting ------------------------------------------------------
declare -A RESULT=() DETAIL=() SECS=()

# run_stage NAME: run stage_NAME with its output shown and kept for counts().
run_stage() {
    local name="$1" log start status
    log="$LOG_DIR/$name.log"
    stage "$(describe "$name")"
    start=$(date +%s)
    # A subshell: lib.sh's fail() exits, and a stage must not end the run.
    # errexit inside it, as the stages were written for (a failed pip install
    # must not go on to record the requirements as installed); run_stage is
    # never called where bash ignores errexit (if, !, || or &&).
    (set -e; cd "$REPO_ROOT"; "stage_$name") 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    SECS[$name]=$(($(date +%s) - start))
    if [ "$status" -eq 0 ]; then RESULT[$name]=pass; else RESULT[$name]=fail; fi
    DETAIL[$name]="$(counts "$name" "$log" "$status")"
    [ "$status" -eq 0 ] || DETAIL[$name]="${DETAIL[$name]:+${DETAIL[$name]}; }exit $status"
    return "$status"
}

print_summary() {
    local name
    stage "summary"
    printf '%-12s %-8s %8s  %s\n' stage result seconds counts
    for name in "$@"; do
        printf '%-12s %-8s %8s  %s\n' "$name" "${RESULT[$name]:-}" "${SECS[$name]:--}" "${DETAIL[$name]:-}"
    done
}

main() {
    local dry_run=0 arg name wanted=() selected=() failed_setup="" status=0
    for arg in "$@"; do
        case "$arg" in
            -h|--help) usage; return 0 ;;
            -n|--dry-run) dry_run=1 ;;
            packages|venv|pytest|sanity|integration|molecule) wanted+=("$arg") ;;
            *) echo "test.sh: unknown stage or option '$arg'" >&2; usage >&2; return 2 ;;
        esac
    done
    [ "${#wanted[@]}" -gt 0 ] || wanted=("${STAGES[@]}")
    # A test stage brings the setup stages along; the order is always STAGES'.
    for name in "${wanted[@]}"; do
        is_setup_stage "$name" || wanted+=("${SETUP_STAGES[@]}")
    done
    for name in "${STAGES[@]}"; do
        case " ${wanted[*]} " in *" $name "*) selected+=("$name") ;; esac
    done

    if [ "$dry_run" -eq 1 ]; then
        for name in "${selected[@]}"; do
            echo "would run $name: $(describe "$name")"
            RESULT[$name]="dry-run"
        done
        print_summary "${selected[@]}"
        return 0
    fi

    cd "$REPO_ROOT" || return 1
    LOG_DIR="$(mktemp -d /tmp/oci-test-logs.XXXXXX)"
    # shellcheck disable=SC2064
    trap "rm -rf '$LOG_DIR'" EXIT
    for name in "${selected[@]}"; do
        if [ -n "$failed_setup" ] && ! is_setup_stage "$name"; then
            RESULT[$name]=skip
            DETAIL[$name]="not run: the $failed_setup stage failed"
            status=1
            continue
        fi
        run_stage "$name"
        if [ "${RESULT[$name]}" != pass ]; then
            status=1
            ! is_setup_stage "$name" || failed_setup="${failed_setup:+$failed_setup and }$name"
        fi
    done
    print_summary "${selected[@]}"
    if [ "$status" -eq 0 ]; then
        echo "all selected test stages passed"
    else
        echo "$(basename "$0"): FAILED: a stage failed or did not run (see the table above)" >&2
    fi
    return "$status"
}

# Sourced by tests/unit/test_test_sh.py to drive main() with stand-in stages.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    main "$@"
fi
