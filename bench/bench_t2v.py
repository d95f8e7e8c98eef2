"""bench_t2v.py: the PyTorch half of `mosa bench t2v` (run by it, not by hand).

Loads the same weights as the C side from the same files: the DiT (ref/ref_dit.py's DiT, the
"transformer.*" tensors of the t2v file), the text encoder ("text_encoder.*", the module of
ref/ref_text_encoder.py, rebuilt here from ref/common.py because that file is a fixture script),
and the VAE decoder ("decoder.*" of the VAE file; the structure of src/video/vae.h as
ref/ref_vae.py builds it, rebuilt here from the file's config because ref_vae.py is a fixture
script with its sizes fixed). Runs the default generation in fp32 under inference_mode with
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


# ---- the VAE decoder (ref/ref_vae.py's modules, sized from the config) ----
class CausalConv3d(nn.Module):
    def __init__(self, c, f):
        super().__init__()
        self.conv = nn.Conv3d(c, f, 3, padding=(0, 1, 1))

    def forward(self, x):
        return self.conv(torch.cat([x[:, :, :1], x[:, :, :1], x], dim=2))


class FrameGroupNorm(nn.Module):
    def __init__(self, c, groups):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(c))
        self.bias = nn.Parameter(torch.zeros(c))
        self.groups = groups

    def forward(self, x):
        n, c, t, h, w = x.shape
        y = x.permute(0, 2, 1, 3, 4).reshape(n * t, c, h, w)
        y = F.group_norm(y, self.groups, self.weight, self.bias, 1e-6)
        return y.reshape(n, t, c, h, w).permute(0, 2, 1, 3, 4)


class KernelOneConv(nn.Module):
    def __init__(self, c, f):
        super().__init__()
        self.conv = nn.Conv3d(c, f, 1)

    def forward(self, x):
        return self.conv(x)


class SpatialNorm3D(nn.Module):
    """diffusers' SpatialNorm3D over a per-frame GroupNorm: norm(f) * conv_y(zq) + conv_b(zq)."""

    def __init__(self, c, zc, groups):
        super().__init__()
        self.norm_layer = FrameGroupNorm(c, groups)
        self.conv_y, self.conv_b = KernelOneConv(zc, c), KernelOneConv(zc, c)

    def forward(self, f, zq):
        if f.shape[2] > 1 and f.shape[2] % 2 == 1:
            zq = torch.cat([F.interpolate(zq[:, :, :1], size=f[:, :, :1].shape[-3:]),
                            F.interpolate(zq[:, :, 1:], size=f[:, :, 1:].shape[-3:])], dim=2)
        else:
            zq = F.interpolate(zq, size=f.shape[-3:])
        return self.norm_layer(f) * self.conv_y(zq) + self.conv_b(zq)


def make_norm(c, zc, g):
    return SpatialNorm3D(c, zc, g) if zc else FrameGroupNorm(c, g)


def apply_norm(norm, x, zq):
    return norm(x, zq) if isinstance(norm, SpatialNorm3D) else norm(x)


class ResnetBlock(nn.Module):
    def __init__(self, c, f, g, zc):
        super().__init__()
        self.norm1, self.conv1 = make_norm(c, zc, g), CausalConv3d(c, f)
        self.norm2, self.conv2 = make_norm(f, zc, g), CausalConv3d(f, f)
        self.conv_shortcut = nn.Conv3d(c, f, 1) if c != f else None

    def forward(self, x, zq):
        h = self.conv1(F.silu(apply_norm(self.norm1, x, zq)))
        h = self.conv2(F.silu(apply_norm(self.norm2, h, zq)))
        return (self.conv_shortcut(x) if self.conv_shortcut is not None else x) + h


def per_frame(conv, x):
    n, c, t, h, w = x.shape
    y = conv(x.permute(0, 2, 1, 3, 4).reshape(n * t, c, h, w))
    return y.reshape(n, t, *y.shape[1:]).permute(0, 2, 1, 3, 4)


class Upsample(nn.Module):
    def __init__(self, c, compress_time):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, stride=1, padding=1)
        self.compress_time = compress_time

    def forward(self, x):
        if self.compress_time:
            first = F.interpolate(x[:, :, :1], scale_factor=(1, 2, 2), mode="nearest")
            if x.shape[2] > 1:
                rest = F.interpolate(x[:, :, 1:], scale_factor=(2, 2, 2), mode="nearest")
                x = torch.cat([first, rest], dim=2)
            else:
                x = first
        else:
            x = F.interpolate(x, scale_factor=(1, 2, 2), mode="nearest")
        return per_frame(self.conv, x)


class UpBlock(nn.Module):
    def __init__(self, resnets, up):
        super().__init__()
        self.resnets = nn.ModuleList(resnets)
        if up is not None:
            self.upsamplers = nn.ModuleList([up])

    def forward(self, x, zq):
        for r in self.resnets:
            x = r(x, zq)
        if hasattr(self, "upsamplers"):
            x = self.upsamplers[0](x)
        return x


class Mid(nn.Module):
    def __init__(self, c, g, zc):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock(c, c, g, zc), ResnetBlock(c, c, g, zc)])

    def forward(self, x, zq):
        for r in self.resnets:
            x = r(x, zq)
        return x


class LinearPath(nn.Module):
    """The decoder's linear path: each latent pixel -> a tf x sf x sf patch, first tf-1 frames dropped."""

    def __init__(self, cfg):
        super().__init__()
        self.c, self.tf, self.sf = cfg["in_ch"], 2 ** cfg["time_levels"], 2 ** (cfg["levels"] - 1)
        p = self.c * self.tf * self.sf * self.sf
        self.weight = nn.Parameter(torch.zeros(p, cfg["latent_ch"], 1, 1, 1))
        self.bias = nn.Parameter(torch.zeros(p))

    def forward(self, z):
        n, _, t, h, w = z.shape
        c, tf, sf = self.c, self.tf, self.sf
        y = F.conv3d(z, self.weight, self.bias).reshape(n, c, tf, sf, sf, t, h, w)
        y = y.permute(0, 1, 5, 2, 6, 3, 7, 4).reshape(n, c, t * tf, h * sf, w * sf)
        return y[:, :, tf - 1:]


class Decoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        ch, L, g = cfg["ch"], cfg["levels"], cfg["groups"]
        zc = cfg["latent_ch"] if cfg.get("spatial_norm", 0) else 0
        self.conv_in = CausalConv3d(cfg["latent_ch"], ch[-1])
        self.mid_block = Mid(ch[-1], g, zc)
        blocks = []
        for j in range(L):
            f = ch[L - 1 - j]
            cin = ch[-1] if j == 0 else ch[L - j]
            rs = [ResnetBlock(cin if k == 0 else f, f, g, zc) for k in range(cfg["layers"] + 1)]
            up = Upsample(f, j < cfg["time_levels"]) if j < L - 1 else None
            blocks.append(UpBlock(rs, up))
        self.up_blocks = nn.ModuleList(blocks)
        self.norm_out = make_norm(ch[0], zc, g)
        self.conv_out = CausalConv3d(ch[0], cfg["in_ch"])
        self.linear_path = LinearPath(cfg) if cfg.get("linear_path", 0) else None

    def forward(self, z):
        h = self.mid_block(self.conv_in(z), z)
        for b in self.up_blocks:
            h = b(h, z)
        y = self.conv_out(F.silu(apply_norm(self.norm_out, h, z)))
        return y + self.linear_path(z) if self.linear_path is not None else y


# ---- load ----
_, meta = read_safetensors(a.t2v)
dcfg = DiTConfig.parse(meta["t2v.dit"])
tc = {k: int(v) for k, v in kv(meta["t2v.text"]).items()}
sc = kv(meta["t2v.schedule"])
size = {k: int(v) for k, v in kv(meta["t2v.size"]).items()}
_, vmeta = read_safetensors(a.vae)
vr = kv(vmeta["vae.config"])
vc = {k: int(v) for k, v in vr.items() if k not in ("ch", "scaling_factor")}
vc["ch"] = [int(c) for c in vr["ch"].split(",")]
scaling = float(vr["scaling_factor"])

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
