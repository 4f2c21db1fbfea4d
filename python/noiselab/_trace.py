"""Divergence traces for `noiselab check --command`.

Forward hooks hash every module's output and tensor hooks hash every parameter's gradient, step by
step, into trace.jsonl (one JSON line per step: its entries as [phase, module, tensor, sha256]).
A step starts with each forward of the watched model in training mode. Rows of outputs are put back
in the order the loader drew the examples, so that a batch whose examples were only permuted is
compared example by example. After the traced steps the script is ended (exit code 0).
"""
import hashlib
import json
import os
import warnings

import numpy as np
import torch

from ._safetensors import tensor_bytes

NONDETERMINISTIC = "does not have a deterministic implementation"


def tensor_hash(t: torch.Tensor) -> str:
    t = t.detach()
    h = hashlib.sha256(f"{t.dtype}|{list(t.shape)}|".encode())
    h.update(tensor_bytes(t))
    return h.hexdigest()


class Tracer:
    def __init__(self, trace, batch_permutation):
        self.steps = trace.steps
        self.dump = trace.dump
        self.dir = trace.dir
        os.makedirs(self.dir, exist_ok=True)
        self.file = open(os.path.join(self.dir, "trace.jsonl"), "w", encoding="utf-8")
        # The permutation the loader applied to the current batch (None: rows are as drawn).
        self.batch_permutation = batch_permutation
        self.step = -1
        self.entries = []
        self.done = False
        self._capture_warnings()

    def _capture_warnings(self):
        shown = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):
            text = str(message)
            if NONDETERMINISTIC in text and not self.done:
                self.file.write(json.dumps({"warning": text.splitlines()[0]}) + "\n")
            shown(message, category, filename, lineno, file, line)

        warnings.simplefilter("always")
        warnings.showwarning = show

    def watch(self, model: torch.nn.Module):
        model.register_forward_pre_hook(self._start_step)
        for name, module in model.named_modules():
            module.register_forward_hook(self._forward_hook(name))
        for name, param in model.named_parameters():
            if param.requires_grad:
                param.register_hook(self._grad_hook(name))

    def _start_step(self, module, inputs):
        if not module.training or self.done:
            return
        self._flush()
        self.step += 1
        if self.step >= self.steps:
            self.finish()
            raise SystemExit(0)

    def _canonical_rows(self, t: torch.Tensor) -> torch.Tensor:
        perm = self.batch_permutation()
        if perm is None or t.dim() == 0 or t.shape[0] != perm.numel():
            return t
        return t.index_select(0, torch.argsort(perm).to(t.device))

    def _record(self, phase, module, tensor_name, t):
        if self.done or self.step < 0 or self.step >= self.steps:
            return
        index = len(self.entries)
        self.entries.append([phase, module, tensor_name, tensor_hash(t)])
        if self.dump is not None and self.dump == (self.step, index):
            np.save(os.path.join(self.dir, "dump.npy"), t.detach().to("cpu").double().numpy())
            self.finish()
            raise SystemExit(0)

    def _forward_hook(self, name):
        def hook(module, inputs, output):
            if not module.training:
                return
            outputs = output if isinstance(output, (tuple, list)) else [output]
            for i, out in enumerate(o for o in outputs if isinstance(o, torch.Tensor)):
                with torch.no_grad():
                    self._record("forward", name, "output" if i == 0 else f"output {i}", self._canonical_rows(out))

        return hook

    def _grad_hook(self, name):
        module = name.rpartition(".")[0]

        def hook(grad):
            self._record("backward", module, f"grad of {name}", grad)

        return hook

    def _flush(self):
        if self.step >= 0 and self.step < self.steps:
            self.file.write(json.dumps({"step": self.step, "entries": self.entries}) + "\n")
            self.file.flush()
        self.entries = []

    def finish(self):
        if self.done:
            return
        self._flush()
        self.done = True
        self.file.close()
