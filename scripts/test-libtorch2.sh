#!/usr/bin/env bash
# Builds the addon against libtorch 2.x and runs the test suite on it: Debian
# 13 (trixie) with its libtorch-dev 2.6, in a chroot made with debootstrap from
# the Debian mirror this machine's apt uses (scripts/libtorch2-chroot.sh). Needs
# root, debootstrap, and this checkout built (`npm run build`), whose dist/ and
# node_modules/ are copied in along with this machine's node binary. Debian 13
# also has Hugging Face's python3-safetensors, so the safetensors interop test
# runs there too. Usage: sudo bash scripts/test-libtorch2.sh [test dirs…]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/libtorch2-chroot.sh
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(dist/test/)
trap libtorch2_unmount EXIT
libtorch2_setup
chroot "$libtorch2_root" bash -c "cd /noiselab && NOISELAB_SAFETENSORS_PYTHON=python3 node --test --test-concurrency=1 ${tests[*]}"
