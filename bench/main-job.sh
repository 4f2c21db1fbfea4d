#!/usr/bin/env bash
# Times the README's main job (the `run table2` and `check` steps of scripts/main.sh) under each
# allocator setting given, one after the other, each into its own scratch store: wall time, CPU time
# (workers included) and peak RSS of the largest process (GNU time's %M: the CLI or a worker).
#
#   bash bench/main-job.sh SCRATCH_DIR [SETTING…]     SETTING: default (noiselab's) or an --allocator name
#   e.g. bash bench/main-job.sh /tmp/main-job system default system
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=$1
shift
settings=("$@")
[ $# -gt 0 ] || settings=(system default)
mkdir -p "$scratch"
for setting in "${settings[@]}"; do
  option=()
  [ "$setting" = default ] || option=(--allocator "$setting")
  store=$(mktemp -d "$scratch/$setting-XXXX")
  format="$setting %C: wall %e s, user %U s, sys %S s, peak RSS %M KiB, load $(cut -d' ' -f1-3 /proc/loadavg)"
  /usr/bin/time -f "$format" -a -o "$scratch/times.txt" \
    node bin/noiselab.js run table2 --dataset fashion-mnist --store "$store" "${option[@]}"
  /usr/bin/time -f "$format" -a -o "$scratch/times.txt" \
    node bin/noiselab.js check smallcnn --steps 60 --batch 64 --perturb-ulp --trajectory --out "$store/check-ulp.json" "${option[@]}" || [ $? -eq 1 ]
done
cat "$scratch/times.txt"
