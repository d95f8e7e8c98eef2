"""bench_t2v.py: the PyTorch half of `mosa bench t2v` (run by it, not by hand).

Loads the same weights as the C side from the same files: the DiT (ref/ref_dit.py's DiT, the
"transformer.*" tensors of the t2v file), the text encoder ("text_encoder.*", the module of
ref/ref_text_encoder.py, rebuilt here from ref/common.py because that file is a fixture script),
and the VAE decoder ("decoder.*" of the VAE file; ref/vae_modules.py's Decoder, the module the
parity fixtures of ref/ref_vae.py use, sized from the file's config). Runs the default generation in fp32 under inference_mode with
the given thread count: text encoding of the prompt and the empty caption, `steps` DDIM steps
with classifier-free guidance (the DiT on a batch of 2), the VAE decode of the whole clip at
once, conversion to uint8. Prints one JSON object per line: {"name": ..., "value": ...} with
step (median seconds per denoising step), decode (seconds), e2e (seconds, text to uint8 frames)
and maxrss_mib (peak resident memory of this process, model loading included).
"""
import argparse
import json
import os
import re
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ref"))
import common  # noqa: E402
from ref_dit import DiT, DiTConfig, alphas_cumprod, load_weights, read_safetensors, trailing_timesteps  # noqa: E402
from vae_modules import Decoder, parse_config  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--t2v", required=True)
ap.add_argument("--vae", required=True)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--steps", type=int, default=30)
ap.add_argument("--cfg", type=float, default=6.0)
ap.add_argument("--prompt", default="A woman in a red top runs on a gravel path in a park")
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--dump", help="also write the uint8 frames (T,H,W,3) raw to this file (to compare with mosa)")
a = ap.parse_args()
torch.set_num_threads(a.threads)


def emit(name, value):
    print(json.dumps({"name": name, "value": value}), flush=True)


def kv(s):
    return dict(item.split("=", 1) for item in s.split())


# ---- the text encoder (ref/ref_text_encoder.py's TextEncoder) ----
class TextEncoder(nn.Module):
    def __init__(self, vocab, width, layers, heads, max_len):
        super().__init__()
        self.tok_emb = nn.Embedding(vocab, width)
        self.pos_emb = nn.Parameter(torch.zeros(max_len, width))
        self.blocks = nn.ModuleList([common.TransformerBlock(width, heads) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(width, eps=1e-5)

    def forward(self, ids):
        B, L = ids.shape
        x = self.tok_emb(ids) + self.pos_emb[:L]
        mask = ids != 0
        for blk in self.blocks:
            x = blk(x, causal=False, key_mask=mask)
        return self.ln_f(x)


# ---- load ----
_, meta = read_safetensors(a.t2v)
dcfg = DiTConfig.parse(meta["t2v.dit"])
tc = {k: int(v) for k, v in kv(meta["t2v.text"]).items()}
sc = kv(meta["t2v.schedule"])
size = {k: int(v) for k, v in kv(meta["t2v.size"]).items()}
_, vmeta = read_safetensors(a.vae)
vc, scaling = parse_config(vmeta["vae.config"])

enc = load_weights(TextEncoder(tc["vocab"], tc["width"], tc["layers"], tc["heads"], tc["max_len"]), a.t2v,
                   "text_encoder.").eval()
dit = load_weights(DiT(dcfg), a.t2v, "transformer.").eval()
dec = load_weights(Decoder(vc), a.vae, "decoder.").eval()

words = {w: i + 4 for i, w in enumerate(meta["t2v.vocab"].split())}
ids = [2] + [words.get(w, 1) for w in re.findall(r"[a-z0-9']+", a.prompt.lower())][: tc["max_len"] - 2] + [3]
L = len(ids)
tok = torch.zeros(2, L, dtype=torch.long)
tok[0] = torch.tensor(ids)
tok[1, 0], tok[1, 1] = 2, 3

abar = alphas_cumprod(sc["betas"], int(sc["T"]), float(sc["beta0"]), float(sc["beta1"]), int(sc["zero_snr"])).float()
ts = [int(t) for t in trailing_timesteps(int(sc["T"]), a.steps)]
sf, tf = 2 ** (vc["levels"] - 1), 2 ** vc["time_levels"]
C, Fl, h, w = dcfg.latent_ch, 1 + (size["frames"] - 1) // tf, size["H"] // sf, size["W"] // sf
pred = sc["pred"]
# the diffusion's per-channel latent normalisation (t2v.latents; absent in older files: 0 and 1)
lat_mean, lat_std = torch.zeros(C), torch.ones(C)
if "t2v.latents" in meta:
    mean_s, std_s = meta["t2v.latents"].split(" ")
    lat_mean = torch.tensor([float(v) for v in mean_s[len("mean="):].split(",")], dtype=torch.float32)
    lat_std = torch.tensor([float(v) for v in std_s[len("std="):].split(",")], dtype=torch.float32)


def run():
    step_times = []
    t0 = time.perf_counter()
    with torch.inference_mode():
        text = enc(tok)
        mask = tok != 0
        x = torch.randn(1, C, Fl, h, w, generator=torch.Generator().manual_seed(a.seed))
        for i, t in enumerate(ts):
            s0 = time.perf_counter()
            out = dit(x.expand(2, -1, -1, -1, -1), text, torch.tensor([float(t), float(t)]), mask)
            o = out[1:] + a.cfg * (out[:1] - out[1:])
            a_t = abar[t]
            a_p = abar[ts[i + 1]] if i + 1 < len(ts) else torch.tensor(1.0)
            if pred == "eps":
                x0, e = (x - (1 - a_t).sqrt() * o) / a_t.sqrt(), o
            else:
                x0, e = a_t.sqrt() * x - (1 - a_t).sqrt() * o, a_t.sqrt() * o + (1 - a_t).sqrt() * x
            x = a_p.sqrt() * x0 + (1 - a_p).sqrt() * e
            step_times.append(time.perf_counter() - s0)
        d0 = time.perf_counter()
        x = x * lat_std.view(1, C, 1, 1, 1) + lat_mean.view(1, C, 1, 1, 1)
        video = dec(x / scaling).clamp(-1, 1)
        frames = ((video[0].permute(1, 2, 3, 0) + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)
        d1 = time.perf_counter()
    assert frames.shape == (size["frames"], size["H"], size["W"], 3), frames.shape
    step_times.sort()
    if a.dump:
        with open(a.dump, "wb") as f:
            f.write(frames.contiguous().numpy().tobytes())
    return step_times[len(step_times) // 2], d1 - d0, d1 - t0


step, decode, e2e = run()
emit("step", step)
emit("decode", decode)
emit("e2e", e2e)
emit("maxrss_mib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0)
