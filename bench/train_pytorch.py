#!/usr/bin/python3
"""The PyTorch peer of `noiselab bench train`: the same models, optimizer, data shape and timing.

Run with Debian's python3-torch (the same libtorch build noiselab links):
    /usr/bin/python3 bench/train_pytorch.py --model smallcnn --batch 128 --threads 1 --steps 20 --warmup 3
Prints {"imagesPerSecond": ..., "stepSeconds": [...], ...} as JSON, with the whole process's peak RSS,
kernel CPU time and minor page faults (the memory allocator is whatever the environment preloads).
With --profile N, N more steps run under libtorch's profiler, and "operators" maps each operator to
[calls per step, self milliseconds per step] (what bench/profile.ts compares).
"""
import argparse
import json
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


def small_cnn():
    # noiselab's SmallCNN (src/models/paper.ts), the paper's Keras net: 3 x [3x3 'same' conv (16, 32, 32 filters,
    # with bias), ReLU, 2x2 max-pool], global average pooling, dense 32 + ReLU, dense 10; glorot_uniform kernels
    # and zero biases, as scripts/make_model_fixtures.py builds it. At noiselab's default input, 3x32x32.
    def stage(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]

    model = nn.Sequential(*stage(3, 16), *stage(16, 32), *stage(32, 32), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                          nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 10))
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return model, (3, 32, 32), 10


def resnet18_cifar():
    # torchvision's ResNet-18 with the CIFAR stem: 3x3 stride-1 first conv, no max pool.
    model = torchvision.models.resnet18(num_classes=10)
    model.conv1 = nn.Conv2d(3, 64, 3, stride=1, padding=1, bias=False)
    model.maxpool = nn.Identity()
    return model, (3, 32, 32), 10


MODELS = {"smallcnn": small_cnn, "resnet18-cifar": resnet18_cifar}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=sorted(MODELS), default="smallcnn")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--profile", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model, shape, classes = MODELS[args.model]()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(args.batch, *shape)
    y = torch.randint(0, classes, (args.batch,))

    def step():
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        optimizer.step()

    for _ in range(args.warmup):
        step()
    times = []
    for _ in range(args.steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result = {
        "imagesPerSecond": args.batch * args.steps / sum(times), "stepSeconds": times,
        "peakRssBytes": usage.ru_maxrss * 1024, "systemSeconds": usage.ru_stime, "minorPageFaults": usage.ru_minflt,
    }
    if args.profile > 0:
        with torch.autograd.profiler.profile() as profiled:
            for _ in range(args.profile):
                step()
        result["operators"] = {e.key: [e.count / args.profile, e.self_cpu_time_total / args.profile / 1000]
                               for e in profiled.key_averages()}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
