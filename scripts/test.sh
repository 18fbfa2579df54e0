#!/usr/bin/env bash
# The one test command of this repository, run from the repo root:
#
#     bash scripts/test.sh
#
# Meant for root on a fresh Debian 12 machine (CI runs it through .ci/run).
# Stages: host packages -> Python venv (tests/requirements.txt) -> pytest ->
# ansible-test sanity -> ansible-test integration (real containers) ->
# ansible-lint + molecule (roles).
# Exits non-zero when any stage fails, any test fails, or a suite collects no test.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

source scripts/lib.sh
VENV_DIR="$REPO_ROOT/.venv"
APT_PACKAGES=(python3 python3-venv busybox-static libseccomp2 runc crun iproute2 git nftables python3-pyroute2 podman docker-registry skopeo umoci)

# --- stage 1: host packages ---------------------------------------------------
stage "host packages (${APT_PACKAGES[*]})"
apt_install "${APT_PACKAGES[@]}"

# --- stage 2: Python venv -----------------------------------------------------
stage "python venv at .venv ($SYSTEM_PYTHON, tests/requirements.txt)"
ensure_venv "$VENV_DIR"

# --- stage 3: pytest suites ---------------------------------------------------
stage "pytest: unit and integration tests"
targets=()
for target in tests/unit tests/integration; do
    if [ -d "$target" ]; then
        targets+=("$target")
    else
        echo "note: $target does not exist yet, not collected"
    fi
done
[ "${#targets[@]}" -gt 0 ] || fail "no test directory found (tests/unit, tests/integration)"

set +e
"$VENV_DIR/bin/python" -m pytest "${targets[@]}" -p no:cacheprovider -q -rs </dev/null
pytest_status=$?
set -e
case "$pytest_status" in
    0) ;;
    5) fail "pytest collected no test in ${targets[*]}: an empty suite proves nothing" ;;
    *) fail "pytest failed (exit $pytest_status)" ;;
esac

# --- stage 4: ansible-test sanity ------------------------------------------------
stage "ansible-test sanity"
bash tests/ansible/run-sanity.sh "$VENV_DIR" </dev/null || fail "ansible-test sanity failed"

# --- stage 5: ansible-test integration (real containers) -------------------------
stage "ansible-test integration"
bash tests/ansible/run-integration.sh "$VENV_DIR" </dev/null || fail "ansible-test integration failed"

# --- stage 6: ansible-lint and the roles' molecule scenarios ----------------------
stage "ansible-lint --profile production, molecule scenarios"
bash tests/ansible/run-molecule.sh "$VENV_DIR" </dev/null || fail "ansible-lint or a molecule scenario failed"

# Each stage: a `stage "..."` header, then a command whose failure exits non-zero.

stage "all test stages passed"
