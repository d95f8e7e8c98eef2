"""ref_tflite_kernels.py OUTDIR: PyTorch/NumPy references for tests/test_tflite_kernels.c.

Writes OUTDIR/tflite_kernels.safetensors: for each case "<case>.x" (input, NHWC), "<case>.w"
and "<case>.b" (TFLite weight layouts: conv OHWI, depthwise [1,KH,KW,C*M], transpose conv
OHWI) and "<case>.y" (expected output, NHWC). The C test knows each case's parameters.

TFLite rules reproduced here (the C kernels must match them):
  - SAME padding: out = ceil(in/s); total = max((out-1)*s + (k-1)*d + 1 - in, 0); before =
    total//2, after = total - before (asymmetric, via F.pad).
  - AVERAGE_POOL with SAME divides by the number of valid (unpadded) elements.
  - RESIZE_BILINEAR half_pixel_centers == F.interpolate(align_corners=False); align_corners
    == F.interpolate(align_corners=True).
  - Convolution2DTransposeBias (MediaPipe): total = max(0, k - (in-1) % s - 1) for SAME (0 for
    VALID), out = s*(in-1) + k - total, and the result is F.conv_transpose2d (full size
    s*(in-1) + k) cropped to [total//2, total//2 + out).
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_io  # noqa: E402

rs = np.random.RandomState(1234)
out = {}
torch.set_num_threads(2)


def rnd(*shape, scale=1.0):
    return (rs.standard_normal(shape) * scale).astype(np.float32)


def nchw(x):
    return torch.from_numpy(x).double().permute(0, 3, 1, 2)


def nhwc(t):
    return t.permute(0, 2, 3, 1).contiguous().numpy()


def same_pad(n, k, s, d):
    o = (n + s - 1) // s
    total = max((o - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def act(y, a):
    if a == "relu":
        return torch.clamp(y, min=0)
    if a == "relu6":
        return torch.clamp(y, 0, 6)
    return y


def conv(name, N, H, W, C, O, KH, KW, s, d, pad, a, bias=True):
    x, w = rnd(N, H, W, C), rnd(O, KH, KW, C, scale=0.3)
    b = rnd(O) if bias else np.zeros(O, np.float32)
    t = nchw(x)
    if pad == "same":
        pt, pb = same_pad(H, KH, s, d)
        pl, pr = same_pad(W, KW, s, d)
        t = F.pad(t, (pl, pr, pt, pb))
    y = F.conv2d(t, torch.from_numpy(w).double().permute(0, 3, 1, 2), torch.from_numpy(b).double(), stride=s,
                 dilation=d)
    out[name + ".x"], out[name + ".w"], out[name + ".b"], out[name + ".y"] = x, w, b, nhwc(act(y, a))


def dwconv(name, N, H, W, C, M, K, s, pad, a):
    x, w, b = rnd(N, H, W, C), rnd(1, K, K, C * M, scale=0.3), rnd(C * M)
    t = nchw(x)
    if pad == "same":
        pt, pb = same_pad(H, K, s, 1)
        pl, pr = same_pad(W, K, s, 1)
        t = F.pad(t, (pl, pr, pt, pb))
    wt = torch.from_numpy(w[0]).double().permute(2, 0, 1).unsqueeze(1)  # [C*M, 1, K, K]
    y = F.conv2d(t, wt, torch.from_numpy(b).double(), stride=s, groups=C)
    out[name + ".x"], out[name + ".w"], out[name + ".b"], out[name + ".y"] = x, w, b, nhwc(act(y, a))


def pool(name, kind, N, H, W, C, K, s, pad):
    x = rnd(N, H, W, C)
    t = nchw(x)
    pt = pb = pl = pr = 0
    if pad == "same":
        pt, pb = same_pad(H, K[0], s, 1)
        pl, pr = same_pad(W, K[1], s, 1)
    if kind == "max":
        y = F.max_pool2d(F.pad(t, (pl, pr, pt, pb), value=-np.inf), K, s)
    else:
        ssum = F.avg_pool2d(F.pad(t, (pl, pr, pt, pb)), K, s) * (K[0] * K[1])
        cnt = F.avg_pool2d(F.pad(torch.ones_like(t), (pl, pr, pt, pb)), K, s) * (K[0] * K[1])
        y = ssum / cnt
    out[name + ".x"], out[name + ".y"] = x, nhwc(y)


def resize(name, N, H, W, C, Ho, Wo, align):
    x = rnd(N, H, W, C)
    y = F.interpolate(nchw(x), size=(Ho, Wo), mode="bilinear", align_corners=align)
    out[name + ".x"], out[name + ".y"] = x, nhwc(y)


def tconv(name, N, H, W, C, O, KH, KW, s, pad):
    x, w, b = rnd(N, H, W, C), rnd(O, KH, KW, C, scale=0.5), rnd(O)
    full = F.conv_transpose2d(nchw(x), torch.from_numpy(w).double().permute(3, 0, 1, 2), torch.from_numpy(b).double(),
                              stride=s)
    crops = []
    for n, k in ((H, KH), (W, KW)):
        total = max(0, k - (n - 1) % s - 1) if pad == "same" else 0
        crops.append((total // 2, s * (n - 1) + k - total))
    (t0, ho), (l0, wo) = crops
    out[name + ".x"], out[name + ".w"], out[name + ".b"] = x, w, b
    out[name + ".y"] = nhwc(full[:, :, t0:t0 + ho, l0:l0 + wo])


# conv2d: SAME s1, SAME s2 with odd sizes (asymmetric pad), VALID s2, dilation, 1x1
conv("conv_a", 2, 9, 11, 5, 7, 3, 3, 1, 1, "same", "none")
conv("conv_b", 1, 13, 10, 3, 6, 3, 3, 2, 1, "same", "relu6")
conv("conv_c", 1, 12, 9, 4, 5, 5, 5, 2, 1, "valid", "relu")
conv("conv_d", 1, 10, 7, 3, 4, 3, 3, 1, 2, "same", "none")
conv("conv_e", 2, 7, 5, 6, 9, 1, 1, 1, 1, "same", "relu6")
conv("conv_f", 1, 8, 8, 3, 16, 3, 3, 2, 1, "valid", "relu6", bias=False)
# depthwise: M=1 SAME s1 / SAME s2 5x5 / VALID s2, M=3
dwconv("dw_a", 2, 9, 8, 5, 1, 3, 1, "same", "relu6")
dwconv("dw_b", 1, 11, 10, 4, 1, 5, 2, "same", "none")
dwconv("dw_c", 1, 9, 7, 3, 3, 3, 2, "valid", "relu")
dwconv("dw_d", 1, 10, 9, 20, 1, 3, 2, "same", "none")
# pools
pool("maxpool_a", "max", 2, 9, 7, 5, (2, 2), 2, "valid")
pool("maxpool_b", "max", 1, 9, 8, 3, (3, 3), 2, "same")
pool("avgpool_a", "avg", 1, 9, 8, 3, (3, 3), 2, "same")
pool("avgpool_b", "avg", 2, 6, 5, 7, (6, 5), 1, "valid")  # a global pool
xm = rnd(2, 6, 5, 7)
out["mean.x"], out["mean.y"] = xm, xm.astype(np.float64).mean(axis=(1, 2), keepdims=True)
# resize_bilinear
resize("rs_a", 1, 7, 5, 3, 14, 10, False)
resize("rs_b", 2, 5, 6, 4, 13, 8, False)
resize("rs_c", 1, 9, 8, 2, 4, 5, False)
resize("rs_d", 1, 5, 6, 3, 11, 9, True)
# Convolution2DTransposeBias
tconv("tc_a", 1, 6, 5, 4, 3, 2, 2, 2, "same")   # H: out 12 (= in*s); W: out 9, total pad 1
tconv("tc_b", 2, 5, 6, 3, 2, 3, 3, 2, "same")   # H: 9, before 1; W: 12, before 0
tconv("tc_c", 1, 4, 5, 3, 2, 3, 3, 2, "valid")
tconv("tc_d", 1, 8, 8, 16, 1, 2, 2, 2, "same")  # the selfie model's shape, scaled down
# element-wise
out["unary.x"] = rnd(1001, scale=4.0)
xt = torch.from_numpy(out["unary.x"]).double()
out["logistic.y"] = torch.sigmoid(xt).numpy()
out["hard_swish.y"] = (xt * torch.clamp(xt + 3, 0, 6) / 6).numpy()
out["f16.y"] = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16).astype(np.float32)

# add / mul with numpy broadcasting (fused RELU6 / RELU where named)
for name, sa, sb, op, a in (("add_a", (2, 5, 6, 7), (7,), "add", "relu6"), ("mul_b", (1, 5, 6, 7), (1, 1, 1, 7), "mul", ""),
                            ("add_c", (2, 1, 6, 1), (1, 5, 1, 7), "add", ""), ("mul_d", (3, 4, 5, 6), (1,), "mul", ""),
                            ("add_e", (2, 3, 4, 5), (2, 3, 4, 5), "add", "relu")):
    xa, xb = rnd(*sa, scale=4.0), rnd(*sb, scale=2.0)
    y = xa + xb if op == "add" else xa * xb
    y = np.clip(y, 0, 6) if a == "relu6" else (np.maximum(y, 0) if a == "relu" else y)
    out[name + ".a"], out[name + ".b"], out[name + ".y"] = xa, xb, y
# pad and concatenation
xp = rnd(1, 5, 4, 3)
out["pad.x"], out["pad.y"] = xp, np.pad(xp, ((0, 0), (2, 1), (0, 3), (1, 0)))
c0, c1, c2 = rnd(2, 3, 4), rnd(2, 1, 4), rnd(2, 2, 4)
out["cat.x0"], out["cat.x1"], out["cat.x2"], out["cat.y"] = c0, c1, c2, np.concatenate([c0, c1, c2], axis=1)

st_io.save(os.path.join(sys.argv[1], "tflite_kernels.safetensors"), out, {"torch": torch.__version__})
print(f"  tflite_kernels: {len(out)} tensors")
