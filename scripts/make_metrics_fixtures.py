#!/usr/bin/python3
"""Reference fixtures for noiselab's metrics (test/metrics/numpy_crosscheck.test.ts).

Run with Debian's python3-numpy:  /usr/bin/python3 scripts/make_metrics_fixtures.py

Inputs are generated from a fixed seed and stored compactly (int8/uint8 .npy,
a CSV, small .safetensors written by hand here, independent of noiselab's
writer). The expected metrics are computed the plain way, with loops over
replicate pairs where noiselab uses shortcuts (d(x) from vote counts, the
blocked squared-difference Gram for weight distances), so the two
implementations share nothing but the definitions.
"""
import itertools
import json
import os
import struct

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "metrics")
N, n, C = 10, 5000, 10
N_SCORES, n_SCORES = 10, 500
TOP_K = 20
rng = np.random.default_rng(20210614)


def ddof1(x):
    return float(np.std(np.asarray(x, dtype=np.float64), ddof=1))


def summary(values):
    values = np.asarray(values, dtype=np.float64)
    return {"perReplicate": values.tolist(), "mean": float(values.mean()), "std": ddof1(values), "stdPopulation": float(values.std(ddof=0))}


# --- Inputs -----------------------------------------------------------------
labels = rng.integers(0, C, size=n)
# Each example has a difficulty; a replicate gets it right with that
# probability and otherwise guesses among a few confusable classes, so that
# replicates disagree in structured ways and majority votes sometimes tie.
p_correct = rng.beta(5, 1.2, size=n)
confusable = rng.integers(0, C, size=(n, 3))
preds = np.empty((N, n), dtype=np.int64)
for r in range(N):
    right = rng.random(n) < p_correct
    wrong = confusable[np.arange(n), rng.integers(0, 3, size=n)]
    preds[r] = np.where(right, labels, wrong)
sex = np.where(rng.random(n) < 0.45, "F", "M")
age = rng.choice(["young", "middle", "old"], size=n, p=[0.5, 0.3, 0.2])

score_labels = rng.integers(0, C, size=n_SCORES)
# uint8 scores tie often, which exercises the top-k tie convention.
scores = rng.integers(0, 40, size=(N_SCORES, n_SCORES, C)).astype(np.uint8)
scores[:, np.arange(n_SCORES), score_labels] += rng.integers(0, 30, size=(N_SCORES, n_SCORES)).astype(np.uint8)

tensor_specs = [
    ("conv.weight", (8, 3, 3, 3)),
    ("conv.bias", (8,)),
    ("bn.weight", (8,)),
    ("bn.bias", (8,)),
    ("bn.running_mean", (8,)),
    ("bn.running_var", (8,)),
    ("fc.weight", (10, 32)),
]
base = {name: rng.normal(0, 1, size=shape) for name, shape in tensor_specs}
weights = []
for r in range(N):
    w = {name: (base[name] * rng.uniform(0.8, 1.2) + rng.normal(0, 0.3, size=base[name].shape)).astype(np.float32) for name, _ in tensor_specs}
    w["bn.num_batches_tracked"] = np.array(1000 + r, dtype=np.int64)
    weights.append(w)
BUFFERS = {"bn.running_mean", "bn.running_var", "bn.num_batches_tracked"}


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, arr in tensors.items():
        data = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": {"float32": "F32", "int64": "I64"}[arr.dtype.name], "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        f.write(b"".join(blobs))


# --- Reference metrics ------------------------------------------------------
def accuracy_block(p, y):
    return summary([(p[r] == y).mean() for r in range(len(p))])


expected = {}
expected["top1"] = accuracy_block(preds, labels)

pairs = list(itertools.combinations(range(N), 2))
pair_churn = np.array([(preds[i] != preds[j]).mean() for i, j in pairs])
d = np.zeros(n)
for i, j in pairs:
    d += preds[i] != preds[j]
d /= len(pairs)
majority = np.array([np.argmax(np.bincount(preds[:, x], minlength=C)) for x in range(n)])  # argmax: ties to the smallest class
disc = [(preds[r] != majority).mean() for r in range(N)]
expected["churn"] = {
    "perPair": pair_churn.tolist(),
    "mean": float(pair_churn.mean()),
    "std": ddof1(pair_churn),
    "meanDisagreement": float(d.mean()),
    "disagreement": d.tolist()[:50],
    "ambiguity": float((d > 0).mean()),
    "discrepancy": float(max(disc)),
    "discrepancyReplicate": int(np.argmax(disc)),
    "unstable": np.argsort(-d, kind="stable")[:TOP_K].tolist(),
    "majorityTies": int(sum(1 for x in range(n) if (np.bincount(preds[:, x], minlength=C) == np.bincount(preds[:, x], minlength=C).max()).sum() > 1)),
}
ens = float((majority == labels).mean())
expected["ensemble"] = {"majorityVoteAccuracy": ens, "gain": ens - expected["top1"]["mean"]}

class_std = []
for c in range(C):
    mask = labels == c
    class_std.append(ddof1([(preds[r][mask] == c).mean() for r in range(N)]))
expected["perClass"] = {
    "std": class_std,
    "maxStd": float(max(class_std)),
    "maxStdClass": int(np.argmax(class_std)),
    "maxStdRatio": float(max(class_std) / expected["top1"]["std"]),
}

# Sub-groups on the binary task y % 2 (positive class 1).
yb, pb = labels % 2, preds % 2


def rates(p, y, mask):
    p, y = p[mask], y[mask]
    tp = ((p == 1) & (y == 1)).sum()
    fp = ((p == 1) & (y == 0)).sum()
    tn = ((p == 0) & (y == 0)).sum()
    fn = ((p == 0) & (y == 1)).sum()
    return {"accuracy": (p == y).mean(), "errorRate": (p != y).mean(), "fpr": fp / (fp + tn), "fnr": fn / (fn + tp)}


metrics = ["accuracy", "errorRate", "fpr", "fnr"]
everyone = np.ones(n, dtype=bool)
overall = {m: ddof1([rates(pb[r], yb, everyone)[m] for r in range(N)]) for m in metrics}
groupings = {"sex": [("sex",)], "age": [("age",)], "sex & age": [("sex", "age")]}
columns = {"sex": sex, "age": age}
groups, disparities = {}, {}
for gname, (attrs,) in groupings.items():
    combos = sorted(set(zip(*[columns[a] for a in attrs])))
    per_group = {}
    for combo in combos:
        mask = np.ones(n, dtype=bool)
        for a, v in zip(attrs, combo):
            mask &= columns[a] == v
        key = " & ".join(f"{a}={v}" for a, v in zip(attrs, combo))
        per_rep = [rates(pb[r], yb, mask) for r in range(N)]
        per_group[key] = per_rep
        groups[key] = {"count": int(mask.sum())}
        for m in metrics:
            vals = [pr[m] for pr in per_rep]
            groups[key][m] = {"mean": float(np.mean(vals)), "std": ddof1(vals), "stdRatio": ddof1(vals) / overall[m]}
    for m in metrics:
        diffs = [max(per_group[k][r][m] for k in per_group) - min(per_group[k][r][m] for k in per_group) for r in range(N)]
        ratios = [min(per_group[k][r][m] for k in per_group) / max(per_group[k][r][m] for k in per_group) for r in range(N)]
        disparities[f"{gname}/{m}"] = {"difference": [float(np.mean(diffs)), ddof1(diffs)], "ratio": [float(np.mean(ratios)), ddof1(ratios)]}
expected["subgroups"] = {"overallStd": overall, "groups": groups, "disparities": disparities}

# Top-5 with ties broken towards the smaller class (stable sort of -score).
top5 = []
for r in range(N_SCORES):
    order = np.argsort(-scores[r].astype(np.int64), axis=1, kind="stable")[:, :5]
    top5.append(float((order == score_labels[:, None]).any(axis=1).mean()))
top1_scores = [(np.argmax(scores[r], axis=1) == score_labels).mean() for r in range(N_SCORES)]
expected["scores"] = {"top5": summary(top5), "top1": summary(top1_scores)}


def weight_distances(include_buffers):
    names = [name for name in weights[0] if include_buffers or name not in BUFFERS]
    flat = [np.concatenate([w[name].astype(np.float64).ravel() for name in names]) for w in weights]
    unit = [np.linalg.norm(flat[i] / np.linalg.norm(flat[i]) - flat[j] / np.linalg.norm(flat[j])) for i, j in pairs]
    raw = [np.linalg.norm(flat[i] - flat[j]) for i, j in pairs]
    per_tensor = {}
    for name in names:
        vs = [w[name].astype(np.float64).ravel() for w in weights]
        per_tensor[name] = {
            "unitL2": float(np.mean([np.linalg.norm(vs[i] / np.linalg.norm(vs[i]) - vs[j] / np.linalg.norm(vs[j])) for i, j in pairs])),
            "rawL2": float(np.mean([np.linalg.norm(vs[i] - vs[j]) for i, j in pairs])),
        }
    return {
        "parameters": int(flat[0].size),
        "unitL2": {"perPair": [float(u) for u in unit], "mean": float(np.mean(unit)), "std": ddof1(unit)},
        "rawL2": {"perPair": [float(u) for u in raw], "mean": float(np.mean(raw)), "std": ddof1(raw)},
        "perTensor": per_tensor,
    }


expected["weights"] = {"trainable": weight_distances(False), "withBuffers": weight_distances(True)}

# Brown–Forsythe F statistic, replicates 0-4 against 5-9.
acc = np.array(expected["top1"]["perReplicate"])
groups_bf = [acc[:5], acc[5:]]
z = [np.abs(g - np.median(g)) for g in groups_bf]
zbar = np.concatenate(z).mean()
between = sum(len(g) * (g.mean() - zbar) ** 2 for g in z)
within = sum(((g - g.mean()) ** 2).sum() for g in z)
expected["brownForsythe"] = {"statistic": float((len(acc) - 2) / 1 * between / within), "df1": 1, "df2": len(acc) - 2}

# --- Write ------------------------------------------------------------------
os.makedirs(OUT, exist_ok=True)
np.save(os.path.join(OUT, "preds.npy"), preds.astype(np.int8))
np.save(os.path.join(OUT, "labels.npy"), labels.astype(np.int8))
np.save(os.path.join(OUT, "scores.npy"), scores)
np.save(os.path.join(OUT, "score_labels.npy"), score_labels.astype(np.int8))
with open(os.path.join(OUT, "groups.csv"), "w", newline="") as f:
    f.write("sex,age\n")
    f.writelines(f"{s},{a}\n" for s, a in zip(sex, age))
for r, w in enumerate(weights):
    write_safetensors(os.path.join(OUT, f"weights_{r}.safetensors"), w)
with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
    f.write("\n")
print(f"wrote fixtures to {os.path.normpath(OUT)}")
