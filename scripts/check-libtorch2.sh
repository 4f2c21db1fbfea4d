#!/usr/bin/env bash
# Compiles the native sources (syntax and types, no link) against the headers
# of a libtorch 2.x: Debian 13's libtorch-dev, downloaded (not installed) into a
# scratch directory with apt. Evidence that one source tree builds against
# libtorch 1.13 and 2.x without a second machine. Needs the npm dependencies
# (node-addon-api, node-api-headers) and network access to the Debian mirror
# this machine's apt uses (found by scripts/libtorch2-chroot.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/libtorch2-chroot.sh
work=${TMPDIR:-/tmp}/noiselab-libtorch2
mkdir -p "$work/lists/partial" "$work/debs" "$work/root"
mirror=$(libtorch2_mirror)
echo "deb $mirror trixie main" > "$work/sources.list"
apt_opts=(-q -o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/nonexistent -o "Dir::State::Lists=$work/lists")
apt-get "${apt_opts[@]}" update > /dev/null
(cd "$work/debs" && apt-get "${apt_opts[@]}" download libtorch-dev 2> /dev/null)
dpkg-deb -x "$work"/debs/libtorch-dev_*.deb "$work/root"
include="$work/root/usr/include"
echo "libtorch headers: $(grep -m1 -o '"[0-9.]*"' "$include/torch/csrc/api/include/torch/version.h")"
for source in native/src/*.cc; do
  g++ -std=c++17 -fsyntax-only -Wall -Wextra -Wno-unused-parameter -D_GLIBCXX_USE_CXX11_ABI=1 -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS \
    -isystem node_modules/node-api-headers/include -isystem node_modules/node-addon-api \
    -isystem "$include" -isystem "$include/torch/csrc/api/include" "$source"
  echo "ok: $source"
done
