#!/usr/bin/python3
"""Reference for noiselab's bf16 autocast on CPU (test/environment/autocast.test.ts).

Run with Debian's python3-torch:  /usr/bin/python3 scripts/make_autocast_fixtures.py

One training step of the paper's SmallCNN (as make_model_fixtures.py builds it) on a 4×3×16×16 input:
the forward and the cross-entropy loss under torch.autocast("cpu", dtype=torch.bfloat16), the backward
outside it, as a PyTorch training loop does; and the same step in float32, so the test can tell that
autocast changed something. Writes test/fixtures/torch/autocast-bf16.json.
"""
import json
import os

import torch
import torch.nn.functional as F

from make_model_fixtures import INIT_SEED, INPUT_SEED, small_cnn, tensor_fixture

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "torch", "autocast-bf16.json")


def step(model, x, y, autocast):
    model.zero_grad(set_to_none=True)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
        out = model(x)
        loss = F.cross_entropy(out, y)
    loss.backward()
    return {
        "outputDtype": str(out.dtype).replace("torch.", ""),
        "output": tensor_fixture(out.float()),
        "loss": float(loss),
        "grads": {name: tensor_fixture(p.grad) for name, p in model.named_parameters()},
    }


def main():
    torch.set_num_threads(1)
    torch.manual_seed(INIT_SEED)
    model = small_cnn().train()
    g = torch.Generator().manual_seed(INPUT_SEED)
    x = torch.randn(4, 3, 16, 16, generator=g)
    y = torch.randint(0, 10, (4,), generator=g)
    fixture = {
        "torch": torch.__version__,
        "state": {name: tensor_fixture(t) for name, t in model.state_dict().items()},
        "input": tensor_fixture(x),
        "labels": y.tolist(),
        "bf16": step(model, x, y, True),
        "fp32": step(model, x, y, False),
    }
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
