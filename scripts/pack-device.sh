#!/usr/bin/env bash
# Packs what scripts/device-check.sh needs on a GPU machine that has no node,
# npm or network: this machine's node binary, the compiled TypeScript (dist/),
# and the production node_modules (headers for the addon build included).
# Writes .carry/device.tar.xz (keep .carry/ out of git: .gitignore has it).
# On the GPU machine, from the repository root:
#   tar -xJf .carry/device.tar.xz && NODE=$PWD/.carry/node OUT=$OUT bash scripts/device-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build:ts
mkdir -p .carry
cp "$(command -v node)" .carry/node
modules=$(npm ls --omit=dev --all --parseable 2>/dev/null | sed "s#^$PWD/##" | grep '^node_modules/' | sort -u)
# better-sqlite3's sources and object files are only needed to rebuild it.
tar -cJf .carry/device.tar.xz --exclude='node_modules/better-sqlite3/deps' --exclude='node_modules/better-sqlite3/build/Release/obj*' \
  .carry/node dist $modules
rm .carry/node
ls -l .carry/device.tar.xz
