# shellcheck shell=bash
# Shared by the ansible-test and molecule runners in this directory (sourced).
# Needs REPO_ROOT.

# use_venv DIR: put the venv's real bin dir (symlinks resolved) first on PATH.
# ansible-test strips PYENV_VERSION, which breaks pyenv shims.
use_venv() {
    local bin
    bin="$(cd "$1/bin" && pwd -P)" || { echo "no venv at $1" >&2; return 2; }
    export PATH="$bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    unset PYENV_VERSION
}

# install_get_pip_standin: ansible-test bootstraps pip with get-pip.py from a
# host CI cannot reach, unless ~/.ansible/test/cache/get_pip_<version>.py
# exists; the stand-in installs pip offline (see get_pip_standin.py).
install_get_pip_standin() {
    # The version in the name is the pip that ansible-test bootstraps.
    local cache="$HOME/.ansible/test/cache" target
    mkdir -p "$cache"
    target="$cache/get_pip_23_1_2.py"
    cmp -s "$REPO_ROOT/tests/ansible/get_pip_standin.py" "$target" ||
        cp "$REPO_ROOT/tests/ansible/get_pip_standin.py" "$target"
}

# copy_collection DEST: the repository's files (tracked and new, .gitignore
# respected; deleted files skipped) copied to DEST/ansible_collections/opencontainer/runtime,
# where ansible-test and ansible-lint want a collection. Prints that path.
copy_collection() {
    local collection="$1/ansible_collections/opencontainer/runtime"
    mkdir -p "$collection"
    (cd "$REPO_ROOT" && git ls-files -z --cached --others --exclude-standard) \
        | (cd "$REPO_ROOT" && while IFS= read -r -d '' file; do
               [ -e "$file" ] || [ -L "$file" ] || continue
               printf '%s\0' "$file"
           done) \
        | (cd "$REPO_ROOT" && xargs -0 -r cp --parents -P -t "$collection")
    printf '%s\n' "$collection"
}
