#!/usr/bin/env python3
"""t2v_x0_error.py RUN_DIR [RUN_DIR...]: the held-out loss of a `mosa train t2v` run (its
eval.tsv, EMA rows) as the mean squared error of the predicted clean latent x0 per timestep
bucket, comparable between eps- and v-prediction runs.

Each bucket is one timestep t (bucket k of K at t = floor((k + 0.5) T / K)), so the conversion is
exact: x0_hat = (x_t - sqrt(1-abar) eps_hat) / sqrt(abar) gives x0 error^2 = (1-abar)/abar *
eps error^2; x0_hat = sqrt(abar) x_t - sqrt(1-abar) v_hat gives (1-abar) * v error^2. With the
per-channel latent normalisation, predicting the mean (0) scores 1.0 in every bucket. The
schedule is the trainer's (scaled_linear betas 0.00085..0.012, T = 1000, zero terminal SNR
rescaling when the run's options say zero_snr=1). Needs numpy (Debian python3-numpy)."""
import sys

import numpy as np


def abar(zero_snr, T=1000, b0=0.00085, b1=0.012):
    a = np.cumprod(1 - np.linspace(b0 ** 0.5, b1 ** 0.5, T, dtype=np.float64) ** 2)
    if zero_snr:  # Lin et al. 2024, Algorithm 1
        s = np.sqrt(a)
        s = (s - s[-1]) * s[0] / (s[0] - s[-1])
        a = s ** 2
    return a


for run in sys.argv[1:]:
    opts = dict(kv.split("=", 1) for kv in open(f"{run}/run.txt").read().split() if "=" in kv)
    pred, zero = opts["pred"], int(opts["zero_snr"])
    ab = abar(zero)
    rows = [line.rstrip("\n").split("\t") for line in open(f"{run}/eval.tsv")]
    head, rows = rows[0], [r for r in rows[1:] if r[1] == "ema"]
    K = len(head) - 3
    ts = [int((k + 0.5) * 1000 / K) for k in range(K)]
    print(f"{run} (pred {pred}, zero_snr {zero}): x0 mean squared error per bucket, t = {ts}")
    for r in rows:
        losses = [float(v) for v in r[3:]]
        x0 = [l * (1 - ab[t]) / ab[t] if pred == "eps" else l * (1 - ab[t]) for l, t in zip(losses, ts)]
        print(f"  step {r[0]:>6}: " + " ".join(f"{v:.3f}" for v in x0) + f"  mean {np.mean(x0):.3f}")
