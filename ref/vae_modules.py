"""vae_modules.py: the PyTorch twin of src/video/vae.c, sized by a config dict; imported by
ref/ref_vae.py (the parity fixtures) and bench/bench_t2v.py (the PyTorch half of the benchmark).

diffusers' AutoencoderKLCogVideoX structure and state_dict names with mosa's changes
(src/video/vae.h): every GroupNorm takes its statistics per frame, the decoder's norms are
SpatialNorm3D conditioned on z when cfg["spatial_norm"], and with cfg["linear_path"] a linear
patch path sits beside the network in both halves. cfg keys: in_ch, latent_ch, ch (list), layers,
time_levels, groups, spatial_norm, linear_path (the keys of vae.config). Norm affines start
random (1 + 0.2 N, 0.1 N) so a fixture exercises them; the benchmark loads its weights anyway.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

EPS = 1e-6


def parse_config(s):
    """vae.config string -> cfg dict (missing spatial_norm / linear_path mean 0)."""
    kv = dict(p.split("=") for p in s.split())
    cfg = {k: int(v) for k, v in kv.items() if k not in ("ch", "scaling_factor")}
    cfg["ch"] = [int(c) for c in kv["ch"].split(",")]
    cfg.setdefault("spatial_norm", 0)
    cfg.setdefault("linear_path", 0)
    return cfg, float(kv["scaling_factor"])


class CausalConv3d(nn.Module):
    def __init__(self, c, f):
        super().__init__()
        self.conv = nn.Conv3d(c, f, 3, padding=(0, 1, 1))

    def forward(self, x):
        return self.conv(torch.cat([x[:, :, :1], x[:, :, :1], x], dim=2))


class FrameGroupNorm(nn.Module):
    """GroupNorm with statistics per (n, group, frame)."""

    def __init__(self, c, groups):
        super().__init__()
        self.weight = nn.Parameter(1.0 + 0.2 * torch.randn(c))
        self.bias = nn.Parameter(0.1 * torch.randn(c))
        self.groups = groups

    def forward(self, x):
        n, c, t, h, w = x.shape
        y = x.permute(0, 2, 1, 3, 4).reshape(n * t, c, h, w)
        y = F.group_norm(y, self.groups, self.weight, self.bias, EPS)
        return y.reshape(n, t, c, h, w).permute(0, 2, 1, 3, 4)


class KernelOneConv(nn.Module):
    """CogVideoXCausalConv3d with kernel 1 (no padding): the z convs of a spatial norm."""

    def __init__(self, c, f):
        super().__init__()
        self.conv = nn.Conv3d(c, f, 1)

    def forward(self, x):
        return self.conv(x)


class SpatialNorm3D(nn.Module):
    """diffusers' CogVideoX SpatialNorm3D: norm_layer(f) * conv_y(zq) + conv_b(zq), zq the latent
    brought to f's size by F.interpolate (nearest), the first frame on its own when f has an odd
    number of frames above 1."""

    def __init__(self, c, zc, groups):
        super().__init__()
        self.norm_layer = FrameGroupNorm(c, groups)
        self.conv_y = KernelOneConv(zc, c)
        self.conv_b = KernelOneConv(zc, c)

    def forward(self, f, zq):
        if f.shape[2] > 1 and f.shape[2] % 2 == 1:
            z_first = F.interpolate(zq[:, :, :1], size=f[:, :, :1].shape[-3:])
            z_rest = F.interpolate(zq[:, :, 1:], size=f[:, :, 1:].shape[-3:])
            zq = torch.cat([z_first, z_rest], dim=2)
        else:
            zq = F.interpolate(zq, size=f.shape[-3:])
        return self.norm_layer(f) * self.conv_y(zq) + self.conv_b(zq)


def make_norm(c, zc, groups):
    return SpatialNorm3D(c, zc, groups) if zc else FrameGroupNorm(c, groups)


def apply_norm(norm, x, zq):
    return norm(x, zq) if isinstance(norm, SpatialNorm3D) else norm(x)


class ResnetBlock(nn.Module):
    def __init__(self, c, f, groups, zc=0):
        super().__init__()
        self.norm1 = make_norm(c, zc, groups)
        self.conv1 = CausalConv3d(c, f)
        self.norm2 = make_norm(f, zc, groups)
        self.conv2 = CausalConv3d(f, f)
        self.conv_shortcut = nn.Conv3d(c, f, 1) if c != f else None

    def forward(self, x, zq=None):
        h = self.conv1(F.silu(apply_norm(self.norm1, x, zq)))
        h = self.conv2(F.silu(apply_norm(self.norm2, h, zq)))
        if self.conv_shortcut is not None:
            x = self.conv_shortcut(x)
        return x + h


def per_frame(conv, x):
    n, c, t, h, w = x.shape
    y = conv(x.permute(0, 2, 1, 3, 4).reshape(n * t, c, h, w))
    return y.reshape(n, t, *y.shape[1:]).permute(0, 2, 1, 3, 4)


class Downsample(nn.Module):
    def __init__(self, c, compress_time):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, stride=2, padding=0)
        self.compress_time = compress_time

    def forward(self, x):
        if self.compress_time and x.shape[2] > 1:
            rest = F.avg_pool3d(x[:, :, 1:], kernel_size=(2, 1, 1))
            x = torch.cat([x[:, :, :1], rest], dim=2)
        x = F.pad(x, (0, 1, 0, 1))
        return per_frame(self.conv, x)


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


class Block(nn.Module):
    def __init__(self, resnets, down=None, up=None):
        super().__init__()
        self.resnets = nn.ModuleList(resnets)
        if down is not None:
            self.downsamplers = nn.ModuleList([down])
        if up is not None:
            self.upsamplers = nn.ModuleList([up])

    def forward(self, x, zq=None):
        for r in self.resnets:
            x = r(x, zq)
        for name in ("downsamplers", "upsamplers"):
            if hasattr(self, name):
                x = getattr(self, name)[0](x)
        return x


class Mid(nn.Module):
    def __init__(self, c, groups, zc=0):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock(c, c, groups, zc), ResnetBlock(c, c, groups, zc)])

    def forward(self, x, zq=None):
        for r in self.resnets:
            x = r(x, zq)
        return x


def factors(cfg):
    """(temporal factor, spatial factor, patch size) of a config."""
    tf, sf = 2 ** cfg["time_levels"], 2 ** (len(cfg["ch"]) - 1)
    return tf, sf, cfg["in_ch"] * tf * sf * sf


class EncoderLinearPath(nn.Module):
    """The linear path of the encoder: each tf x sf x sf patch (first frame repeated tf-1 times in
    front) -> latent_ch numbers, added to the latent mean."""

    def __init__(self, cfg):
        super().__init__()
        self.tf, self.sf, p = factors(cfg)
        self.weight = nn.Parameter(torch.randn(cfg["latent_ch"], cfg["in_ch"], self.tf, self.sf, self.sf) / p ** 0.5)
        self.bias = nn.Parameter(0.1 * torch.randn(cfg["latent_ch"]))

    def forward(self, x):
        x = torch.cat([x[:, :, :1]] * (self.tf - 1) + [x], dim=2)
        return F.conv3d(x, self.weight, self.bias, stride=(self.tf, self.sf, self.sf))


class DecoderLinearPath(nn.Module):
    """The linear path of the decoder: each latent pixel -> a patch (channel ((c*tf + dt)*sf +
    dy)*sf + dx), spread over time and space, the first tf-1 frames dropped."""

    def __init__(self, cfg):
        super().__init__()
        self.c = cfg["in_ch"]
        self.tf, self.sf, p = factors(cfg)
        self.weight = nn.Parameter(torch.randn(p, cfg["latent_ch"], 1, 1, 1) / cfg["latent_ch"] ** 0.5)
        self.bias = nn.Parameter(0.1 * torch.randn(p))

    def forward(self, z):
        n, _, t, h, w = z.shape
        c, tf, sf = self.c, self.tf, self.sf
        y = F.conv3d(z, self.weight, self.bias).reshape(n, c, tf, sf, sf, t, h, w)
        y = y.permute(0, 1, 5, 2, 6, 3, 7, 4).reshape(n, c, t * tf, h * sf, w * sf)
        return y[:, :, tf - 1:]


class Encoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        ch, L, g = cfg["ch"], len(cfg["ch"]), cfg["groups"]
        self.latent_ch = cfg["latent_ch"]
        self.conv_in = CausalConv3d(cfg["in_ch"], ch[0])
        blocks = []
        for i in range(L):
            rs = [ResnetBlock((ch[0] if i == 0 else ch[i - 1]) if j == 0 else ch[i], ch[i], g)
                  for j in range(cfg["layers"])]
            down = Downsample(ch[i], i < cfg["time_levels"]) if i < L - 1 else None
            blocks.append(Block(rs, down=down))
        self.down_blocks = nn.ModuleList(blocks)
        self.mid_block = Mid(ch[-1], g)
        self.norm_out = FrameGroupNorm(ch[-1], g)
        self.conv_out = CausalConv3d(ch[-1], 2 * cfg["latent_ch"])
        self.linear_path = EncoderLinearPath(cfg) if cfg["linear_path"] else None

    def forward(self, x):
        h = self.conv_in(x)
        for b in self.down_blocks:
            h = b(h)
        m = self.conv_out(F.silu(self.norm_out(self.mid_block(h))))
        if self.linear_path is None:
            return m
        L = self.latent_ch
        return torch.cat([m[:, :L] + self.linear_path(x), m[:, L:]], dim=1)


class Decoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        ch, L, g = cfg["ch"], len(cfg["ch"]), cfg["groups"]
        zc = cfg["latent_ch"] if cfg["spatial_norm"] else 0
        self.conv_in = CausalConv3d(cfg["latent_ch"], ch[-1])
        self.mid_block = Mid(ch[-1], g, zc)
        blocks = []
        for j in range(L):
            f = ch[L - 1 - j]
            cin = ch[-1] if j == 0 else ch[L - j]
            rs = [ResnetBlock(cin if k == 0 else f, f, g, zc) for k in range(cfg["layers"] + 1)]
            up = Upsample(f, j < cfg["time_levels"]) if j < L - 1 else None
            blocks.append(Block(rs, up=up))
        self.up_blocks = nn.ModuleList(blocks)
        self.norm_out = make_norm(ch[0], zc, g)
        self.conv_out = CausalConv3d(ch[0], cfg["in_ch"])
        self.linear_path = DecoderLinearPath(cfg) if cfg["linear_path"] else None

    def forward(self, z):
        h = self.mid_block(self.conv_in(z), z)
        for b in self.up_blocks:
            h = b(h, z)
        y = self.conv_out(F.silu(apply_norm(self.norm_out, h, z)))
        return y if self.linear_path is None else y + self.linear_path(z)
