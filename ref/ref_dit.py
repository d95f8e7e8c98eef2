"""ref_dit.py OUTDIR: the PyTorch twin of src/video/dit.c and src/video/diffusion.c, and the
fixtures of tests/test_parity_dit.c.

Module classes (importable: `from ref_dit import DiT, DiTConfig, load_weights`) mirror diffusers'
CogVideoXTransformer3DModel (use_rotary_positional_embeddings=True, patch_size_t=None) and its
CogVideoXBlock name for name ("transformer_blocks.0.attn1.to_q.weight", "norm_out.linear.bias",
...), written from scratch in plain torch (Debian's python3-torch, no diffusers), with two
deliberate differences that mosa's C model shares: latents are (B, C, F, h, w) (diffusers:
(B, F, C, h, w)) and padded text keys are masked out of the attention. `load_weights` fills a
module from a safetensors file by parameter name.

Run as a script, it writes (float64 computation, stored as F32):
  OUTDIR/dit_cogvideox_block.safetensors  a tiny 1-layer model's parameters; block 0 run alone on token
      inputs "in.video", "in.text", "in.temb" with a padded key mask "in.mask" and the 3D grid
      in metadata; outputs "out.video", "out.text"; cotangents "in.r_video", "in.r_text"; the
      gradients "grad.<param>" of the block's parameters and "grad.in.*" of its inputs;
  OUTDIR/dit_model.safetensors  a tiny 2-layer model (proj_out not zero, so every gradient is
      alive) on latents "in.x", text "in.text", mask "in.mask", timesteps "in.t"; "out.y", "in.r",
      and the gradients of every parameter and of x and text for loss sum(y * r);
  OUTDIR/dit_diffusion.safetensors  alphas_cumprod of scaled_linear (with and without the zero
      terminal SNR rescale, computed as diffusers does: through betas and back) and linear;
      diffusers-style trailing timesteps for several step counts; DDIM steps (eps, v, v at
      abar = 0, to the clean end) and a flow Euler step on fixed arrays.
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# ------------------------------------------------------------------------------------------
# Model
# ------------------------------------------------------------------------------------------


class DiTConfig:
    """Same fields and defaults as dit_config (src/video/dit.h)."""

    def __init__(self, latent_ch=8, patch=2, width=256, layers=8, heads=4, mlp_ratio=4, text_dim=128, time_dim=256,
                 rope_theta=10000.0):
        self.latent_ch, self.patch, self.width, self.layers = latent_ch, patch, width, layers
        self.heads, self.mlp_ratio, self.text_dim, self.time_dim = heads, mlp_ratio, text_dim, time_dim
        self.rope_theta = rope_theta

    def format(self):
        return (f"latent_ch={self.latent_ch} patch={self.patch} width={self.width} layers={self.layers} "
                f"heads={self.heads} mlp_ratio={self.mlp_ratio} text_dim={self.text_dim} "
                f"time_dim={self.time_dim} rope_theta={self.rope_theta:g}")

    @staticmethod
    def parse(s):
        kv = dict(item.split("=") for item in s.split())
        c = DiTConfig()
        for k, v in kv.items():
            setattr(c, k, float(v) if k == "rope_theta" else int(v))
        return c


def timestep_embedding(t, dim):
    """get_timestep_embedding(t, dim, flip_sin_to_cos=True, downscale_freq_shift=0)."""
    half = dim // 2
    freq = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float64) / half)
    arg = t.to(torch.float64)[:, None] * freq[None, :]
    emb = torch.cat([torch.cos(arg), torch.sin(arg)], dim=-1)
    if dim % 2:
        emb = F.pad(emb, (0, 1))
    return emb


def rope_3d(F_, H, W, D, theta=10000.0):
    """CogVideoX's get_3d_rotary_pos_embed on an integer grid: (F*H*W, D) cos and sin, each
    frequency repeated for its pair (repeat_interleave), parts [t (D/4), h (3D/8), w (3D/8)]."""
    dt, dh, dw = D // 4, D // 8 * 3, D // 8 * 3

    def freqs(n, d):
        f = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.float64)[: d // 2] / d))
        return torch.outer(torch.arange(n, dtype=torch.float64), f).repeat_interleave(2, dim=-1)

    ft, fh, fw = freqs(F_, dt), freqs(H, dh), freqs(W, dw)
    ang = torch.cat([ft[:, None, None, :].expand(F_, H, W, dt), fh[None, :, None, :].expand(F_, H, W, dh),
                     fw[None, None, :, :].expand(F_, H, W, dw)], dim=-1).reshape(F_ * H * W, D)
    return torch.cos(ang), torch.sin(ang)


def apply_rotary_emb(x, cos, sin):
    """diffusers' apply_rotary_emb(use_real=True, use_real_unbind_dim=-1): x (B, NH, S, D)."""
    xr, xi = x.reshape(*x.shape[:-1], -1, 2).unbind(-1)
    rot = torch.stack([-xi, xr], dim=-1).flatten(-2)
    return x * cos.to(x.dtype) + rot * sin.to(x.dtype)


class LayerNormZero(nn.Module):
    """CogVideoXLayerNormZero."""

    def __init__(self, time_dim, dim):
        super().__init__()
        self.linear = nn.Linear(time_dim, 6 * dim)
        self.norm = nn.LayerNorm(dim, eps=1e-5)

    def forward(self, video, text, temb):
        shift, scale, gate, e_shift, e_scale, e_gate = self.linear(F.silu(temb)).chunk(6, dim=1)
        video = self.norm(video) * (1 + scale)[:, None] + shift[:, None]
        text = self.norm(text) * (1 + e_scale)[:, None] + e_shift[:, None]
        return video, text, gate[:, None], e_gate[:, None]


class Attention(nn.Module):
    """diffusers' Attention with CogVideoXAttnProcessor2_0 (qk_norm layer_norm eps 1e-6)."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        D = dim // heads
        self.to_q = nn.Linear(dim, dim)
        self.to_k = nn.Linear(dim, dim)
        self.to_v = nn.Linear(dim, dim)
        self.norm_q = nn.LayerNorm(D, eps=1e-6)
        self.norm_k = nn.LayerNorm(D, eps=1e-6)
        self.to_out = nn.ModuleList([nn.Linear(dim, dim), nn.Dropout(0.0)])

    def forward(self, video, text, rope, key_mask):
        Lt = text.shape[1]
        h = torch.cat([text, video], dim=1)
        B, L, C = h.shape
        D = C // self.heads
        q = self.norm_q(self.to_q(h).view(B, L, self.heads, D)).transpose(1, 2)
        k = self.norm_k(self.to_k(h).view(B, L, self.heads, D)).transpose(1, 2)
        v = self.to_v(h).view(B, L, self.heads, D).transpose(1, 2)
        if rope is not None:
            q = torch.cat([q[:, :, :Lt], apply_rotary_emb(q[:, :, Lt:], *rope)], dim=2)
            k = torch.cat([k[:, :, :Lt], apply_rotary_emb(k[:, :, Lt:], *rope)], dim=2)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(D)
        if key_mask is not None:
            s = s.masked_fill(~key_mask[:, None, None, :], float("-inf"))
        o = (s.softmax(-1) @ v).transpose(1, 2).reshape(B, L, C)
        o = self.to_out[1](self.to_out[0](o))
        return o[:, Lt:], o[:, :Lt]


class GELUProj(nn.Module):
    def __init__(self, dim_in, dim_out):
        super().__init__()
        self.proj = nn.Linear(dim_in, dim_out)

    def forward(self, x):
        return F.gelu(self.proj(x), approximate="tanh")


class FeedForward(nn.Module):
    def __init__(self, dim, inner):
        super().__init__()
        self.net = nn.ModuleList([GELUProj(dim, inner), nn.Dropout(0.0), nn.Linear(inner, dim), nn.Dropout(0.0)])

    def forward(self, x):
        for m in self.net:
            x = m(x)
        return x


class CogVideoXBlock(nn.Module):
    def __init__(self, dim, heads, time_dim, mlp_ratio=4):
        super().__init__()
        self.norm1 = LayerNormZero(time_dim, dim)
        self.attn1 = Attention(dim, heads)
        self.norm2 = LayerNormZero(time_dim, dim)
        self.ff = FeedForward(dim, mlp_ratio * dim)

    def forward(self, video, text, temb, rope=None, key_mask=None):
        """video (B, Lv, C), text (B, Lt, C), temb (B, time_dim), rope (cos, sin) for the video
        rows, key_mask (B, Lt + Lv) bool or None -> (video, text)."""
        Lt = text.shape[1]
        nv, nt, gate, e_gate = self.norm1(video, text, temb)
        av, at = self.attn1(nv, nt, rope, key_mask)
        video = video + gate * av
        text = text + e_gate * at
        nv, nt, gate, e_gate = self.norm2(video, text, temb)
        ff = self.ff(torch.cat([nt, nv], dim=1))
        video = video + gate * ff[:, Lt:]
        text = text + e_gate * ff[:, :Lt]
        return video, text


class PatchEmbed(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.proj = nn.Conv2d(cfg.latent_ch, cfg.width, cfg.patch, stride=cfg.patch)
        self.text_proj = nn.Linear(cfg.text_dim, cfg.width)

    def forward(self, text, x):
        B, C, F_, H, W = x.shape
        v = self.proj(x.transpose(1, 2).reshape(B * F_, C, H, W))  # (B F, width, hp, wp)
        v = v.view(B, F_, *v.shape[1:]).flatten(3).transpose(2, 3).flatten(1, 2)  # (B, F hp wp, width)
        return self.text_proj(text), v


class TimestepEmbedding(nn.Module):
    def __init__(self, dim, time_dim):
        super().__init__()
        self.linear_1 = nn.Linear(dim, time_dim)
        self.linear_2 = nn.Linear(time_dim, time_dim)

    def forward(self, x):
        return self.linear_2(F.silu(self.linear_1(x)))


class AdaLayerNormOut(nn.Module):
    """diffusers' AdaLayerNorm(chunk_dim=1): shift first, then scale."""

    def __init__(self, time_dim, dim):
        super().__init__()
        self.linear = nn.Linear(time_dim, 2 * dim)
        self.norm = nn.LayerNorm(dim, eps=1e-5)

    def forward(self, x, temb):
        shift, scale = self.linear(F.silu(temb)).chunk(2, dim=1)
        return self.norm(x) * (1 + scale)[:, None] + shift[:, None]


class DiT(nn.Module):
    """CogVideoXTransformer3DModel twin: forward(x (B,C,F,h,w), text (B,Lt,text_dim), t (B),
    text_mask (B,Lt) or None) -> (B,C,F,h,w)."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.patch_embed = PatchEmbed(cfg)
        self.time_embedding = TimestepEmbedding(cfg.width, cfg.time_dim)
        self.transformer_blocks = nn.ModuleList(
            [CogVideoXBlock(cfg.width, cfg.heads, cfg.time_dim, cfg.mlp_ratio) for _ in range(cfg.layers)])
        self.norm_final = nn.LayerNorm(cfg.width, eps=1e-5)
        self.norm_out = AdaLayerNormOut(cfg.time_dim, cfg.width)
        self.proj_out = nn.Linear(cfg.width, cfg.patch * cfg.patch * cfg.latent_ch)
        nn.init.zeros_(self.proj_out.weight)
        nn.init.zeros_(self.proj_out.bias)

    def forward(self, x, text, t, text_mask=None):
        cfg = self.cfg
        B, C, F_, H, W = x.shape
        p = cfg.patch
        hp, wp = H // p, W // p
        dtype = x.dtype
        temb = self.time_embedding(timestep_embedding(t, cfg.width).to(dtype))
        text, video = self.patch_embed(text, x)
        Lt = text.shape[1]
        rope = rope_3d(F_, hp, wp, cfg.width // cfg.heads, cfg.rope_theta)
        key_mask = None
        if text_mask is not None:
            key_mask = torch.cat([text_mask.bool(), torch.ones(B, video.shape[1], dtype=torch.bool)], dim=1)
        for blk in self.transformer_blocks:
            video, text = blk(video, text, temb, rope, key_mask)
        y = self.proj_out(self.norm_out(self.norm_final(video), temb))  # (B, Lv, C p p)
        # diffusers' unpatchify: (B, F, hp, wp, C, p, p) -> (B, F, C, hp, p, wp, p); ours channel-first
        y = y.reshape(B, F_, hp, wp, C, p, p).permute(0, 4, 1, 2, 5, 3, 6)
        return y.reshape(B, C, F_, H, W)


def read_safetensors(path):
    """name -> torch tensor (F32, F16, BF16, F64) of a safetensors file, plus its metadata."""
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", None) or {}
    base = 8 + n
    out = {}
    for name, e in header.items():
        b0, b1 = e["data_offsets"]
        raw = data[base + b0:base + b1]
        if e["dtype"] == "BF16":
            u = np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16
            a = u.view(np.float32)
        else:
            a = np.frombuffer(raw, dtype={"F32": np.float32, "F16": np.float16, "F64": np.float64}[e["dtype"]])
        out[name] = torch.from_numpy(a.astype(np.float32).reshape(e["shape"]).copy())
    return out, meta


def load_weights(module, path, prefix=""):
    """Loads the parameters of `module` from a safetensors file by name (file names may carry
    `prefix`, e.g. "transformer."); every parameter must be present with its shape."""
    tensors, _ = read_safetensors(path)
    sd = {}
    for name, p in module.state_dict().items():
        key = prefix + name
        if key not in tensors:
            raise KeyError(f"{path}: missing {key}")
        if tuple(tensors[key].shape) != tuple(p.shape):
            raise ValueError(f"{path}: {key} has shape {tuple(tensors[key].shape)}, the module wants {tuple(p.shape)}")
        sd[name] = tensors[key].to(p.dtype)
    module.load_state_dict(sd)
    return module


# ------------------------------------------------------------------------------------------
# Schedules (diffusers' DDIMScheduler arithmetic)
# ------------------------------------------------------------------------------------------


def betas_for(kind, T, b0, b1):
    if kind == "linear":
        return torch.linspace(b0, b1, T, dtype=torch.float64)
    return torch.linspace(b0 ** 0.5, b1 ** 0.5, T, dtype=torch.float64) ** 2


def rescale_zero_terminal_snr(betas):
    alphas = 1.0 - betas
    abar_sqrt = torch.cumprod(alphas, dim=0).sqrt()
    a0, aT = abar_sqrt[0].clone(), abar_sqrt[-1].clone()
    abar_sqrt -= aT
    abar_sqrt *= a0 / (a0 - aT)
    abar = abar_sqrt ** 2
    alphas = torch.cat([abar[0:1], abar[1:] / abar[:-1]])
    return 1 - alphas


def alphas_cumprod(kind, T, b0, b1, zero_snr):
    betas = betas_for(kind, T, b0, b1)
    if zero_snr:
        betas = rescale_zero_terminal_snr(betas)
    return torch.cumprod(1.0 - betas, dim=0)


def trailing_timesteps(T, steps):
    return (np.round(np.arange(T, 0, -T / steps)).astype(np.int64) - 1)[:steps]


def ddim_step(abar, x, out, t, t_prev, pred):
    """DDIMScheduler.step with eta = 0 from t to an explicit t_prev (-1: alpha 1)."""
    a_t = abar[t]
    a_p = abar[t_prev] if t_prev >= 0 else torch.tensor(1.0, dtype=torch.float64)
    b_t = 1 - a_t
    if pred == "eps":
        x0 = (x - b_t ** 0.5 * out) / a_t ** 0.5
        eps = out
    else:
        x0 = a_t ** 0.5 * x - b_t ** 0.5 * out
        eps = a_t ** 0.5 * out + b_t ** 0.5 * x
    return a_p ** 0.5 * x0 + (1 - a_p) ** 0.5 * eps, x0


# ------------------------------------------------------------------------------------------
# Fixtures
# ------------------------------------------------------------------------------------------


def _save(path, t, meta):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import st_io  # noqa: E402

    st_io.save(path, {k: (v.detach().numpy() if torch.is_tensor(v) else v) for k, v in t.items()}, meta)


def _perturb(module, std=0.1):
    """Non-default LayerNorm affines, so their gradients and shapes are really tested."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if ".norm" in name or name.startswith("norm") or "norm_q" in name or "norm_k" in name:
                p.add_(torch.randn(p.shape) * std)


def _params(t, module, prefix=""):
    for name, p in module.named_parameters():
        t[prefix + name] = p.detach()
        if p.grad is not None:
            t["grad." + prefix + name] = p.grad.detach()


def main(out_dir):
    torch.set_default_dtype(torch.float64)
    os.makedirs(out_dir, exist_ok=True)
    cfg = DiTConfig(latent_ch=3, patch=2, width=32, layers=1, heads=2, mlp_ratio=4, text_dim=12, time_dim=24)

    # ---- one block on token inputs ----
    torch.manual_seed(5)
    model = DiT(cfg)
    _perturb(model)
    blk = model.transformer_blocks[0]
    B, F_, hp, wp, Lt = 2, 3, 2, 3, 5
    Lv = F_ * hp * wp
    video = torch.randn(B, Lv, cfg.width, requires_grad=True)
    text = torch.randn(B, Lt, cfg.width, requires_grad=True)
    temb = torch.randn(B, cfg.time_dim, requires_grad=True)
    mask = torch.ones(B, Lt)
    mask[1, 3:] = 0
    key_mask = torch.cat([mask.bool(), torch.ones(B, Lv, dtype=torch.bool)], dim=1)
    rope = rope_3d(F_, hp, wp, cfg.width // cfg.heads, cfg.rope_theta)
    yv, yt = blk(video, text, temb, rope, key_mask)
    rv, rt = torch.randn(yv.shape), torch.randn(yt.shape)
    ((yv * rv).sum() + (yt * rt).sum()).backward()
    t = {}
    _params(t, model)
    t.update({"in.video": video, "in.text": text, "in.temb": temb, "in.mask": mask, "in.r_video": rv,
              "in.r_text": rt, "out.video": yv, "out.text": yt, "grad.in.video": video.grad,
              "grad.in.text": text.grad, "grad.in.temb": temb.grad})
    _save(os.path.join(out_dir, "dit_cogvideox_block.safetensors"), t,
          {"source": "ref/ref_dit.py", "config": cfg.format(), "grid": f"{F_} {hp} {wp}"})
    print(f"  dit_cogvideox_block: {len(t)} tensors, video {tuple(yv.shape)}, text {tuple(yt.shape)}")

    # ---- the whole model (2 layers), proj_out not zero ----
    torch.manual_seed(6)
    cfg2 = DiTConfig(latent_ch=3, patch=2, width=32, layers=2, heads=2, mlp_ratio=4, text_dim=12, time_dim=24)
    model = DiT(cfg2)
    _perturb(model)
    with torch.no_grad():
        model.proj_out.weight.normal_(0, 0.2)
        model.proj_out.bias.normal_(0, 0.2)
    x = torch.randn(2, 3, 3, 4, 6, requires_grad=True)
    text = torch.randn(2, 5, cfg2.text_dim, requires_grad=True)
    mask = torch.ones(2, 5)
    mask[0, 4:] = 0
    mask[1, 2:] = 0
    tt = torch.tensor([999.0, 17.0])
    y = model(x, text, tt, mask)
    r = torch.randn(y.shape)
    (y * r).sum().backward()
    t = {}
    _params(t, model)
    t.update({"in.x": x, "in.text": text, "in.mask": mask, "in.t": tt, "in.r": r, "out.y": y,
              "grad.in.x": x.grad, "grad.in.text": text.grad})
    _save(os.path.join(out_dir, "dit_model.safetensors"), t, {"source": "ref/ref_dit.py", "config": cfg2.format()})
    print(f"  dit_model: {len(t)} tensors, y {tuple(y.shape)}")

    # ---- schedules and sampler steps ----
    torch.manual_seed(7)
    t = {}
    sl = alphas_cumprod("scaled_linear", 1000, 0.00085, 0.012, False)
    zs = alphas_cumprod("scaled_linear", 1000, 0.00085, 0.012, True)
    t["abar.scaled_linear"] = sl
    t["abar.scaled_linear_zero_snr"] = zs
    t["abar.linear"] = alphas_cumprod("linear", 1000, 0.0001, 0.02, False)
    t["abar.linear_zero_snr_T50"] = alphas_cumprod("linear", 50, 0.001, 0.2, True)
    step_counts = [1, 2, 3, 7, 10, 16, 20, 25, 30, 50, 61, 64, 100, 128, 250, 333, 999, 1000]
    for n in step_counts:
        t[f"timesteps.{n}"] = trailing_timesteps(1000, n).astype(np.float32)
    x = torch.randn(64)
    out = torch.randn(64)
    t["in.x"], t["in.out"] = x, out
    cases = {"eps_500_466": (sl, 500, 466, "eps"), "eps_32_clean": (sl, 32, -1, "eps"),
             "v_999_965": (zs, 999, 965, "v"), "v_466_432": (zs, 466, 432, "v"), "v_32_clean": (zs, 32, -1, "v")}
    for name, (abar, t0, t1, pred) in cases.items():
        xp, x0 = ddim_step(abar, x, out, t0, t1, pred)
        t[f"ddim.{name}.x"], t[f"ddim.{name}.x0"] = xp, x0
    s0, s1 = (699 + 1) / 1000, (632 + 1) / 1000  # flow: s = (t + 1) / T
    t["flow.699_632.x"] = x + (s1 - s0) * out
    t["flow.699_632.x0"] = x - s0 * out
    _save(os.path.join(out_dir, "dit_diffusion.safetensors"), t,
          {"source": "ref/ref_dit.py", "step_counts": " ".join(map(str, step_counts))})
    print(f"  dit_diffusion: {len(t)} tensors")


if __name__ == "__main__":
    main(sys.argv[1])
