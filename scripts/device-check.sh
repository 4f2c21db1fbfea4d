#!/usr/bin/env bash
# The CUDA checks of the engine and determinism issues, in one run on a GPU
# machine that has PyTorch (CUDA) and g++ but no node, npm or network. Pack what
# it needs here with scripts/pack-device.sh, carry .carry/ over, then from the
# repository root there:
#   tar -xJf .carry/device.tar.xz && NODE=$PWD/.carry/node OUT=results-dir bash scripts/device-check.sh
# Writes build.log, tests.log, check-*.txt, bisect.txt, overhead.{md,html,json}
# (MediumCNN sweep, Figure 9 a, with the top-20 operators and CUDA kernels),
# overhead-networks.{md,html,json} (Figure 9 b for the four networks issue 5
# names, fewer rounds) and env.txt (GPU, driver, libtorch, cuDNN) into $OUT.
set -uo pipefail
cd "$(dirname "$0")/.."
NODE=${NODE:-node}
OUT=${OUT:?set OUT to a results directory}
mkdir -p "$OUT"
export CUBLAS_WORKSPACE_CONFIG=:4096:8
export LIBTORCH=${LIBTORCH:-$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')}

{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version())'; } > "$OUT/env.txt" 2>&1
"$NODE" scripts/build-native.mjs > "$OUT/build.log" 2>&1 || { echo "native build failed"; tail -20 "$OUT/build.log"; exit 1; }
noiselab() { "$NODE" bin/noiselab.js "$@"; }

"$NODE" --test --test-concurrency=1 dist/test/torch/ dist/test/check/ > "$OUT/tests.log" 2>&1; echo "tests: exit $?"
noiselab check smallcnn --device cuda --nondeterministic --steps 20 --batch 64 > "$OUT/check-default.txt" 2>&1; echo "check default-mode: exit $?"
noiselab check smallcnn --device cuda --steps 20 --batch 64 > "$OUT/check-deterministic.txt" 2>&1; echo "check deterministic: exit $?"
noiselab check vgg16 --device cuda --steps 2 --batch 8 > "$OUT/check-vgg16.txt" 2>&1; echo "check vgg16: exit $?"
noiselab check resnet18-cifar --device cuda --bisect --steps 10 --batch 64 > "$OUT/bisect.txt" 2>&1; echo "bisect: exit $?"
noiselab overhead --device cuda --models mediumcnn-sweep --input 224 --batch 64 --repeats 10 --steps 5 --profile --out "$OUT/overhead" > "$OUT/overhead.txt" 2>&1; echo "overhead: exit $?"
noiselab overhead --device cuda --models resnet50,vgg16,mobilenetv2,densenet121 --batch 64 --repeats 5 --steps 3 --out "$OUT/overhead-networks" > "$OUT/overhead-networks.txt" 2>&1; echo "overhead networks: exit $?"
