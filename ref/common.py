"""common.py: PyTorch modules that mirror mosa's nn layers (src/nn/nn.h) name for name.

Computation is in float64 so the fixtures are a more exact reference than any fp32 run; the C
side computes in fp32 and must match to a relative error below 1e-4.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def rope_tables_1d(T, D, theta=10000.0):
    i = torch.arange(D // 2, dtype=torch.float64)
    freq = theta ** (-2.0 * i / D)
    ang = torch.arange(T, dtype=torch.float64)[:, None] * freq[None, :]
    return torch.cos(ang), torch.sin(ang)  # (T, D/2)


def apply_rope(x, cos, sin):
    """Interleaved pairs (x[2i], x[2i+1]) rotated, as diffusers' apply_rotary_emb (unbind dim -1)."""
    x1 = x[..., 0::2]
    x2 = x[..., 1::2]
    o1 = x1 * cos - x2 * sin
    o2 = x1 * sin + x2 * cos
    return torch.stack([o1, o2], dim=-1).flatten(-2)


class Attention(nn.Module):
    def __init__(self, C, NH):
        super().__init__()
        self.NH = NH
        self.qkv = nn.Linear(C, 3 * C)
        self.proj = nn.Linear(C, C)

    def forward(self, x, causal=False, key_mask=None, rope=None):
        B, T, C = x.shape
        D = C // self.NH
        qkv = self.qkv(x).reshape(B, T, 3, self.NH, D).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        if rope is not None:
            q = apply_rope(q, *rope)
            k = apply_rope(k, *rope)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(D)
        if causal:
            m = torch.ones(T, T, dtype=torch.bool).tril()
            s = s.masked_fill(~m, float("-inf"))
        if key_mask is not None:
            s = s.masked_fill(~key_mask[:, None, None, :].bool(), float("-inf"))
        o = s.softmax(-1) @ v
        return self.proj(o.transpose(1, 2).reshape(B, T, C))


class Mlp(nn.Module):
    def __init__(self, C, hidden, gelu_tanh):
        super().__init__()
        self.fc1 = nn.Linear(C, hidden)
        self.fc2 = nn.Linear(hidden, C)
        self.approx = "tanh" if gelu_tanh else "none"

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x), approximate=self.approx))


class TransformerBlock(nn.Module):
    def __init__(self, C, NH, ratio=4):
        super().__init__()
        self.ln1 = nn.LayerNorm(C, eps=1e-5)
        self.attn = Attention(C, NH)
        self.ln2 = nn.LayerNorm(C, eps=1e-5)
        self.mlp = Mlp(C, C * ratio, False)

    def forward(self, x, causal=True, key_mask=None):
        x = x + self.attn(self.ln1(x), causal, key_mask)
        return x + self.mlp(self.ln2(x))


def modulate(x, shift, scale):
    return x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1)


class DiTBlock(nn.Module):
    def __init__(self, C, NH, ratio=4):
        super().__init__()
        self.norm1 = nn.LayerNorm(C, elementwise_affine=False, eps=1e-6)
        self.attn = Attention(C, NH)
        self.norm2 = nn.LayerNorm(C, elementwise_affine=False, eps=1e-6)
        self.mlp = Mlp(C, C * ratio, True)
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(C, 6 * C))

    def forward(self, x, c, rope=None):
        sm, cm, gm, sp, cp, gp = self.adaLN_modulation(c).chunk(6, dim=1)
        x = x + gm.unsqueeze(1) * self.attn(modulate(self.norm1(x), sm, cm), rope=rope)
        return x + gp.unsqueeze(1) * self.mlp(modulate(self.norm2(x), sp, cp))


class CausalConv3d(nn.Module):
    """CogVideoX-style: the k-1 frames before the first are copies of the first frame."""

    def __init__(self, C, F_, k=3):
        super().__init__()
        self.k = k
        self.conv = nn.Conv3d(C, F_, k, padding=(0, k // 2, k // 2))

    def forward(self, x):
        x = torch.cat([x[:, :, :1]] * (self.k - 1) + [x], dim=2)
        return self.conv(x)


class ResnetBlock3d(nn.Module):
    def __init__(self, C, F_, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, C, eps=1e-6)
        self.conv1 = CausalConv3d(C, F_)
        self.norm2 = nn.GroupNorm(groups, F_, eps=1e-6)
        self.conv2 = CausalConv3d(F_, F_)
        self.conv_shortcut = nn.Conv3d(C, F_, 1) if C != F_ else None

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        if self.conv_shortcut is not None:
            x = self.conv_shortcut(x)
        return x + h
