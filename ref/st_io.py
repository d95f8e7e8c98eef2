"""st_io.py: a minimal safetensors writer (json + struct + numpy) for the reference fixtures.

The safetensors Python package is not in Debian, so the fixtures are written by this small,
independent implementation of the format (header length u64 LE, JSON header padded with spaces
to a multiple of 8, tensors packed in order). Reading them in C exercises our reader on a file
that another implementation wrote.
"""
import json
import struct

import numpy as np


def save(path, tensors, metadata=None):
    """tensors: dict name -> array-like (stored as F32, C order)."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(np.asarray(tensors[name], dtype=np.float32))
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    import os
    os.replace(path + ".tmp", path)


def add_module(out, module, prefix=""):
    """Parameters of a torch module (state_dict names) and their gradients ("grad.<name>")."""
    for name, p in module.named_parameters():
        key = prefix + name
        out[key] = p.detach().double().numpy()
        if p.grad is not None:
            out["grad." + key] = p.grad.detach().double().numpy()
