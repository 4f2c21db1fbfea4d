#!/usr/bin/python3
"""Reference values for noiselab's paired metrics (src/metrics/paired.ts), checked by
test/metrics/paired.test.ts.

Run with Debian's python3-numpy, after scripts/make_metrics_fixtures.py:
    /usr/bin/python3 scripts/make_paired_fixtures.py

It reads that script's inputs (10 prediction sets, labels, 10 weight files, read
here with a small safetensors reader of its own) and pairs model i with model
i + 5, as two environments trained with the same seeds would be paired.
"""
import json
import os
import struct

import numpy as np

DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "metrics")
BUFFERS = {"bn.running_mean", "bn.running_var", "bn.num_batches_tracked"}
DTYPES = {"F32": np.float32, "I64": np.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    return {
        name: np.frombuffer(data[t["data_offsets"][0]:t["data_offsets"][1]], dtype=DTYPES[t["dtype"]]).reshape(t["shape"])
        for name, t in header.items()
        if name != "__metadata__"
    }


def summary(values):
    values = np.asarray(values, dtype=np.float64)
    return {"perPair": values.tolist(), "mean": float(values.mean()), "std": float(values.std(ddof=1))}


preds = np.load(os.path.join(DIR, "preds.npy")).astype(np.int64)
labels = np.load(os.path.join(DIR, "labels.npy")).astype(np.int64)
weights = [read_safetensors(os.path.join(DIR, f"weights_{r}.safetensors")) for r in range(10)]
pairs = [(i, i + 5) for i in range(5)]


def unit(w):
    flat = np.concatenate([w[name].astype(np.float64).ravel() for name in w if name not in BUFFERS])
    return flat / np.linalg.norm(flat)


expected = {
    "pairs": [list(p) for p in pairs],
    "churn": summary([(preds[a] != preds[b]).mean() for a, b in pairs]),
    "unitL2": summary([np.linalg.norm(unit(weights[a]) - unit(weights[b])) for a, b in pairs]),
    "accuracyDifference": summary([(preds[a] == labels).mean() - (preds[b] == labels).mean() for a, b in pairs]),
}
with open(os.path.join(DIR, "paired.json"), "w") as f:
    json.dump(expected, f, indent=1)
