"""ref_text_encoder.py OUTDIR: fixture for tests/test_parity_text_encoder.c.

The text encoder of src/text/encoder.h as a PyTorch module, name for name: token embedding +
learned positions (pos_emb, (max_len, width)) -> pre-LN transformer blocks (bidirectional, keys
whose id is PAD = 0 masked) -> final LayerNorm; pooled = the BOS position's output. Writes
OUTDIR/text_encoder.safetensors with the parameters (state_dict names), the ids ("in.ids", as
floats), the outputs ("out.y" (B,L,C), "out.pooled" (B,C)), the cotangents ("in.r", "in.r2";
loss = sum(y * r) + sum(pooled * r2)) and every parameter's gradient ("grad.<name>").
Computed in float64. A second fixture, OUTDIR/text_encoder_concepts.safetensors, adds WordNet
concept rows (concept_emb (concepts+1, width); each id adds the rows of its table entries,
"in.concepts" (vocab, k), 0 = none) and carries its config in the metadata.
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import st_io  # noqa: E402

torch.set_default_dtype(torch.float64)
out_dir = sys.argv[1]
os.makedirs(out_dir, exist_ok=True)

PAD = 0


class TextEncoder(nn.Module):
    def __init__(self, vocab, width, layers, heads, max_len, concepts=0, concept_table=None):
        super().__init__()
        self.tok_emb = nn.Embedding(vocab, width)
        if concepts:  # WordNet concept rows: row 0 = none; table (vocab, k) of rows per id
            self.concept_emb = nn.Embedding(concepts + 1, width)
            self.register_buffer("table", concept_table, persistent=False)
        self.pos_emb = nn.Parameter(torch.randn(max_len, width) * 0.5)
        self.blocks = nn.ModuleList([common.TransformerBlock(width, heads) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(width, eps=1e-5)

    def forward(self, ids):
        B, L = ids.shape
        x = self.tok_emb(ids)
        if hasattr(self, "concept_emb"):
            x = x + self.concept_emb(self.table[ids]).sum(dim=2)
        x = x + self.pos_emb[:L]
        mask = ids != PAD
        for blk in self.blocks:
            x = blk(x, causal=False, key_mask=mask)
        x = self.ln_f(x)
        return x, x[:, 0]


V, C, LAYERS, NH, MAXLEN = 23, 32, 2, 4, 12
NC, K = 9, 3  # the concept variant: 9 concepts, up to 3 per word


def fixture(name, concepts):
    torch.manual_seed(7)
    table = None
    if concepts:  # specials and a few words without concepts, others 1..K rows (0 = none)
        table = torch.randint(0, NC + 1, (V, K))
        table[:4] = 0
        table[10:13] = 0
    enc = TextEncoder(V, C, LAYERS, NH, MAXLEN, NC if concepts else 0, table)
    with torch.no_grad():  # non-trivial LayerNorm affine parameters
        for m in enc.modules():
            if isinstance(m, nn.LayerNorm):
                m.weight.add_(0.2 * torch.randn_like(m.weight))
                m.bias.add_(0.1 * torch.randn_like(m.bias))
    B, L = 3, 10
    ids = torch.full((B, L), PAD, dtype=torch.long)
    lens = [10, 6, 3]  # BOS w.. EOS, then PAD
    for b, n in enumerate(lens):
        ids[b, 0] = 2
        ids[b, 1:n - 1] = torch.randint(4, V, (n - 2,))
        ids[b, n - 1] = 3
    ids[0, 4] = 1  # an UNK inside
    if concepts:
        ids[1, 2] = 11  # a word without concepts
    y, pooled = enc(ids)
    r = torch.randn(y.shape)
    r2 = torch.randn(pooled.shape)
    ((y * r).sum() + (pooled * r2).sum()).backward()
    t = {}
    st_io.add_module(t, enc)
    t["in.ids"] = ids.double().numpy()
    t["in.r"] = r.numpy()
    t["in.r2"] = r2.numpy()
    t["out.y"] = y.detach().numpy()
    t["out.pooled"] = pooled.detach().numpy()
    config = f"vocab={V} width={C} layers={LAYERS} heads={NH} max_len={MAXLEN}"
    if concepts:
        t["in.concepts"] = table.double().numpy()
        config += f" concepts={NC} concept_k={K}"
    st_io.save(os.path.join(out_dir, name + ".safetensors"), t, {"source": "ref/ref_text_encoder.py", "config": config})
    print(f"  {name}: {len(t)} tensors, y {tuple(y.shape)}")


fixture("text_encoder", False)
fixture("text_encoder_concepts", True)
