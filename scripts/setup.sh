#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for noiselab: system packages, npm
# dependencies, the native addon and the TypeScript build. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ make python3
  libtorch-dev          # libtorch 1.13 (CPU): the default engine
  libopenblas0-openmp   # fast BLAS for libtorch's matmul (the generic one is the fallback)
  libtcmalloc-minimal4  # the allocator of training and timing processes (noiselab --allocator; docs/benchmarks.md)
  python3-torch python3-numpy python3-torchvision  # independent references for fixtures and benchmarks
  python3-pil           # the image-resize reference (scripts/make_resize_fixtures.py)
  dataset-fashion-mnist # /usr/share/datasets/fashion-mnist, the main job's data
  time                  # GNU time: wall time and peak RSS in bench/main-job.sh
  debootstrap           # the Debian 13 chroot with libtorch 2.6 (npm run test:libtorch2, scripts/cross-version.sh)
  redis-server          # a private Redis for the queue executor's tests (docs/cluster.md)
  slurm-wlm munge       # a one-node Slurm for the Slurm executor's tests (scripts/start-slurm.sh)
  chromium              # the browser that test/serve's Playwright tests drive (noiselab serve)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "noiselab needs Node.js 20 or later (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# node-gyp (for better-sqlite3) builds against the installed Node headers, not downloaded ones.
if [ -f /usr/include/node/node_api.h ]; then export npm_config_nodedir=/usr; fi
npm ci --no-audit --no-fund
npm run build
