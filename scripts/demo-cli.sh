#!/usr/bin/env bash
# Quick-start demo: run one busybox container through the whole OCI lifecycle
# (create -> start -> wait -> delete) with bin/oci-runtime, showing its state.
#
#     bash scripts/demo-cli.sh                          # as root, from the repo root
#     OCI_RUNTIME_BIN=/usr/sbin/runc bash scripts/demo-cli.sh   # same steps with runc
#
# Safe to re-run: a previous demo container and bundle are removed first.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNTIME="${OCI_RUNTIME_BIN:-$REPO_ROOT/bin/oci-runtime}"
BUNDLE="${DEMO_BUNDLE:-/var/lib/opencontainer/demo}"
CONTAINER_ID=demo
# Our runtime keeps <root>/<id>/state.json; only pass --root to it, so another
# runtime (runc, crun) keeps its own default state directory.
OUR_STATE_ROOT=/run/opencontainer/containers
if [ "$RUNTIME" = "$REPO_ROOT/bin/oci-runtime" ]; then
    IS_OURS=1
    RUNTIME_CMD=("$RUNTIME" --root "$OUR_STATE_ROOT")
else
    IS_OURS=0
    RUNTIME_CMD=("$RUNTIME")
fi
STATE_FILE="$OUR_STATE_ROOT/$CONTAINER_ID/state.json"
PYTHON=/usr/bin/python3   # Debian's, installed below; used only for JSON editing/printing

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'demo.sh: ERROR: %s\n' "$*" >&2; exit 1; }
run() { printf '$ %s\n' "$*"; "$@"; }
# Every runtime command gets a time limit, so a hung runtime fails the demo
# with a message instead of blocking it forever.
STEP_TIMEOUT="${DEMO_STEP_TIMEOUT:-60}"
runtime() {
    local status=0
    timeout "$STEP_TIMEOUT" "${RUNTIME_CMD[@]}" "$@" || status=$?
    # shellcheck disable=SC2016  # the backquotes are text: they quote the command in the message
    [ "$status" -ne 124 ] || printf 'demo.sh: `%s %s` timed out after %s s\n' \
        "${RUNTIME_CMD[*]}" "$*" "$STEP_TIMEOUT" >&2
    return "$status"
}
show_runtime() { printf '$ %s\n' "${RUNTIME_CMD[*]} $*"; runtime "$@"; }
pretty_json() { "$PYTHON" -m json.tool; }
container_status() {
    runtime state "$CONTAINER_ID" 2>/dev/null \
        | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["status"])' 2>/dev/null || true
}

[ "$(id -u)" -eq 0 ] || fail "run as root: containers need namespaces, mounts and cgroups"

step "host packages"
missing=()
for package in busybox-static python3; do
    status="$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)"
    [ "$status" = "install ok installed" ] || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q </dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
fi
echo "busybox-static and python3 installed"
[ -x "$RUNTIME" ] || fail "runtime $RUNTIME not found or not executable"
echo "runtime: $RUNTIME"

step "remove a previous demo"
runtime delete --force "$CONTAINER_ID" >/dev/null 2>&1 || true
rm -rf "$BUNDLE"

step "build a busybox bundle in $BUNDLE"
mkdir -p "$BUNDLE/rootfs/bin"
for dir in proc sys dev tmp etc root; do mkdir -p "$BUNDLE/rootfs/$dir"; done
cp /bin/busybox "$BUNDLE/rootfs/bin/busybox"
# A static busybox is one binary with every command ("applet") inside; a
# symlink named after an applet makes `sh`, `ls`, ... resolve to it.
for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$BUNDLE/rootfs/bin/$applet"
done
run timeout "$STEP_TIMEOUT" "$RUNTIME" spec --bundle "$BUNDLE"
"$PYTHON" - "$BUNDLE/config.json" <<'EOF'
import json, sys
path = sys.argv[1]
with open(path) as handle:
    config = json.load(handle)
# No terminal: stdout goes to the file given to `create`, so it can be shown later.
config["process"]["terminal"] = False
config["process"]["args"] = [
    "sh", "-c",
    "echo hello from $(hostname); echo I am pid $$ in my own pid namespace; "
    "echo my root holds: $(ls /); sleep 1",
]
config["process"]["env"] = ["PATH=/bin", "TERM=xterm"]
config["hostname"] = "demo"
with open(path, "w") as handle:
    json.dump(config, handle, indent=2)
EOF
echo "config.json: process.terminal=false, hostname=demo, args=[sh -c ...]"

step "create (the container process waits before the user program)"
# With terminal false the container inherits these fds (runtime.md "create").
printf '$ %s >%s 2>&1\n' "${RUNTIME_CMD[*]} create --bundle $BUNDLE $CONTAINER_ID" "$BUNDLE/output.log"
if ! runtime create --bundle "$BUNDLE" "$CONTAINER_ID" >"$BUNDLE/output.log" 2>&1 </dev/null; then
    cat "$BUNDLE/output.log" >&2
    fail "create failed"
fi
show_runtime state "$CONTAINER_ID" || fail "state failed"
echo
if [ "$IS_OURS" -eq 1 ]; then
    echo "--- $STATE_FILE"
    pretty_json <"$STATE_FILE"
fi

step "start (runs the user program)"
show_runtime start "$CONTAINER_ID" || fail "start failed"
echo "status: $(container_status)"

step "wait for the program to exit"
for _ in $(seq 1 100); do
    [ "$(container_status)" = stopped ] && break
    sleep 0.1
done
[ "$(container_status)" = stopped ] || fail "container did not stop within 10 s"
echo "status: stopped"
echo "--- container output ($BUNDLE/output.log)"
cat "$BUNDLE/output.log"
if [ "$IS_OURS" -eq 1 ]; then
    echo "--- $STATE_FILE (status and exit_code)"
    pretty_json <"$STATE_FILE"
fi

step "delete"
show_runtime delete "$CONTAINER_ID" || fail "delete failed"
if [ "$IS_OURS" -eq 1 ] && [ -e "$STATE_FILE" ]; then
    fail "$STATE_FILE still exists after delete"
fi
echo "demo done"
