#!/usr/bin/env bash
# The README's main job: the paper's Table 2 on Fashion-MNIST with SmallCNN,
# a divergence trajectory, and the report of both in docs/examples/.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build
# Table 2 is CIFAR-10 in the paper; Fashion-MNIST is what every machine has (docs/experiments.md).
node bin/noiselab.js run table2 --dataset fashion-mnist --store runs
# One ulp in one initial weight, then how far two otherwise identical replicates drift;
# exit code 1 means "not deterministic", which is the point here.
node bin/noiselab.js check smallcnn --steps 60 --batch 64 --perturb-ulp --trajectory --out runs/check-ulp.json || [ $? -eq 1 ]
node bin/noiselab.js report table2 --store runs --check runs/check-ulp.json --out docs/examples/table2-report
