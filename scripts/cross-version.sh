#!/usr/bin/env bash
# libtorch 1.13 against 2.6: the same small experiment (SmallCNN on a Fashion-MNIST subset, ALGO and
# CONTROL, 2 replicates, 2 epochs of 63 steps) trained on this machine (Debian 12's libtorch 1.13) and in the
# Debian 13 chroot of scripts/libtorch2-chroot.sh (libtorch 2.6). The chroot's runs come back through
# noiselab export / import --machine libtorch2.6, as environments of their own, and the report of
# both goes to docs/examples/cross-version/. Needs root, debootstrap and this checkout built
# (`npm run build`). Usage: sudo bash scripts/cross-version.sh   (docs/bundles.md)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/libtorch2-chroot.sh
out=docs/examples/cross-version
work=${TMPDIR:-/tmp}/noiselab-cross-version
inside=/cross-version
rm -rf "$work" && mkdir -p "$work" "$out"

cat > "$out/spec.yaml" << 'EOF'
# The experiment of scripts/cross-version.sh, trained with libtorch 1.13 and 2.6.
name: cross-version
dataset: { kind: fashion-mnist, trainSubset: 4000, testSubset: 2000 }
models: [smallcnn]
variants: [ALGO, CONTROL]
replicates: 2
training: { epochs: 2, batchSize: 64 }
EOF
run=(run "$out/spec.yaml" --processes 2 --threads 1)

echo "== libtorch 1.13, this machine"
node bin/noiselab.js "${run[@]}" --store "$work/store"

echo "== libtorch 2.6, the Debian 13 chroot $libtorch2_root"
trap libtorch2_unmount EXIT
libtorch2_setup
rm -rf "${libtorch2_root:?}$inside" && mkdir -p "$libtorch2_root$inside"
chroot "$libtorch2_root" bash -c "cd /noiselab && node bin/noiselab.js ${run[*]} --store $inside/store && node bin/noiselab.js export cross-version --store $inside/store --out $inside/libtorch2.6.tar"

echo "== the chroot's runs into this machine's store, and the report of both"
node bin/noiselab.js import "$libtorch2_root$inside/libtorch2.6.tar" --store "$work/store" --machine libtorch2.6
node bin/noiselab.js ls cross-version --store "$work/store"
node bin/noiselab.js report cross-version --store "$work/store" --out "$out/report"
