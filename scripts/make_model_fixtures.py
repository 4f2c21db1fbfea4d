#!/usr/bin/python3
"""Reference facts about every model of the zoo, from PyTorch and torchvision.

Run with Debian's interpreter, which has python3-torch 1.13 and
python3-torchvision 0.14 (the libtorch noiselab links against):
    /usr/bin/python3 scripts/make_model_fixtures.py
Writes test/fixtures/models/smallcnn-parity.json (full tensors of one SmallCNN training step, with and
without BatchNorm: see smallcnn_parity) and test/fixtures/models/models.json with, per case:
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
and, for the paper's SmallCNN (with and without BatchNorm) and MediumCNN (k = 1, 3, 5, 7), under
"paperLayers": every leaf layer's output shape at the paper's input (32×32×3 and 224×224×3), the
trainable parameter count and the count Keras' count_params() gives (trainable plus the BatchNorm
moving mean and variance, which Keras counts as non-trainable weights). The script checks these
layers against the stage shapes of the paper's Appendix C table before writing.
SmallCNN and MediumCNN are built here as the paper's Keras code builds them (Appendix C; Conv2D
'same' with bias, BatchNormalization(epsilon=1e-3, momentum=0.99), MaxPool2D(2),
GlobalAveragePooling2D, Dense; glorot_uniform kernels and zero biases), in PyTorch, standing in for
Keras; src/models/paper.ts builds the same.
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
PARITY_OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "models", "smallcnn-parity.json")
torch.set_num_threads(1)


KERAS_BN = {"eps": 1e-3, "momentum": 0.01}  # Keras' BatchNormalization(epsilon=1e-3, momentum=0.99)


def paper_stage(cin, cout, k, batch_norm):
    """[Conv k×k 'same' (with bias, as Keras' Conv2D), BatchNorm?, ReLU, MaxPool 2]."""
    return [nn.Conv2d(cin, cout, k, padding=k // 2)] + ([nn.BatchNorm2d(cout, **KERAS_BN)] if batch_norm else []) + [
        nn.ReLU(), nn.MaxPool2d(2)]


def glorot(model):
    """Keras' defaults: glorot_uniform kernels and zero biases, applied in modules() order."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return model


def small_cnn(num_classes=10, in_channels=3, batch_norm=False, init="glorot"):
    class SmallCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(*paper_stage(in_channels, 16, 3, batch_norm), *paper_stage(16, 32, 3, batch_norm),
                                          *paper_stage(32, 32, 3, batch_norm))
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.classifier = nn.Sequential(nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, num_classes))

        def forward(self, x):
            return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))

    model = SmallCNN()
    return glorot(model) if init == "glorot" else model


def medium_cnn(num_classes=1000, in_channels=3, k=3, init="glorot"):
    widths = [in_channels, 16, 32, 64, 128, 256, 512]

    class MediumCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(*[layer for i in range(6) for layer in paper_stage(widths[i], widths[i + 1], k, True)])
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.classifier = nn.Linear(512, num_classes)

        def forward(self, x):
            return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))

    model = MediumCNN()
    return glorot(model) if init == "glorot" else model


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
    "smallcnn": ("smallcnn", {}, lambda: small_cnn(), [2, 3, 32, 32], True),
    "smallcnn-bn": ("smallcnn", {"batchNorm": True}, lambda: small_cnn(batch_norm=True), [2, 3, 32, 32], True),
    "smallcnn-fashion-mnist": ("smallcnn", {"inChannels": 1}, lambda: small_cnn(in_channels=1), [2, 1, 28, 28], True),
    "smallcnn-pytorch-init": ("smallcnn", {"init": "pytorch", "batchNorm": True},
                              lambda: small_cnn(batch_norm=True, init="pytorch"), [2, 3, 32, 32], True),
    # The forward and training checks run at 64×64 (the smallest input) to stay fast; the layer shapes
    # at the paper's 224×224 are in "paperLayers".
    **{f"mediumcnn-k{k}": ("mediumcnn", {"kernelSize": k}, (lambda k=k: medium_cnn(k=k)), [2, 3, 64, 64], True)
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


# The paper's Appendix C: each stage's output (H, W, C) for its stated input, and the dense layers' widths.
APPENDIX_C = {
    "smallcnn": {"input": [32, 32, 3], "stages": [[16, 16, 16], [8, 8, 32], [4, 4, 32]], "dense": [32, 10]},
    "mediumcnn": {"input": [224, 224, 3],
                  "stages": [[112, 112, 16], [56, 56, 32], [28, 28, 64], [14, 14, 128], [7, 7, 256], [3, 3, 512]],
                  "dense": [1000]},
}
# name → (registry name, options, builder); built at the Appendix C input.
PAPER_LAYER_CASES = {
    "smallcnn": ("smallcnn", {}, lambda: small_cnn()),
    "smallcnn-bn": ("smallcnn", {"batchNorm": True}, lambda: small_cnn(batch_norm=True)),
    **{f"mediumcnn-k{k}": ("mediumcnn", {"kernelSize": k}, (lambda k=k: medium_cnn(k=k))) for k in (1, 3, 5, 7)},
}


def paper_layers(model_name, builder):
    """Every leaf layer's output shape [C, H, W] (or [features]) at the Appendix C input, and the parameter
    counts: trainable, and what Keras' count_params() reports (trainable + BatchNorm moving mean and variance)."""
    model = builder().eval()
    h, w, c = APPENDIX_C[model_name]["input"]
    shapes = []
    for name, m in model.named_modules():
        if len(list(m.children())) == 0:
            m.register_forward_hook(lambda m, i, o, name=name: shapes.append([name, list(o.shape[1:])]))
    with torch.no_grad():
        model(torch.zeros(1, c, h, w))
    stages = [[s[1], s[2], s[0]] for name, s in shapes if name.startswith("features.") and len(s) == 3
              and isinstance(model.get_submodule(name), nn.MaxPool2d)]
    dense = [s[0] for name, s in shapes if isinstance(model.get_submodule(name), nn.Linear)]
    # The layers built here must give the paper's table (with 10 classes for the small CNN, 1000 for the medium).
    assert stages == APPENDIX_C[model_name]["stages"], (model_name, stages)
    assert dense == APPENDIX_C[model_name]["dense"], (model_name, dense)
    trainable = sum(p.numel() for p in model.parameters())
    moving = sum(t.numel() for n, t in model.state_dict().items() if n.endswith(("running_mean", "running_var")))
    return {"inputShape": [c, h, w], "layers": shapes, "trainableParameters": trainable,
            "kerasCountParams": trainable + moving}


def tensor_fixture(t):
    t = t.detach().contiguous()
    return {"shape": list(t.shape), "dtype": "float32", "data": [r(v) for v in t.flatten().tolist()]}


def smallcnn_parity(batch_norm):
    """Full-tensor parity of SmallCNN: its Glorot weights, a training-mode forward of a 4×3×16×16 input, the
    gradients of sum(output × upstream) for the input and every parameter, the BatchNorm running statistics after
    that step, and an eval-mode forward afterwards."""
    torch.manual_seed(INIT_SEED)
    model = small_cnn(batch_norm=batch_norm)
    g = torch.Generator().manual_seed(INPUT_SEED)
    x = torch.randn(4, 3, 16, 16, generator=g).requires_grad_(True)
    state = {name: tensor_fixture(t) for name, t in model.state_dict().items() if not name.endswith("num_batches_tracked")}
    out = model.train()(x)
    upstream = torch.randn(out.shape, generator=g)
    (out * upstream).sum().backward()
    with torch.no_grad():
        eval_out = model.eval()(x)
    return {
        "options": {"batchNorm": batch_norm},
        "state": state,
        "input": tensor_fixture(x),
        "upstream": tensor_fixture(upstream),
        "output": tensor_fixture(out),
        "gradInput": tensor_fixture(x.grad),
        "grads": {name: tensor_fixture(p.grad) for name, p in model.named_parameters()},
        "buffersAfter": {name: tensor_fixture(t) for name, t in model.state_dict().items()
                         if name.endswith(("running_mean", "running_var"))},
        "evalOutput": tensor_fixture(eval_out),
    }


def main():
    with open(PARITY_OUT, "w") as f:
        json.dump({"torch": torch.__version__, "cases": {"smallcnn": smallcnn_parity(False),
                                                         "smallcnn-bn": smallcnn_parity(True)}}, f,
                  separators=(",", ":"))
        f.write("\n")
    fixture = {"torch": torch.__version__, "torchvision": torchvision.__version__, "initSeed": INIT_SEED,
               "inputSeed": INPUT_SEED, "upstreamSeed": UPSTREAM_SEED, "appendixC": APPENDIX_C, "paperLayers": {},
               "cases": {}}
    for case, (model, options, builder) in PAPER_LAYER_CASES.items():
        fixture["paperLayers"][case] = {"model": model, "options": options, **paper_layers(model, builder)}
        print(case, fixture["paperLayers"][case]["trainableParameters"], fixture["paperLayers"][case]["kerasCountParams"])
    for case, (model, options, builder, input_shape, train_check) in CASES.items():
        fixture["cases"][case] = {"model": model, "options": options, **case_facts(builder, input_shape, train_check)}
        print(case, fixture["cases"][case]["parameterCount"])
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
