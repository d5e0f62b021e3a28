#!/usr/bin/env bash
# Set up a development environment: system packages (when root), a virtualenv in .venv
# with changekit and its test and benchmark extras. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
# apt's debconf notes and pip's build warnings read like errors to a newcomer: they go to a log,
# shown only when a step fails
LOG="${TMPDIR:-/tmp}/changekit-setup.$(id -u).log"
: >"$LOG"
quietly() {
    if ! "$@" >>"$LOG" 2>&1; then
        echo "setup: '$*' failed; the last lines of $LOG:" >&2
        tail -n 30 "$LOG" >&2
        exit 1
    fi
}
# no openssh-server: a machine sshd on 0.0.0.0:22 would block the fleet's 127.x.y.z:22
# postgresql: the facts store's tests start a throwaway cluster of their own (tests/pgserver.py)
APT_PACKAGES=(git openssh-client debootstrap iproute2 util-linux chromium rpm perl python3 postgresql)

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    missing=()
    for p in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "setup: installing ${missing[*]}"
        quietly apt-get update -qq
        quietly env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    fi
fi

if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
quietly .venv/bin/python -m pip install -q --upgrade pip
quietly .venv/bin/python -m pip install -q -e '.[test,bench]'
echo "setup: ready (.venv/bin/changekit)"
