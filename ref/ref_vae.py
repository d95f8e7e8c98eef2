"""ref_vae.py OUTDIR: fixtures for tests/test_parity_vae.c (the causal video VAE, src/video/vae.c).

A tiny CogVideoX-style causal 3D VAE (ref/vae_modules.py: diffusers' AutoencoderKLCogVideoX
structure and state_dict names, with mosa's changes documented in src/video/vae.h), in float64,
twice: with the decoder's norms as diffusers' SpatialNorm3D conditioned on z and mosa's linear
patch paths (OUTDIR/vae.safetensors, the default config) and with plain norms and no linear path
(OUTDIR/vae_plain.safetensors). Each file holds the parameters, the input "in.x" (B,3,T,H,W),
the encoder moments "out.moments" (mean then log-variance channels), the decoder on the means
"out.xr_mean",
the training loss and its parts for the reparameterisation noise of torch.manual_seed(11)
("out.loss", "out.recon", "out.kl"; the C side draws the same noise from its torch-compatible
RNG), and the gradient of the loss for every parameter ("grad.<name>").
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_io  # noqa: E402
from vae_modules import Decoder, Encoder  # noqa: E402

torch.set_default_dtype(torch.float64)
out_dir = sys.argv[1]
os.makedirs(out_dir, exist_ok=True)

IN_CH, LATENT, CH, LAYERS, TIME_LEVELS, GROUPS = 3, 3, [4, 8, 8], 1, 2, 2
B, T, H, W = 2, 9, 8, 8
KL_W = 0.01


def fixture(spatial_norm, fname):
    """spatial_norm: the decoder's spatial norms and the linear paths (the default config), or
    neither."""
    torch.manual_seed(5)
    cfg = dict(in_ch=IN_CH, latent_ch=LATENT, ch=CH, layers=LAYERS, time_levels=TIME_LEVELS, groups=GROUPS,
               spatial_norm=int(spatial_norm), linear_path=int(spatial_norm))
    enc, dec = Encoder(cfg), Decoder(cfg)
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
    cfg = (f"in_ch={IN_CH} latent_ch={LATENT} levels={len(CH)} ch={','.join(map(str, CH))} layers={LAYERS} "
           f"time_levels={TIME_LEVELS} groups={GROUPS} scaling_factor=1 spatial_norm={int(spatial_norm)} "
           f"linear_path={int(spatial_norm)}")
    st_io.save(os.path.join(out_dir, fname), t,
               {"source": "ref/ref_vae.py", "vae.config": cfg, "kl_weight": str(KL_W)})
    print(f"  {fname}: {len(t)} tensors, moments {tuple(moments.shape)}, loss {loss.item():.6f}")


fixture(True, "vae.safetensors")
fixture(False, "vae_plain.safetensors")
