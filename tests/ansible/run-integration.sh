#!/usr/bin/env bash
# Run the collection's ansible-test integration targets (real containers on
# localhost, as root):
#
#     bash tests/ansible/run-integration.sh [VENV_DIR] [ansible-test target args...]
#
# VENV_DIR is a venv with ansible-core (default: the repository's .venv). ansible-test wants the collection at
# .../ansible_collections/opencontainer/runtime, so the repository's files
# (tracked and untracked, .gitignore respected) are copied into a temp tree
# that is removed afterwards. Every target runs even when one fails
# (--continue-on-error); the exit status is ansible-test's.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$REPO_ROOT/tests/ansible/lib.sh"

venv="$REPO_ROOT/.venv"
if [ $# -gt 0 ] && [ -x "$1/bin/python" ]; then
    venv="$1"
    shift
fi
[ -x "$venv/bin/ansible-test" ] || { echo "run-integration.sh: no ansible-test in $venv/bin" >&2; exit 2; }
use_venv "$venv"
install_get_pip_standin

work="$(mktemp -d /tmp/oci-ansible-test.XXXXXX)"
trap 'rm -rf "$work"' EXIT
collection="$(copy_collection "$work")"

cd "$collection"
start=$(date +%s)
status=0
ansible-test integration --local --python 3.11 --allow-destructive --continue-on-error -v "$@" || status=$?
echo "run-integration.sh: ansible-test integration exited $status after $(( $(date +%s) - start ))s"
exit "$status"
