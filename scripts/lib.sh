# shellcheck shell=bash
# Shared by scripts/test.sh and scripts/demo.sh (sourced, not run).
# Host packages from apt and the Python venv at .venv, each installed only
# when missing, so a second run is quick.

SYSTEM_PYTHON=/usr/bin/python3   # Debian's interpreter, never a pyenv shim
REQUIREMENTS="$REPO_ROOT/tests/requirements.txt"

stage() { printf '\n==> %s\n' "$*"; }
fail() { printf '%s: ERROR: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

# How long apt steps wait for a lock held by another apt, dpkg or
# unattended-upgrades (busy on a freshly booted machine), in seconds.
APT_LOCK_TIMEOUT="${OCI_APT_LOCK_TIMEOUT:-900}"

# apt_get ARG...: apt-get that waits for the package system's locks instead of
# failing. DPkg::Lock::Timeout makes apt 2.x wait for dpkg's frontend lock, but
# `apt-get update` still fails at once on /var/lib/apt/lists/lock ("Could not
# get lock ... It is held by process N"), as does a held archives lock: those
# runs are retried until the same deadline.
apt_get() {
    local deadline=$((SECONDS + APT_LOCK_TIMEOUT)) output status
    output="$(mktemp)"
    while :; do
        status=0
        apt-get -o DPkg::Lock::Timeout="$APT_LOCK_TIMEOUT" "$@" </dev/null 2>&1 | tee "$output" || status=$?
        if [ "$status" -eq 0 ] || [ "$SECONDS" -ge "$deadline" ] ||
                ! grep -q -e 'Could not get lock' -e 'Unable to lock' -e 'Unable to acquire the dpkg frontend lock' "$output"; then
            rm -f "$output"
            return "$status"
        fi
        echo "apt-get $*: another apt or dpkg process holds a lock; trying again in 5s (waiting up to ${APT_LOCK_TIMEOUT}s)"
        sleep 5
    done
}

# apt_install PACKAGE...: install the packages that are not installed.
apt_install() {
    local missing=() package status
    for package in "$@"; do
        # `dpkg -s` also succeeds for removed-but-configured packages; the
        # Status field must say "install ok installed" for the files to be there.
        status="$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)"
        [ "$status" = "install ok installed" ] || missing+=("$package")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        echo "all installed: $*"
        return
    fi
    [ "$(id -u)" -eq 0 ] || fail "missing packages ${missing[*]}; run as root to install them"
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt_get update -q || return
    apt_get install -y -q --no-install-recommends "${missing[@]}"
}

# ensure_venv VENV_DIR [REQUIREMENTS_FILE]: a venv of $SYSTEM_PYTHON with those
# requirements (default tests/requirements.txt, the whole test toolchain).
ensure_venv() {
    local venv="$1" requirements="${2:-$REQUIREMENTS}" venv_base system_base digest
    [ -x "$SYSTEM_PYTHON" ] || fail "$SYSTEM_PYTHON not found"
    # Recreate the venv when it is broken or was built from another interpreter.
    venv_base="$("$venv/bin/python" -c 'import sys; print(sys.base_prefix)' 2>/dev/null || true)"
    system_base="$("$SYSTEM_PYTHON" -c 'import sys; print(sys.base_prefix)')"
    if [ "$venv_base" != "$system_base" ]; then
        echo "creating venv $venv"
        rm -rf "$venv"
        "$SYSTEM_PYTHON" -m venv "$venv"
    fi
    # pip is the slow part: run it only when the requirements changed.
    digest="$(sha256sum "$requirements" | cut -d' ' -f1)"
    if [ "$(cat "$venv/.requirements.sha256" 2>/dev/null || true)" = "$digest" ]; then
        echo "requirements already installed"
    else
        echo "installing $(grep -v '^#' "$requirements" | tr '\n' ' ')"
        "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements" </dev/null
        echo "$digest" > "$venv/.requirements.sha256"
    fi
}

# collections_path DIR: DIR/ansible_collections/opencontainer/runtime -> this repo,
# so ansible finds the collection without installing it.
collections_path() {
    mkdir -p "$1/ansible_collections/opencontainer"
    ln -sfn "$REPO_ROOT" "$1/ansible_collections/opencontainer/runtime"
}
