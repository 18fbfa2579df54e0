#!/usr/bin/env bash
# Quick start: run a busybox container through the collection's Ansible
# module (playbooks/demo.yml), show its state.json and output.
#
#     bash scripts/demo.sh          # as root on Debian 12, from the repo root
#
# Installs what it needs (apt: busybox-static, python3-venv; pip: ansible-core
# in .venv). scripts/demo-cli.sh does the same with the runc-style CLI.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
source scripts/lib.sh

[ "$(id -u)" -eq 0 ] || fail "run as root: containers need namespaces, mounts and cgroups"

stage "host packages"
apt_install python3 python3-venv busybox-static

stage "python venv with ansible-core"
ensure_venv "$REPO_ROOT/.venv" "$REPO_ROOT/scripts/requirements-demo.txt"

stage "playbooks/demo.yml"
collections="$(mktemp -d /tmp/oci-demo-collections.XXXXXX)"
trap 'rm -rf "$collections"' EXIT
collections_path "$collections"
export ANSIBLE_COLLECTIONS_PATH="$collections" ANSIBLE_PYTHON_INTERPRETER="$SYSTEM_PYTHON"
export ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false
"$REPO_ROOT/.venv/bin/ansible-playbook" -i localhost, playbooks/demo.yml
