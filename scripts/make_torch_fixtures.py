#!/usr/bin/python3
"""Reference values from PyTorch for the engine's parity tests.

Run with Debian's interpreter, which has python3-torch:
    /usr/bin/python3 scripts/make_torch_fixtures.py
Writes test/fixtures/torch/parity.json. Inputs are drawn from a fixed seed and
stored alongside the outputs, so the TypeScript tests feed exactly these values.
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(20211)
OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "torch", "parity.json")


def t(x):
    x = x.detach().contiguous()
    return {"shape": list(x.shape), "dtype": str(x.dtype).replace("torch.", ""), "data": x.flatten().tolist()}


def leaf(*shape):
    return torch.randn(*shape, dtype=torch.float32).requires_grad_(True)


cases = {}

# conv2d with stride, padding, dilation and groups; backward of sum(out * upstream).
for name, opts, shapes in [
    ("conv2d_basic", dict(stride=1, padding=1, dilation=1, groups=1), ((2, 3, 6, 6), (4, 3, 3, 3))),
    ("conv2d_strided_dilated", dict(stride=2, padding=2, dilation=2, groups=1), ((2, 3, 7, 7), (5, 3, 3, 3))),
    ("conv2d_grouped", dict(stride=1, padding=0, dilation=1, groups=2), ((2, 4, 5, 5), (6, 2, 3, 3))),
]:
    x, w, b = leaf(*shapes[0]), leaf(*shapes[1]), leaf(shapes[1][0])
    out = F.conv2d(x, w, b, **opts)
    upstream = torch.randn_like(out)
    (out * upstream).sum().backward()
    cases[name] = {"options": opts, "input": t(x), "weight": t(w), "bias": t(b), "upstream": t(upstream),
                   "output": t(out), "gradInput": t(x.grad), "gradWeight": t(w.grad), "gradBias": t(b.grad)}

# batch_norm in training mode (batch statistics, running stats updated) and eval mode.
for training in (True, False):
    x, w, b = leaf(4, 3, 5, 5), leaf(3), leaf(3)
    running_mean, running_var = torch.randn(3), torch.rand(3) + 0.5
    rm, rv = running_mean.clone(), running_var.clone()
    out = F.batch_norm(x, rm, rv, w, b, training=training, momentum=0.1, eps=1e-5)
    upstream = torch.randn_like(out)
    (out * upstream).sum().backward()
    cases["batch_norm_" + ("train" if training else "eval")] = {
        "training": training, "input": t(x), "weight": t(w), "bias": t(b), "runningMean": t(running_mean),
        "runningVar": t(running_var), "upstream": t(upstream), "output": t(out), "runningMeanAfter": t(rm),
        "runningVarAfter": t(rv), "gradInput": t(x.grad), "gradWeight": t(w.grad), "gradBias": t(b.grad)}

x, w, b = leaf(5, 7), leaf(3, 7), leaf(3)
out = F.linear(x, w, b)
upstream = torch.randn_like(out)
(out * upstream).sum().backward()
cases["linear"] = {"input": t(x), "weight": t(w), "bias": t(b), "upstream": t(upstream), "output": t(out),
                   "gradInput": t(x.grad), "gradWeight": t(w.grad), "gradBias": t(b.grad)}

for smoothing in (0.0, 0.1):
    logits = leaf(6, 5)
    target = torch.randint(0, 5, (6,))
    loss = F.cross_entropy(logits, target, label_smoothing=smoothing)
    loss.backward()
    cases["cross_entropy_ls%g" % smoothing] = {"labelSmoothing": smoothing, "logits": t(logits), "target": t(target),
                                               "loss": t(loss), "gradLogits": t(logits.grad)}

# Optimizers: five steps on one parameter with a fixed gradient sequence.
grads = [torch.randn(4, 3) for _ in range(5)]
start = torch.randn(4, 3)
optimizers = {
    "sgd_momentum_nesterov_wd": (torch.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-2)),
    "sgd_momentum_dampening": (torch.optim.SGD, dict(lr=0.05, momentum=0.8, dampening=0.1)),
    "adam": (torch.optim.Adam, dict(lr=1e-2, betas=(0.9, 0.99), eps=1e-8, weight_decay=1e-3)),
    "adamw": (torch.optim.AdamW, dict(lr=1e-2, weight_decay=0.05)),
}
for name, (cls, opts) in optimizers.items():
    p = start.clone().requires_grad_(True)
    opt = cls([p], **opts)
    for g in grads:
        p.grad = g.clone()
        opt.step()
    key = {"weight_decay": "weightDecay"}
    cases["optim_" + name] = {"options": {key.get(k, k): v for k, v in opts.items()}, "start": t(start),
                              "grads": [t(g) for g in grads], "after": t(p)}

# Multi-label loss (CelebA): drawn from its own generator, so that the cases above keep their values.
g = torch.Generator().manual_seed(40)
logits = (torch.randn(6, 5, generator=g) * 3).requires_grad_(True)
target = torch.randint(0, 2, (6, 5), generator=g).float()
loss = F.binary_cross_entropy_with_logits(logits, target)
loss.backward()
cases["binary_cross_entropy_with_logits"] = {"logits": t(logits), "target": t(target), "loss": t(loss), "gradLogits": t(logits.grad)}

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    json.dump({"torchVersion": torch.__version__, "cases": cases}, f)
print("wrote", OUT)
