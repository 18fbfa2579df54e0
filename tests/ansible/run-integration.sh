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

venv="$REPO_ROOT/.venv"
if [ $# -gt 0 ] && [ -x "$1/bin/python" ]; then
    venv="$1"
    shift
fi
[ -x "$venv/bin/ansible-test" ] || { echo "run-integration.sh: no ansible-test in $venv/bin" >&2; exit 2; }
# The venv's real bin dir (symlinks resolved), never a pyenv shim in front of it.
venv_bin="$(cd "$venv/bin" && pwd -P)"
export PATH="$venv_bin:$PATH"
unset PYENV_VERSION

# ansible-test bootstraps pip with get-pip.py, fetched from a host CI cannot
# reach unless this cached copy exists; the stand-in installs pip offline.
cache="${HOME}/.ansible/test/cache"
if [ ! -f "$cache/get_pip_23_1_2.py" ]; then
    mkdir -p "$cache"
    cp "$REPO_ROOT/tests/ansible/get_pip_standin.py" "$cache/get_pip_23_1_2.py"
fi

work="$(mktemp -d /tmp/oci-ansible-test.XXXXXX)"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
collection="$work/ansible_collections/opencontainer/runtime"
mkdir -p "$collection"
(cd "$REPO_ROOT" && git ls-files -z --cached --others --exclude-standard) \
    | (cd "$REPO_ROOT" && while IFS= read -r -d '' file; do
           # Files deleted in the work tree but still in the index are skipped.
           [ -e "$file" ] || [ -L "$file" ] || continue
           printf '%s\0' "$file"
       done) \
    | (cd "$REPO_ROOT" && xargs -0 -r cp --parents -P -t "$collection")

cd "$collection"
start=$(date +%s)
status=0
ansible-test integration --local --python 3.11 --allow-destructive --continue-on-error -v "$@" || status=$?
echo "run-integration.sh: ansible-test integration exited $status after $(( $(date +%s) - start ))s"
exit "$status"
