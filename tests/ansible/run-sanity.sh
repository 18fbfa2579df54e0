#!/usr/bin/env bash
# ansible-test sanity for the collection, offline.
#
#     bash tests/ansible/run-sanity.sh [VENV_DIR] [ansible-test sanity args...]
#
# ansible-test must run inside ansible_collections/<namespace>/<name>, so the
# collection's files (tracked and new, not ignored) are copied into such a
# tree under a temp dir. Its pip bootstrap would download get-pip.py; the
# offline stand-in in this directory is installed where ansible-test looks
# first. The venv's bin dir goes first on PATH: ansible-test strips
# PYENV_VERSION, which breaks pyenv shims.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV_DIR="$(cd "${1:-$REPO_ROOT/.venv}" && pwd)"
shift || true

cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
for version in 23_1_2; do
    cmp -s "$REPO_ROOT/tests/ansible/get_pip_standin.py" "$cache/get_pip_$version.py" ||
        cp "$REPO_ROOT/tests/ansible/get_pip_standin.py" "$cache/get_pip_$version.py"
done

work="$(mktemp -d /tmp/oci-sanity.XXXXXX)"
trap 'rm -rf "$work"' EXIT
tree="$work/ansible_collections/opencontainer/runtime"
mkdir -p "$tree"
(cd "$REPO_ROOT" && git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} sh -c 'test -e "{}" && printf "%s\0" "{}"' | tar --null -T - -cf -) | tar -xf - -C "$tree"

export PATH="$VENV_DIR/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
cd "$tree"
ansible-test sanity --requirements --python 3.11 "$@"
