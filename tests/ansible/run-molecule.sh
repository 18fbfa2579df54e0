#!/usr/bin/env bash
# The roles' molecule scenarios (extensions/molecule/*, default driver, against this
# machine as root) and ansible-lint --profile production over the whole collection, offline.
#
#     bash tests/ansible/run-molecule.sh [VENV_DIR] [molecule test args, default --all]
#
# Like run-sanity.sh, the collection's files (tracked and new, not ignored) are copied into
# <tmp>/ansible_collections/opencontainer/runtime, which is ANSIBLE_COLLECTIONS_PATH, so
# that the roles and modules resolve by their FQCN and neither tool writes into the checkout.
# Exits non-zero when ansible-lint or any scenario fails (both always run).
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$REPO_ROOT/tests/ansible/lib.sh"

venv="$REPO_ROOT/.venv"
if [ $# -gt 0 ] && [ -x "$1/bin/python" ]; then
    venv="$1"
    shift
fi
[ "$#" -gt 0 ] || set -- --all
[ "$(id -u)" -eq 0 ] || { echo "run-molecule.sh: the scenarios need root" >&2; exit 1; }
use_venv "$venv"

work="$(mktemp -d /tmp/oci-molecule.XXXXXX)"
trap 'rm -rf "$work"' EXIT
tree="$(copy_collection "$work")"

export ANSIBLE_COLLECTIONS_PATH="$work"
# Keep the tools' caches (molecule's ephemeral state, ansible-compat) out of $HOME and the checkout.
export XDG_CACHE_HOME="$work/.cache"
export ANSIBLE_HOME="$work/.ansible"
export ANSIBLE_FORCE_COLOR=0 NO_COLOR=1 PY_COLORS=0
cd "$tree"

status=0
echo "==> ansible-lint --profile production"
SECONDS=0
if ansible-lint --offline --profile production; then
    echo "ansible-lint passed (${SECONDS}s)"
else
    echo "ansible-lint FAILED (${SECONDS}s)" >&2
    status=1
fi

echo "==> molecule test $* (its 'extensions/molecule/default/molecule.yml glob failed' only says there is no default scenario)"
SECONDS=0
if molecule test "$@"; then
    echo "molecule passed (${SECONDS}s)"
else
    echo "molecule FAILED (${SECONDS}s)" >&2
    status=1
fi
exit "$status"
