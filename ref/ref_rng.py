"""ref_rng.py OUTDIR: torch's CPU generator output for tests/test_parity_rng.c.

Each entry records a sequence of draws after torch.manual_seed(seed), in the order listed in its
name, so the C generator (src/base/rng.c) can be checked value for value, including torch's
16-wide Box-Muller path (n >= 16, with the n % 16 tail recomputed), its scalar double path
(n < 16) with the cached second sample carried between calls, and torch.rand.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_io  # noqa: E402

out = {}
torch.manual_seed(0)
out["seed0.randn20"] = torch.randn(20)
out["seed0.then.randn3"] = torch.randn(3)
torch.manual_seed(42)
out["seed42.randn1000"] = torch.randn(1000)
torch.manual_seed(7)
out["seed7.randn17"] = torch.randn(17)
out["seed7.then.randn5"] = torch.randn(5)
out["seed7.then.randn5b"] = torch.randn(5)
out["seed7.then.rand100"] = torch.rand(100)
torch.manual_seed(123456789)
out["seed123456789.rand7"] = torch.rand(7)
out["seed123456789.then.randn64"] = torch.randn(64) * 0.5 + 2.0
st_io.save(os.path.join(sys.argv[1], "rng.safetensors"), {k: v.numpy() for k, v in out.items()},
           {"torch": torch.__version__})
print(f"  rng: {len(out)} sequences")
