#!/usr/bin/env python3
"""The Python side of the safetensors interop test (test/torch/safetensors-interop.test.ts).

Uses Hugging Face's `safetensors` library (Debian 13: python3-safetensors) with NumPy.
    safetensors_interop.py write FILE   writes the reference tensors below
    safetensors_interop.py read FILE    prints every tensor of FILE as JSON: dtype, shape, values
"""
import json
import sys

import numpy as np
from safetensors.numpy import load_file, save_file

REFERENCE = {
    "float32": np.array([[1.5, -2.25, 3.0], [0.1, 1e-30, -7.0]], dtype=np.float32),
    "float64": np.array([np.pi, -1e300], dtype=np.float64),
    "int64": np.array([2**40, -3, 0], dtype=np.int64),
    "int32": np.array([[7], [-9]], dtype=np.int32),
    "uint8": np.array([0, 255, 17], dtype=np.uint8),
    "bool": np.array([True, False, True]),
}


def main():
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "write":
        save_file(REFERENCE, path, metadata={"writer": "python safetensors"})
    elif mode == "read":
        tensors = load_file(path)
        print(json.dumps({name: {"dtype": str(t.dtype), "shape": list(t.shape), "values": t.flatten().tolist()} for name, t in tensors.items()}))
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
