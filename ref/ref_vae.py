"""ref_vae.py OUTDIR: fixtures for tests/test_parity_vae.c (the causal video VAE, src/video/vae.c).

A tiny CogVideoX-style causal 3D VAE (diffusers' AutoencoderKLCogVideoX structure and state_dict
names, with the change documented in src/video/vae.h: every GroupNorm takes its statistics per
frame), rebuilt here in float64, twice: with the decoder's norms as diffusers' SpatialNorm3D
conditioned on z and mosa's linear patch paths (OUTDIR/vae.safetensors, the default config) and
with plain norms and no linear path (OUTDIR/vae_plain.safetensors). The parts: causal convs with the first frame
replicated twice before the clip, the downsampler (frame pairs averaged with the first frame kept
alone, zero pad right/bottom, 3x3 stride-2 conv per frame), the upsampler (nearest x2 in space,
and in time except the first frame, then a 3x3 conv per frame), ResNet blocks with a 1x1x1
conv_shortcut when channels change. Each file holds the parameters, the input "in.x"
(B,3,T,H,W), the encoder moments "out.moments" (mean then log-variance channels), the decoder on the means "out.xr_mean",
the training loss and its parts for the reparameterisation noise of torch.manual_seed(11)
("out.loss", "out.recon", "out.kl"; the C side draws the same noise from its torch-compatible
RNG), and the gradient of the loss for every parameter ("grad.<name>").
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_io  # noqa: E402

torch.set_default_dtype(torch.float64)
out_dir = sys.argv[1]
os.makedirs(out_dir, exist_ok=True)

IN_CH, LATENT, CH, LAYERS, TIME_LEVELS, GROUPS = 3, 3, [4, 8, 8], 1, 2, 2
LEVELS = len(CH)
B, T, H, W = 2, 9, 8, 8
KL_W, EPS = 0.01, 1e-6


class CausalConv3d(nn.Module):
    def __init__(self, c, f):
        super().__init__()
        self.conv = nn.Conv3d(c, f, 3, padding=(0, 1, 1))

    def forward(self, x):
        return self.conv(torch.cat([x[:, :, :1], x[:, :, :1], x], dim=2))


class FrameGroupNorm(nn.Module):
    """GroupNorm with statistics per (n, group, frame)."""

    def __init__(self, c):
        super().__init__()
        self.weight = nn.Parameter(1.0 + 0.2 * torch.randn(c))
        self.bias = nn.Parameter(0.1 * torch.randn(c))

    def forward(self, x):
        n, c, t, h, w = x.shape
        y = x.permute(0, 2, 1, 3, 4).reshape(n * t, c, h, w)
        y = F.group_norm(y, GROUPS, self.weight, self.bias, EPS)
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

    def __init__(self, c, zc):
        super().__init__()
        self.norm_layer = FrameGroupNorm(c)
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


def make_norm(c, zc):
    return SpatialNorm3D(c, zc) if zc else FrameGroupNorm(c)


def apply_norm(norm, x, zq):
    return norm(x, zq) if isinstance(norm, SpatialNorm3D) else norm(x)


class ResnetBlock(nn.Module):
    def __init__(self, c, f, zc=0):
        super().__init__()
        self.norm1 = make_norm(c, zc)
        self.conv1 = CausalConv3d(c, f)
        self.norm2 = make_norm(f, zc)
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
    def __init__(self, c, zc=0):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock(c, c, zc), ResnetBlock(c, c, zc)])

    def forward(self, x, zq=None):
        for r in self.resnets:
            x = r(x, zq)
        return x


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv_in = CausalConv3d(IN_CH, CH[0])
        blocks = []
        for i in range(LEVELS):
            rs = [ResnetBlock((CH[0] if i == 0 else CH[i - 1]) if j == 0 else CH[i], CH[i]) for j in range(LAYERS)]
            down = Downsample(CH[i], i < TIME_LEVELS) if i < LEVELS - 1 else None
            blocks.append(Block(rs, down=down))
        self.down_blocks = nn.ModuleList(blocks)
        self.mid_block = Mid(CH[-1])
        self.norm_out = FrameGroupNorm(CH[-1])
        self.conv_out = CausalConv3d(CH[-1], 2 * LATENT)

    def forward(self, x):
        h = self.conv_in(x)
        for b in self.down_blocks:
            h = b(h)
        h = self.mid_block(h)
        return self.conv_out(F.silu(self.norm_out(h)))


class Decoder(nn.Module):
    def __init__(self, spatial_norm):
        super().__init__()
        zc = LATENT if spatial_norm else 0
        self.conv_in = CausalConv3d(LATENT, CH[-1])
        self.mid_block = Mid(CH[-1], zc)
        blocks = []
        for j in range(LEVELS):
            f = CH[LEVELS - 1 - j]
            cin = CH[-1] if j == 0 else CH[LEVELS - j]
            rs = [ResnetBlock(cin if k == 0 else f, f, zc) for k in range(LAYERS + 1)]
            up = Upsample(f, j < TIME_LEVELS) if j < LEVELS - 1 else None
            blocks.append(Block(rs, up=up))
        self.up_blocks = nn.ModuleList(blocks)
        self.norm_out = make_norm(CH[0], zc)
        self.conv_out = CausalConv3d(CH[0], IN_CH)

    def forward(self, z):
        h = self.mid_block(self.conv_in(z), z)
        for b in self.up_blocks:
            h = b(h, z)
        return self.conv_out(F.silu(apply_norm(self.norm_out, h, z)))


TF, SF = 2 ** TIME_LEVELS, 2 ** (LEVELS - 1)
PATCH = IN_CH * TF * SF * SF


class EncoderLinearPath(nn.Module):
    """The linear path of the encoder: each TF x SF x SF patch (first frame repeated TF-1 times in
    front) -> LATENT numbers, added to the latent mean."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(LATENT, IN_CH, TF, SF, SF) / PATCH ** 0.5)
        self.bias = nn.Parameter(0.1 * torch.randn(LATENT))

    def forward(self, x):
        x = torch.cat([x[:, :, :1]] * (TF - 1) + [x], dim=2)
        return F.conv3d(x, self.weight, self.bias, stride=(TF, SF, SF))


class DecoderLinearPath(nn.Module):
    """The linear path of the decoder: each latent pixel -> a patch (channel ((c*TF + dt)*SF +
    dy)*SF + dx), spread over time and space, the first TF-1 frames dropped."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(PATCH, LATENT, 1, 1, 1) / LATENT ** 0.5)
        self.bias = nn.Parameter(0.1 * torch.randn(PATCH))

    def forward(self, z):
        n, _, t, h, w = z.shape
        y = F.conv3d(z, self.weight, self.bias).reshape(n, IN_CH, TF, SF, SF, t, h, w)
        y = y.permute(0, 1, 5, 2, 6, 3, 7, 4).reshape(n, IN_CH, t * TF, h * SF, w * SF)
        return y[:, :, TF - 1:]


def fixture(spatial_norm, fname):
    """spatial_norm: the decoder's spatial norms and the linear paths (the default config), or
    neither."""
    torch.manual_seed(5)
    enc, dec = Encoder(), Decoder(spatial_norm)
    if spatial_norm:
        enc.linear_path, dec.linear_path = EncoderLinearPath(), DecoderLinearPath()
        enc_forward, dec_forward = enc.forward, dec.forward

        def enc_lin(x):
            m = enc_forward(x)
            return torch.cat([m[:, :LATENT] + enc.linear_path(x), m[:, LATENT:]], dim=1)

        enc.forward = enc_lin
        dec.forward = lambda z: dec_forward(z) + dec.linear_path(z)
    x = torch.rand(B, IN_CH, T, H, W) * 2 - 1

    moments = enc(x)
    mean, logvar = moments[:, :LATENT], moments[:, LATENT:].clamp(-30.0, 20.0)
    with torch.no_grad():
        xr_mean = dec(mean)
    torch.manual_seed(11)
    eps = torch.randn(mean.shape, dtype=torch.float32).double()
    z = mean + torch.exp(0.5 * logvar) * eps
    xr = dec(z)
    mse = F.mse_loss(xr, x)
    recon = F.l1_loss(xr, x) + mse
    kl = 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).mean()
    loss = recon + KL_W * kl
    loss.backward()

    t = {}
    st_io.add_module(t, enc, "encoder.")
    st_io.add_module(t, dec, "decoder.")
    t["in.x"] = x.numpy()
    t["out.moments"] = moments.detach().numpy()
    t["out.xr_mean"] = xr_mean.numpy()
    t["out.loss"] = loss.detach().reshape(1).numpy()
    t["out.recon"] = recon.detach().reshape(1).numpy()
    t["out.kl"] = kl.detach().reshape(1).numpy()
    cfg = (f"in_ch={IN_CH} latent_ch={LATENT} levels={LEVELS} ch={','.join(map(str, CH))} layers={LAYERS} "
           f"time_levels={TIME_LEVELS} groups={GROUPS} scaling_factor=1 spatial_norm={int(spatial_norm)} "
           f"linear_path={int(spatial_norm)}")
    st_io.save(os.path.join(out_dir, fname), t,
               {"source": "ref/ref_vae.py", "vae.config": cfg, "kl_weight": str(KL_W)})
    print(f"  {fname}: {len(t)} tensors, moments {tuple(moments.shape)}, loss {loss.item():.6f}")


fixture(True, "vae.safetensors")
fixture(False, "vae_plain.safetensors")
