"""A safetensors writer on torch alone (the format: an 8-byte header length, a JSON header, the bytes)."""
import json
import struct

import torch

_DTYPES = {
    torch.float64: "F64",
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.int16: "I16",
    torch.int8: "I8",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}


def tensor_bytes(tensor: torch.Tensor) -> bytes:
    """The tensor's elements in C order, little-endian, as stored on the CPU."""
    t = tensor.detach().to("cpu").contiguous()
    # numpy has no bfloat16: reinterpret its 2-byte elements.
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def encode(tensors) -> bytes:
    """`tensors`: name → tensor, written in sorted name order, so equal tensors give equal files."""
    header = {}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        tensor = tensors[name]
        if tensor.dtype not in _DTYPES:
            raise TypeError(f"noiselab.save_weights: tensor {name!r} has dtype {tensor.dtype}, which safetensors cannot store")
        data = tensor_bytes(tensor)
        header[name] = {"dtype": _DTYPES[tensor.dtype], "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)
