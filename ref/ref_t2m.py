"""ref_t2m.py OUTDIR: fixture for tests/test_parity_t2m.c: the structure transformer's GPT.

A PyTorch mirror of t2m_gpt_forward (src/motion/t2m.h), parameter names as in mosa: the
sequence is [word_proj(words)] [cond_proj(pooled) or the learned null_cond] [tok_emb(tokens) +
pos_emb], all causal, PAD words masked as keys (every word of a null-condition row masked), then
LayerNorm and a bias-free head over the cond and token positions. Query rows that see no key
output zeros (as mosa's op_attention; PyTorch's softmax would give NaN). Writes
OUTDIR/t2m_gpt.safetensors with the weights, inputs, logits, the cotangent r, and the gradients
of sum(logits * r) for every parameter and for words and pooled. Computed in float64.
"""
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import st_io  # noqa: E402

torch.set_default_dtype(torch.float64)
out_dir = sys.argv[1]
os.makedirs(out_dir, exist_ok=True)


class Attention(nn.Module):
    def __init__(self, C, NH):
        super().__init__()
        self.NH = NH
        self.qkv = nn.Linear(C, 3 * C)
        self.proj = nn.Linear(C, C)

    def forward(self, x, key_mask):
        B, T, C = x.shape
        D = C // self.NH
        q, k, v = self.qkv(x).reshape(B, T, 3, self.NH, D).permute(2, 0, 3, 1, 4)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(D)
        allowed = torch.ones(T, T, dtype=torch.bool).tril()[None, None] & key_mask[:, None, None, :].bool()
        s = s.masked_fill(~allowed, -1e30)
        p = s.softmax(-1) * allowed.any(-1, keepdim=True)  # rows seeing no key -> zeros
        o = p @ v
        return self.proj(o.transpose(1, 2).reshape(B, T, C))


class Block(nn.Module):
    def __init__(self, C, NH):
        super().__init__()
        self.ln1 = nn.LayerNorm(C, eps=1e-5)
        self.attn = Attention(C, NH)
        self.ln2 = nn.LayerNorm(C, eps=1e-5)
        self.mlp = common.Mlp(C, 4 * C, False)

    def forward(self, x, key_mask):
        x = x + self.attn(self.ln1(x), key_mask)
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    def __init__(self, codes, W, layers, NH, max_tokens, TW):
        super().__init__()
        self.tok_emb = nn.Embedding(codes + 2, W)
        self.pos_emb = nn.Parameter(torch.randn(max_tokens, W) * 0.5)
        self.null_cond = nn.Parameter(torch.randn(W) * 0.5)
        self.word_proj = nn.Linear(TW, W)
        self.cond_proj = nn.Linear(TW, W)
        self.blocks = nn.ModuleList([Block(W, NH) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(W, eps=1e-5)
        self.head = nn.Linear(W, codes + 1, bias=False)

    def forward(self, words, pooled, word_mask, null, tokens):
        B, L, _ = words.shape
        N = tokens.shape[1]
        cp = self.cond_proj(pooled)
        keep = (1 - null)[:, None]
        cp = cp * keep + self.null_cond[None] * (1 - keep)
        x = torch.cat([self.word_proj(words), cp[:, None], self.tok_emb(tokens) + self.pos_emb[:N][None]], 1)
        mask = torch.cat([word_mask * (1 - null)[:, None], torch.ones(B, 1 + N)], 1)
        for b in self.blocks:
            x = b(x, mask)
        return self.head(self.ln_f(x)[:, L:])


torch.manual_seed(11)
codes, W, layers, NH, max_tokens, TW = 10, 32, 2, 4, 8, 24
B, L, N = 3, 5, 6
g = GPT(codes, W, layers, NH, max_tokens, TW)
with torch.no_grad():  # non-trivial LayerNorm affine parameters
    for b in g.blocks:
        for ln in (b.ln1, b.ln2):
            ln.weight.normal_(1, 0.2)
            ln.bias.normal_(0, 0.2)
words = torch.randn(B, L, TW, requires_grad=True)
pooled = torch.randn(B, TW, requires_grad=True)
word_mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 1, 1, 1, 0]], dtype=torch.float64)
null = torch.tensor([0, 0, 1], dtype=torch.float64)  # row 2: the null condition
tokens = torch.tensor([[3, 1, 4, 1, 5, 9], [2, 6, 5, 3, 10, 11], [7, 0, 10, 11, 11, 11]])  # END=10, PAD=11
y = g(words, pooled, word_mask, null, tokens)
r = torch.randn(y.shape)
(y * r).sum().backward()
t = {}
st_io.add_module(t, g)
t["in.words"] = words.detach().numpy()
t["in.pooled"] = pooled.detach().numpy()
t["grad.in.words"] = words.grad.numpy()
t["grad.in.pooled"] = pooled.grad.numpy()
t["in.word_mask"] = word_mask.numpy()
t["in.null"] = null.numpy()
t["in.tokens"] = tokens.double().numpy()
t["in.r"] = r.numpy()
t["out.y"] = y.detach().numpy()
st_io.save(os.path.join(out_dir, "t2m_gpt.safetensors"), t,
           {"source": "ref/ref_t2m.py", "config": f"codes={codes} width={W} layers={layers} heads={NH} "
            f"mlp_ratio=4 max_tokens={max_tokens} text_width={TW} drop=0"})
print(f"  t2m_gpt: {len(t)} tensors, logits {tuple(y.shape)}")
