#!/usr/bin/env bash
# ansible-test sanity for the collection, offline.
#
#     bash tests/ansible/run-sanity.sh [VENV_DIR] [ansible-test sanity args...]
#
# VENV_DIR is a venv with ansible-core (default: the repository's .venv).
# ansible-test must run inside ansible_collections/<namespace>/<name>, so the
# collection is copied into such a tree under a temp dir (tests/ansible/lib.sh).
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$REPO_ROOT/tests/ansible/lib.sh"

venv="$REPO_ROOT/.venv"
if [ $# -gt 0 ] && [ -x "$1/bin/python" ]; then
    venv="$1"
    shift
fi
use_venv "$venv"
install_get_pip_standin

work="$(mktemp -d /tmp/oci-sanity.XXXXXX)"
trap 'rm -rf "$work"' EXIT
cd "$(copy_collection "$work")"
ansible-test sanity --requirements --python 3.11 "$@"
