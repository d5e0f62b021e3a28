#!/usr/bin/env bash
# Set up everything and run the whole test suite, including the tests against the real
# sshd test fleet (built with debootstrap and cached under /var/cache/changekit-testfleet).
# Needs root for the fleet. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -x .ci/setup-fleet ] || [ -f .ci/setup-fleet ]; then
    bash .ci/setup-fleet
fi
exec .venv/bin/python -m pytest "$@"
