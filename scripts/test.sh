#!/usr/bin/env bash
# Install everything the tests need (system packages, Python packages) and run the tests.
# Works on a fresh Debian/Ubuntu machine; uses sudo for apt when not root. Creates .venv
# unless a virtual environment is already active. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

# System packages: Chromium for rendering tests, Redis for the shared frontier, build tools.
APT_PACKAGES="chromium redis-server ca-certificates build-essential"
missing=""
for pkg in $APT_PACKAGES; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

# KenLM's lmplz/build_binary (not published as binaries): built from the PyPI source package.
if [ -f scripts/install-kenlm.sh ]; then
    $SUDO bash scripts/install-kenlm.sh
fi

if [ -z "${VIRTUAL_ENV:-}" ]; then
    [ -x .venv/bin/python ] || python3 -m venv .venv
    # shellcheck disable=SC1091
    . .venv/bin/activate
fi
python -m pip install -q --upgrade pip
python -m pip install -q -e ".[test]"

python -m pytest -q "$@"
