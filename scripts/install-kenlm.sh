#!/usr/bin/env bash
# Build KenLM's lmplz and build_binary (no wheel or Debian package ships them) into $PREFIX/bin.
# Optional: train-lm works without them (its own Kneser-Ney estimator, ARPA output); with them
# it uses lmplz (any corpus size) and writes KenLM binaries. The tests compare the two.
# Idempotent: returns at once when both binaries are already installed and run.
# Usage: scripts/install-kenlm.sh   (env: PREFIX=/usr/local, PYTHON=python3, KENLM_VERSION=)
set -euo pipefail

PREFIX="${PREFIX:-/usr/local}"
PYTHON="${PYTHON:-python3}"
KENLM_VERSION="${KENLM_VERSION:-}"

# Present and every shared library (Boost) resolves: nothing to do.
if [ -x "$PREFIX/bin/lmplz" ] && [ -x "$PREFIX/bin/build_binary" ] \
    && ! ldd "$PREFIX/bin/lmplz" "$PREFIX/bin/build_binary" 2>/dev/null | grep -q "not found"; then
    echo "install-kenlm: lmplz and build_binary already in $PREFIX/bin"
    exit 0
fi

DEPS=(cmake build-essential libboost-program-options-dev libboost-system-dev
      libboost-thread-dev libboost-test-dev zlib1g-dev libbz2-dev liblzma-dev)
if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
    DEPS+=(python3-pip)   # only to fetch the kenlm source package from PyPI
    PYTHON=/usr/bin/python3
fi
missing=()
for p in "${DEPS[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
spec="kenlm"
[ -n "$KENLM_VERSION" ] && spec="kenlm==$KENLM_VERSION"
# --no-binary kenlm only: with :all: pip tries to build setuptools from source and hangs.
"$PYTHON" -m pip download -q --no-deps --no-binary kenlm "$spec" -d "$work/src"
tar xzf "$work"/src/kenlm-*.tar.gz -C "$work"
srcdir="$(find "$work" -maxdepth 1 -type d -name 'kenlm-*' | head -n1)"
mkdir -p "$srcdir/build"
cmake -S "$srcdir" -B "$srcdir/build" -DCMAKE_BUILD_TYPE=Release -DKENLM_MAX_ORDER=6 -DCMAKE_CXX_FLAGS=-w >/dev/null
make -C "$srcdir/build" -j"$(nproc)" lmplz build_binary >/dev/null
install -d "$PREFIX/bin"
install -m 0755 "$srcdir/build/bin/lmplz" "$srcdir/build/bin/build_binary" "$PREFIX/bin/"
echo "install-kenlm: installed lmplz and build_binary into $PREFIX/bin"
