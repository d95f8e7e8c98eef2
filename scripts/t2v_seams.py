#!/usr/bin/env python3
"""t2v_seams.py [--grid N] PATTERN...: how much of a video's edge energy sits on the DiT's patch grid.

Each PATTERN is a glob of frames (PNG) or videos that ffmpeg reads. For every frame, the mean
absolute difference between neighbouring pixels (RGB, 0..255) is split by where the boundary
lies: on the patch grid (every N pixels: the VAE's spatial factor 8 times the DiT's patch 2 = 16
by default), on the latent grid between patches (every N/2 pixels but not N), or inside a latent
pixel. A clip whose tokens are predicted each on its own shows high-contrast seams on the patch
grid: the ratio patch-edge / inside is ~1.2 for MoVid-syn videos and ~1.8 for their VAE
reconstructions, and much higher for an undertrained DiT (docs/video.md). Uses every 4th frame
of a video.
Needs python3-numpy and ffmpeg.
"""
import glob
import subprocess
import sys

import numpy as np


def frames(path):
    """The frames of an image or video file, as (T, H, W, 3) float arrays."""
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                            "stream=width,height", "-of", "csv=p=0", path], capture_output=True, text=True)
    if probe.returncode != 0 or not probe.stdout.strip():
        sys.exit(f"t2v_seams: cannot read {path}: {probe.stderr.strip() or 'not an image or video'}")
    w, h = (int(v) for v in probe.stdout.strip().split("\n")[0].split(",")[:2])
    raw = subprocess.run(["ffmpeg", "-loglevel", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3).astype(np.float64)


def seams(files, grid):
    rows = []
    for f in files:
        for im in frames(f)[::4]:
            for d in (np.abs(np.diff(im, axis=1)).mean(axis=(0, 2)), np.abs(np.diff(im, axis=0)).mean(axis=(1, 2))):
                b = np.arange(1, d.shape[0] + 1)  # the boundary between pixel b-1 and b
                half = grid // 2
                rows.append((d[b % grid == 0].mean(), d[(b % half == 0) & (b % grid != 0)].mean(), d[b % half != 0].mean()))
    return np.mean(rows, axis=0)


def main(argv):
    grid = 16
    if len(argv) >= 2 and argv[0] == "--grid":
        grid = int(argv[1])
        argv = argv[2:]
    if not argv or grid < 4 or grid % 2:
        sys.exit(__doc__)
    for pat in argv:
        files = sorted(glob.glob(pat))
        if not files:
            sys.exit(f"t2v_seams: nothing matches {pat}")
        p, l, i = seams(files, grid)
        print(f"{pat}: patch-grid edge {p:.2f}, latent-grid edge {l:.2f}, inside {i:.2f}, ratio {p / i:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
