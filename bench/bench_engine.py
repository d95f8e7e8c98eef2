"""bench_engine.py: the PyTorch half of `mosa bench engine` (run by it, not by hand).

Builds the same models as bench/bench_engine.c from ref/common.py (same architecture, shapes and
fp32), times them with the given thread count, and prints one JSON object per line:
  {"name": ..., "seconds": median seconds per iteration}
Inference runs under torch.inference_mode(); training is forward + backward of sum(y * r).
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ref"))
import common  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--reps", type=int, default=3)
ap.add_argument("--quick", action="store_true")
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)


def timeit(fn, reps):
    fn()  # warm-up
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    ts.sort()
    return ts[len(ts) // 2]


def emit(name, sec):
    print(json.dumps({"name": name, "seconds": sec}), flush=True)


# ---- DiT stack: 12 blocks, width 384, 6 heads, 608 tokens, batch 1 ----
depth, C, NH, T = (2 if a.quick else 12), 384, 6, 608
blocks = torch.nn.ModuleList([common.DiTBlock(C, NH) for _ in range(depth)])
for b in blocks:
    with torch.no_grad():
        b.adaLN_modulation[1].weight.normal_(0, 0.02)
x = torch.randn(1, T, C)
cond = torch.randn(1, C)


def dit_forward(inp):
    h = inp
    for b in blocks:
        h = b(h, cond)
    return h


def dit_infer():
    with torch.inference_mode():
        dit_forward(x)


r = torch.randn(1, T, C)


def dit_train():
    xi = x.clone().requires_grad_(True)
    y = dit_forward(xi)
    (y * r).sum().backward()
    for p in blocks.parameters():
        p.grad = None


emit("dit_infer", timeit(dit_infer, a.reps))
emit("dit_train", timeit(dit_train, a.reps))

# ---- causal conv3d VAE decoder stage: 33 frames, 64 channels, 32x32 ----
F_, H = 64, 32
Tf = 9 if a.quick else 33


class Stage(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.res0 = common.ResnetBlock3d(F_, F_, 32)
        self.res1 = common.ResnetBlock3d(F_, F_, 32)
        self.up = common.CausalConv3d(F_, F_)

    def forward(self, v):
        v = self.res1(self.res0(v))
        v = F.interpolate(v, scale_factor=(1, 2, 2), mode="nearest")
        return self.up(v)


stage = Stage()
v = torch.randn(1, F_, Tf, H, H)
rv = torch.randn(1, F_, Tf, 2 * H, 2 * H)


def vae_infer():
    with torch.inference_mode():
        stage(v)


def vae_train():
    vi = v.clone().requires_grad_(True)
    (stage(vi) * rv).sum().backward()
    for p in stage.parameters():
        p.grad = None


emit("vae_infer", timeit(vae_infer, max(1, a.reps - 1)))
emit("vae_train", timeit(vae_train, max(1, a.reps - 1)))
