#!/usr/bin/env bash
# The one test command of this repository, run from the repo root:
#
#     bash scripts/test.sh
#
# Meant for root on a fresh Debian 12 machine (CI runs it through .ci/run).
# Stages: host packages -> Python venv with pytest -> test suites.
# Exits non-zero when any stage fails, any test fails, or a suite collects no test.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

# Debian's interpreter, not a pyenv shim: it is the one every Debian 12 host has,
# and it starts several times faster than a shim (matters for per-container starts).
SYSTEM_PYTHON=/usr/bin/python3
VENV_DIR="$REPO_ROOT/.venv"
PYTEST_REQUIREMENT='pytest>=7.4,<9'
APT_PACKAGES=(python3 python3-venv busybox-static libseccomp2 runc crun iproute2 git)

stage() { printf '\n==> %s\n' "$*"; }
fail() { printf 'test.sh: ERROR: %s\n' "$*" >&2; exit 1; }

# --- stage 1: host packages ---------------------------------------------------
stage "host packages (${APT_PACKAGES[*]})"
missing=()
for package in "${APT_PACKAGES[@]}"; do
    # `dpkg -s` also succeeds for removed-but-configured packages; the Status
    # field must say "install ok installed" for the files to be there.
    status="$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)"
    [ "$status" = "install ok installed" ] || missing+=("$package")
done
if [ "${#missing[@]}" -eq 0 ]; then
    echo "all installed"
else
    [ "$(id -u)" -eq 0 ] || fail "missing packages ${missing[*]}; run as root to install them"
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q </dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
fi

# --- stage 2: Python venv with pytest -----------------------------------------
stage "python venv at .venv ($SYSTEM_PYTHON, $PYTEST_REQUIREMENT)"
[ -x "$SYSTEM_PYTHON" ] || fail "$SYSTEM_PYTHON not found"
# Recreate the venv when it is broken or was built from another interpreter
# (for example a pyenv python whose path no longer exists).
venv_base="$("$VENV_DIR/bin/python" -c 'import sys; print(sys.base_prefix)' 2>/dev/null || true)"
system_base="$("$SYSTEM_PYTHON" -c 'import sys; print(sys.base_prefix)')"
if [ "$venv_base" != "$system_base" ]; then
    echo "creating venv"
    rm -rf "$VENV_DIR"
    "$SYSTEM_PYTHON" -m venv "$VENV_DIR"
fi
# Skip pip (the slow part) when an installed pytest already satisfies the range.
if "$VENV_DIR/bin/python" - "$PYTEST_REQUIREMENT" <<'EOF' 2>/dev/null
import re, sys
import pytest
low, high = re.findall(r"[0-9.]+", sys.argv[1])
as_tuple = lambda text: tuple(int(part) for part in re.findall(r"\d+", text)[:3])
sys.exit(0 if as_tuple(low) <= as_tuple(pytest.__version__) < as_tuple(high) else 1)
EOF
then
    echo "pytest $("$VENV_DIR/bin/python" -c 'import pytest; print(pytest.__version__)') already installed"
else
    echo "installing $PYTEST_REQUIREMENT"
    "$VENV_DIR/bin/python" -m pip install -q --disable-pip-version-check "$PYTEST_REQUIREMENT" </dev/null
fi

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

# --- later stages: Ansible tests ----------------------------------------------
# >>> ADD MORE TEST STAGES HERE <<<
# Planned: ansible-test sanity/units for the collection (needs the tree at
# ansible_collections/opencontainer/runtime), then molecule scenarios for roles/.
# Each stage: a `stage "..."` header, then a command whose failure exits non-zero.

stage "all test stages passed"
