#!/usr/bin/python3
"""Reference facts about every model of the zoo, from PyTorch and torchvision.

Run with Debian's interpreter, which has python3-torch 1.13 and
python3-torchvision 0.14 (the libtorch noiselab links against):
    /usr/bin/python3 scripts/make_model_fixtures.py
Writes test/fixtures/models/models.json with, per case:
  - state: [name, shape] of every state_dict() entry, in order;
  - parameterCount: the number of trainable parameter elements;
  - init: [sum, sum of squares, first element] of every parameter, in
    named_parameters() order, after
    torch.manual_seed(INIT_SEED) and construction (noiselab draws the same
    values from Generator(INIT_SEED));
  - forward: an eval-mode forward of a randn input drawn from Generator(INPUT_SEED):
    the output's shape, sum, sum of |x| and first values;
  - train (the paper's small nets only): a training-mode forward and the
    backward of sum(output * upstream): the output, the sums of the BatchNorm
    running means afterwards, and the sum of every parameter's gradient (both
    in state order).
SmallCNN and MediumCNN are defined here exactly as in src/models/paper.ts.
"""
import contextlib
import json
import os

import torch
import torch.nn as nn
import torchvision

INIT_SEED = 1234
INPUT_SEED = 1
UPSTREAM_SEED = 2
HEAD = 8
OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "models", "models.json")
torch.set_num_threads(1)


def small_cnn(num_classes=10, in_channels=1, input_size=28, batch_norm=False):
    def stage(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=not batch_norm)] + ([nn.BatchNorm2d(cout)] if batch_norm else []) + [
            nn.ReLU(), nn.MaxPool2d(2)]

    class SmallCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(*stage(in_channels, 32), *stage(32, 64))
            self.classifier = nn.Linear(64 * (input_size // 4) ** 2, num_classes)

        def forward(self, x):
            return self.classifier(torch.flatten(self.features(x), 1))

    return SmallCNN()


def medium_cnn(num_classes=10, in_channels=3, k=3):
    def block(cin, cout):
        return [nn.Conv2d(cin, cout, k, padding=k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]

    class MediumCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(*block(in_channels, 32), *block(32, 32), nn.MaxPool2d(2), *block(32, 64),
                                          *block(64, 64), nn.MaxPool2d(2), *block(64, 128))
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.classifier = nn.Linear(128, num_classes)

        def forward(self, x):
            return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))

    return MediumCNN()


@contextlib.contextmanager
def cifar_stem():
    """Builds torchvision's 7×7 stride-2 stem convolution as 3×3 stride 1 instead, in the same
    place in the construction order (so the initial draws line up with noiselab's resnet18-cifar)."""
    original = nn.Conv2d

    class StemConv(original):
        def __init__(self, *args, **kwargs):
            if kwargs.get("kernel_size") == 7:
                kwargs.update(kernel_size=3, stride=1, padding=1)
            super().__init__(*args, **kwargs)

    nn.Conv2d = StemConv
    try:
        yield
    finally:
        nn.Conv2d = original


def resnet18_cifar(num_classes=10):
    with cifar_stem():
        model = torchvision.models.resnet18(num_classes=num_classes)
    model.maxpool = nn.Identity()
    return model


tv = torchvision.models
# name → (registry name, options as noiselab's createModel takes them, builder, forward input shape, train check)
CASES = {
    "smallcnn": ("smallcnn", {}, lambda: small_cnn(), [2, 1, 28, 28], True),
    "smallcnn-bn": ("smallcnn", {"batchNorm": True}, lambda: small_cnn(batch_norm=True), [2, 1, 28, 28], True),
    "smallcnn-cifar": ("smallcnn", {"inChannels": 3, "inputSize": 32}, lambda: small_cnn(in_channels=3, input_size=32),
                       [2, 3, 32, 32], True),
    **{f"mediumcnn-k{k}": ("mediumcnn", {"kernelSize": k}, (lambda k=k: medium_cnn(k=k)), [2, 3, 16, 16], True)
       for k in (1, 3, 5, 7)},
    "resnet18-cifar": ("resnet18-cifar", {}, lambda: resnet18_cifar(), [1, 3, 32, 32], False),
    "resnet18": ("resnet18", {}, lambda: tv.resnet18(), [1, 3, 32, 32], False),
    "resnet50": ("resnet50", {}, lambda: tv.resnet50(), [1, 3, 32, 32], False),
    "resnet152": ("resnet152", {}, lambda: tv.resnet152(), [1, 3, 32, 32], False),
    "vgg16": ("vgg16", {}, lambda: tv.vgg16(), [1, 3, 32, 32], False),
    "vgg19": ("vgg19", {}, lambda: tv.vgg19(), [1, 3, 32, 32], False),
    "mobilenetv2": ("mobilenetv2", {}, lambda: tv.mobilenet_v2(), [1, 3, 32, 32], False),
    "densenet121": ("densenet121", {}, lambda: tv.densenet121(), [1, 3, 32, 32], False),
    "densenet201": ("densenet201", {}, lambda: tv.densenet201(), [1, 3, 32, 32], False),
    "efficientnet-b0": ("efficientnet-b0", {}, lambda: tv.efficientnet_b0(), [1, 3, 32, 32], False),
    "inception-v3": ("inception-v3", {}, lambda: tv.inception_v3(aux_logits=True, init_weights=True), [1, 3, 75, 75],
                     False),
}


def r(x):
    """Rounds to 9 significant digits: plenty for float32 checks, and compact."""
    return float(f"{x:.9g}")


def summary(t):
    flat = t.detach().double().flatten()
    return {"shape": list(t.shape), "sum": r(flat.sum().item()), "absSum": r(flat.abs().sum().item()),
            "head": [r(v) for v in flat[:HEAD].tolist()]}


def case_facts(builder, input_shape, train_check):
    torch.manual_seed(INIT_SEED)
    model = builder()
    params = list(model.named_parameters())
    facts = {
        "state": [[name, list(t.shape)] for name, t in model.state_dict().items()],
        "parameterCount": sum(p.numel() for _, p in params),
        "init": [[r(p.double().sum().item()), r(p.double().square().sum().item()), r(p.flatten()[0].item())]
                 for _, p in params],
    }
    x = torch.randn(input_shape, generator=torch.Generator().manual_seed(INPUT_SEED))
    with torch.no_grad():
        facts["forward"] = {"inputShape": input_shape, "output": summary(model.eval()(x))}
    if train_check:
        model.train()
        out = model(x)
        upstream = torch.randn(out.shape, generator=torch.Generator().manual_seed(UPSTREAM_SEED))
        (out * upstream).sum().backward()
        facts["train"] = {
            "output": summary(out),
            "runningMeanSums": [r(t.double().sum().item()) for name, t in model.state_dict().items()
                                if name.endswith("running_mean")],
            "gradSums": [r(p.grad.double().sum().item()) for _, p in params],
        }
    return facts


def main():
    fixture = {"torch": torch.__version__, "torchvision": torchvision.__version__, "initSeed": INIT_SEED,
               "inputSeed": INPUT_SEED, "upstreamSeed": UPSTREAM_SEED, "cases": {}}
    for case, (model, options, builder, input_shape, train_check) in CASES.items():
        fixture["cases"][case] = {"model": model, "options": options, **case_facts(builder, input_shape, train_check)}
        print(case, fixture["cases"][case]["parameterCount"])
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
