#!/usr/bin/env bash
# Set up everything and run the whole test suite, including the tests against the real
# sshd test fleet (built with debootstrap and cached under /var/cache/changekit-testfleet).
# Needs root for the fleet. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ "$(id -u)" = 0 ]; then
    bash .ci/setup-fleet
fi
.venv/bin/python -m tests.needs >&2  # one line: which test groups skip here and why
exec .venv/bin/python -m pytest "$@"
