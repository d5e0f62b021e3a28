#!/usr/bin/env bash
# Set up a development environment: system packages (when root), a virtualenv in .venv
# with changekit and its test and benchmark extras. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
# no openssh-server: a machine sshd on 0.0.0.0:22 would block the fleet's 127.x.y.z:22
APT_PACKAGES=(git openssh-client debootstrap iproute2 util-linux chromium rpm perl python3)

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    missing=()
    for p in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "setup: installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
fi

if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test,bench]'
echo "setup: ready (.venv/bin/changekit)"
