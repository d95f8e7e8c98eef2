"""ref_vqvae.py OUTDIR: fixture for tests/test_parity_vqvae.c (the motion VQ-VAE, src/motion/vqvae.c).

A small T2M-GPT VQ-VAE (models/encdec.py, models/resnet.py, models/quantize_cnn.py
QuantizeEMAReset, the loss of train_vq.py) rebuilt here in float64 with T2M-GPT's state_dict
names. Writes OUTDIR/vqvae.safetensors with the parameters (incl. quantizer.codebook, code_sum,
code_count), the input "in.x" (B,T,263), the encoder output "out.z" (B,N,D), the codes "out.codes",
the decoded reconstruction "out.xr" (the decoder on the straight-through latent = the decoder on
the codes), the loss and its parts ("out.loss", "out.recon", "out.vel", "out.commit"), the
gradients of the loss for every trainable parameter ("grad.<name>"), and the quantizer state after
one EMA update ("ema.codebook", "ema.code_sum", "ema.code_count"; no code is dead, so no random
reset is involved).
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

IN_DIM, WIDTH, DEPTH, GROWTH, DOWN_T, CODES, CODE_DIM, MU = 263, 24, 2, 3, 2, 12, 16, 0.99
B, T = 2, 32
VEL_W, BETA = 0.5, 0.02


class ResConv1DBlock(nn.Module):
    def __init__(self, n_in, n_state, dilation):
        super().__init__()
        self.conv1 = nn.Conv1d(n_in, n_state, 3, 1, dilation, dilation)
        self.conv2 = nn.Conv1d(n_state, n_in, 1, 1, 0)

    def forward(self, x):
        h = self.conv1(F.relu(x))
        h = self.conv2(F.relu(h))
        return x + h


class Resnet1D(nn.Module):
    def __init__(self, n_in, n_depth, growth):
        super().__init__()
        blocks = [ResConv1DBlock(n_in, n_in, growth ** d) for d in range(n_depth)]
        self.model = nn.Sequential(*blocks[::-1])  # reverse_dilation=True

    def forward(self, x):
        return self.model(x)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        blocks = [nn.Conv1d(IN_DIM, WIDTH, 3, 1, 1), nn.ReLU()]
        for _ in range(DOWN_T):
            blocks.append(nn.Sequential(nn.Conv1d(WIDTH, WIDTH, 4, 2, 1), Resnet1D(WIDTH, DEPTH, GROWTH)))
        blocks.append(nn.Conv1d(WIDTH, CODE_DIM, 3, 1, 1))
        self.model = nn.Sequential(*blocks)

    def forward(self, x):
        return self.model(x)


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        blocks = [nn.Conv1d(CODE_DIM, WIDTH, 3, 1, 1), nn.ReLU()]
        for _ in range(DOWN_T):
            blocks.append(nn.Sequential(Resnet1D(WIDTH, DEPTH, GROWTH), nn.Upsample(scale_factor=2, mode="nearest"),
                                        nn.Conv1d(WIDTH, WIDTH, 3, 1, 1)))
        blocks.append(nn.Conv1d(WIDTH, WIDTH, 3, 1, 1))
        blocks.append(nn.ReLU())
        blocks.append(nn.Conv1d(WIDTH, IN_DIM, 3, 1, 1))
        self.model = nn.Sequential(*blocks)

    def forward(self, x):
        return self.model(x)


torch.manual_seed(7)
enc, dec = Encoder(), Decoder()
x = torch.randn(B, T, IN_DIM)

# encoder output, and a codebook near it so that codes are well separated and several are used
with torch.no_grad():
    z0 = enc(x.permute(0, 2, 1)).permute(0, 2, 1).reshape(-1, CODE_DIM)
codebook = z0[torch.randperm(z0.shape[0])[:CODES]].clone() + 0.02 * torch.randn(CODES, CODE_DIM)
code_count = torch.full((CODES,), 5.0)
code_sum = codebook * code_count[:, None]

# forward as QuantizeEMAReset + train_vq.py
z = enc(x.permute(0, 2, 1)).permute(0, 2, 1)  # (B,N,D)
zf = z.reshape(-1, CODE_DIM)
dist = (zf[:, None, :] - codebook[None, :, :]).pow(2).sum(-1)
codes = dist.argmin(-1)
srt = dist.sort(-1).values
gap = ((srt[:, 1] - srt[:, 0]) / srt[:, 0]).min().item()
print(f"  vqvae: nearest-code relative gap {gap:.3g}, {len(set(codes.tolist()))} codes used")
assert gap > 1e-3
q = codebook[codes]
commit = F.mse_loss(zf, q.detach())
zq = zf + (q - zf).detach()
xr = dec(zq.reshape(B, -1, CODE_DIM).permute(0, 2, 1)).permute(0, 2, 1)
recon = F.smooth_l1_loss(xr, x)
vel = F.smooth_l1_loss(xr[..., 4:67], x[..., 4:67])
loss = recon + VEL_W * vel + BETA * commit
loss.backward()

# one EMA update (update_codebook), no dead codes
with torch.no_grad():
    onehot = torch.zeros(CODES, zf.shape[0])
    onehot.scatter_(0, codes.view(1, -1), 1)
    csum = onehot @ zf
    ccount = onehot.sum(-1)
    new_sum = MU * code_sum + (1 - MU) * csum
    new_count = MU * code_count + (1 - MU) * ccount
    assert bool((new_count >= 1.0).all())
    new_cb = new_sum / new_count[:, None]

t = {}
st_io.add_module(t, enc, "encoder.")
st_io.add_module(t, dec, "decoder.")
t["quantizer.codebook"] = codebook.numpy()
t["quantizer.code_sum"] = code_sum.numpy()
t["quantizer.code_count"] = code_count.numpy()
t["in.x"] = x.numpy()
t["out.z"] = z.detach().numpy()
t["out.codes"] = codes.double().reshape(B, -1).numpy()
t["out.xr"] = xr.detach().numpy()
t["out.loss"] = loss.detach().reshape(1).numpy()
t["out.recon"] = recon.detach().reshape(1).numpy()
t["out.vel"] = vel.detach().reshape(1).numpy()
t["out.commit"] = commit.detach().reshape(1).numpy()
t["ema.codebook"] = new_cb.numpy()
t["ema.code_sum"] = new_sum.numpy()
t["ema.code_count"] = new_count.numpy()
cfg = (f"in_dim={IN_DIM} width={WIDTH} depth={DEPTH} dilation_growth={GROWTH} down_t={DOWN_T} codes={CODES} "
       f"code_dim={CODE_DIM} mu={MU}")
st_io.save(os.path.join(out_dir, "vqvae.safetensors"), t, {"source": "ref/ref_vqvae.py", "vqvae.config": cfg})
print(f"  vqvae: {len(t)} tensors, loss {loss.item():.6f}")
