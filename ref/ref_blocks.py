"""ref_blocks.py OUTDIR: fixtures for tests/test_parity_blocks.c.

For each composite block (a pre-LN transformer block, a DiT block with adaLN, an attention layer
with RoPE, a causal conv3d stack), writes OUTDIR/<name>.safetensors holding the block's
parameters under their state_dict names, the inputs ("in.*"), the output ("out.y"), the
cotangent r used for the backward pass ("in.r", loss = sum(y * r)), and the gradients of every
parameter ("grad.<name>") and input ("grad.in.*"). The transformer block also records ten
AdamW steps ("train.*"). Everything is computed in float64.
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import st_io  # noqa: E402

torch.set_default_dtype(torch.float64)
out_dir = sys.argv[1]
os.makedirs(out_dir, exist_ok=True)


def finish(name, module, inputs, y, extra=None):
    r = torch.randn(y.shape)
    (y * r).sum().backward()
    t = {}
    st_io.add_module(t, module)
    for k, v in inputs.items():
        t["in." + k] = v.detach().numpy()
        if v.grad is not None:
            t["grad.in." + k] = v.grad.numpy()
    t["in.r"] = r.numpy()
    t["out.y"] = y.detach().numpy()
    if extra:
        t.update(extra)
    st_io.save(os.path.join(out_dir, name + ".safetensors"), t, {"source": "ref/ref_blocks.py"})
    print(f"  {name}: {len(t)} tensors, y {tuple(y.shape)}")


# ---- pre-LN transformer block: causal, key padding mask, then 10 AdamW steps ----
torch.manual_seed(1)
B, T, C, NH = 2, 9, 32, 4
blk = common.TransformerBlock(C, NH)
x = torch.randn(B, T, C, requires_grad=True)
mask = torch.ones(B, T)
mask[1, 6:] = 0
y = blk(x, causal=True, key_mask=mask)
target = torch.randn(B, T, C)
snap = {k: v.clone() for k, v in blk.state_dict().items()}
# training: fresh copy of the same weights
train_blk = common.TransformerBlock(C, NH)
train_blk.load_state_dict(snap)
opt = torch.optim.AdamW(train_blk.parameters(), lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
losses = []
for step in range(10):
    opt.zero_grad()
    loss = F.mse_loss(train_blk(x.detach(), causal=True, key_mask=mask), target)
    loss.backward()
    opt.step()
    losses.append(loss.item())
extra = {"in.mask": mask.numpy(), "train.target": target.numpy(), "train.losses": torch.tensor(losses).numpy()}
finish("transformer_block", blk, {"x": x}, y, extra)

# ---- DiT block with adaLN (nonzero modulation) and 1-D RoPE ----
torch.manual_seed(2)
B, T, C, NH = 2, 10, 48, 3
dit = common.DiTBlock(C, NH)
with torch.no_grad():
    dit.adaLN_modulation[1].weight.normal_(0, 0.1)
    dit.adaLN_modulation[1].bias.normal_(0, 0.1)
x = torch.randn(B, T, C, requires_grad=True)
cond = torch.randn(B, C, requires_grad=True)
rope = common.rope_tables_1d(T, C // NH)
y = dit(x, cond, rope=rope)
finish("dit_block", dit, {"x": x, "cond": cond}, y)

# ---- attention layer, bidirectional, key mask, RoPE, 70 tokens (crosses 64-wide tiles) ----
torch.manual_seed(3)
B, T, C, NH = 1, 70, 128, 2
att = common.Attention(C, NH)
x = torch.randn(B, T, C, requires_grad=True)
mask = torch.ones(B, T)
mask[0, 50:55] = 0
rope = common.rope_tables_1d(T, C // NH)
y = att(x, causal=False, key_mask=mask, rope=rope)
finish("attention", att, {"x": x}, y, {"in.mask": mask.numpy()})

# ---- causal conv3d stack: conv -> resnet (C != F) -> nearest x2 (space) -> conv ----
torch.manual_seed(4)


class Stack(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv_in = common.CausalConv3d(4, 8)
        self.block = common.ResnetBlock3d(8, 16, 4)
        self.conv_out = common.CausalConv3d(16, 8)

    def forward(self, x):
        h = self.block(self.conv_in(x))
        h = F.interpolate(h, scale_factor=(1, 2, 2), mode="nearest")
        return self.conv_out(h)


stk = Stack()
x = torch.randn(1, 4, 5, 6, 6, requires_grad=True)
y = stk(x)
finish("conv3d_stack", stk, {"x": x}, y)
