#!/usr/bin/env bash
# Builds the addon against libtorch 2.x and runs the test suite on it: Debian
# 13 (trixie) with its libtorch-dev 2.6, in a chroot made with debootstrap from
# Debian's mirror. Needs root, debootstrap, and this checkout built (`npm run
# build`), whose dist/ and node_modules/ are copied in along with this
# machine's node binary. Debian 13 also has Hugging Face's python3-safetensors, so
# the safetensors interop test runs there too. Usage: sudo bash scripts/test-libtorch2.sh [test dirs…]
set -euo pipefail
cd "$(dirname "$0")/.."
root=${TRIXIE_ROOT:-/tmp/noiselab-trixie}
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(dist/test/)
if [ ! -x "$root/usr/bin/apt-get" ]; then
  debootstrap --variant=minbase --include=ca-certificates trixie "$root" http://deb.debian.org/debian > "$root.debootstrap.log" 2>&1 || { tail "$root.debootstrap.log"; exit 1; }
fi
mountpoint -q "$root/proc" || mount --bind /proc "$root/proc"
mountpoint -q "$root/dev" || mount --bind /dev "$root/dev"
trap 'umount "$root/proc" "$root/dev" 2> /dev/null || true' EXIT
chroot "$root" bash -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libtorch-dev g++ python3 python3-numpy python3-safetensors dataset-fashion-mnist > /dev/null'
rm -rf "$root/noiselab" && mkdir -p "$root/noiselab"
tar --exclude=./native/build --exclude=./runs --exclude=./.git --exclude=./.carry -cf - . | tar -C "$root/noiselab" -xf -
cp "$(command -v node)" "$root/usr/local/bin/node"
chroot "$root" bash -c "cd /noiselab && node scripts/build-native.mjs && node -e 'import(\"/noiselab/dist/src/torch/index.js\").then((t) => console.log(\"libtorch\", t.buildInfo().torchVersion))' && NOISELAB_SAFETENSORS_PYTHON=python3 node --test --test-concurrency=1 ${tests[*]}"
