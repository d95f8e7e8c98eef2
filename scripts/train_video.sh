#!/usr/bin/env bash
# train_video.sh: reproduces the appearance base from scratch: the MoVid-syn data, the causal
# video VAE and the text-to-video DiT that ship in models/video/ (no downloads). Each step is
# resumable: rerun the script after an interruption and every run continues bit-exactly from its
# last checkpoint. About 8 hours on 2 cores (the DiT: 7).
#   usage: scripts/train_video.sh [BUILD_DIR]   (default: build; run from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
mosa="$build/mosa"
[ -x "$mosa" ] || { echo "train_video.sh: $mosa not found; build first (cmake -S . -B $build && cmake --build $build)" >&2; exit 1; }
mkdir -p runs models/video

# resume a run directory that already holds a checkpoint
resume_flag() { [ -f "$1/state.safetensors" ] && echo --resume || true; }

# 1. data: 4000 training clips and 64 held-out clips (another seed), 128x128, 33 frames, 16 fps
#    (~7 min + 1 min on 2 cores; an interrupted synth continues)
"$mosa" dataset synth -n 4000 --seed 1 -o runs/movid128
"$mosa" dataset synth -n 64 --seed 2 -o runs/movid128_val

# 2. the VAE (~25 min on one core): the run starts by fitting the linear path (PCA of 256
#    training crops); the shipped model is the run's checkpoint at step 850 of a 1200-step
#    schedule (the network adds only ~0.02 dB per 400 steps at this budget, docs/video_vae.md)
vae_opts=(--data runs/movid128 --val runs/movid128_val --out runs/vae_lp32 --steps 1200 --batch 2
  --crop 64x64 --crop-frames 9 --lr 5e-4 --lr-min 5e-5 --warmup 50 --kl 1e-4 --skeleton-prob 0.2
  --mask-prob 0.05 --eval-every 400 --eval-clips 8 --ckpt-every 50 --seed 1 --threads 1
  --config "in_ch=3 latent_ch=32 levels=4 ch=16,32,64,64 layers=1 time_levels=2 groups=8 scaling_factor=1 spatial_norm=1 linear_path=1")
if [ ! -f runs/vae_lp32/vae_step850.safetensors ]; then
  "$mosa" train vae "${vae_opts[@]}" $(resume_flag runs/vae_lp32) --stop-after 850
  "$mosa" train vae "${vae_opts[@]}" --export-checkpoint
fi
cp runs/vae_lp32/vae_step850.safetensors models/video/vae.safetensors
"$mosa" vae eval --data runs/movid128_val --n 16 --model models/video/vae.safetensors

# 3. the text-to-video DiT with its text encoder, v-prediction with zero terminal SNR on
#    per-channel normalised latents (docs/video.md, "Third and fourth runs"): 1000 clips encoded
#    once (~8 min), then 20000 steps of 8 at ~1.1 s per step on 2 cores (~6-7 hours; rerun the
#    script after an interruption and it resumes). The shipped model is the bf16 export of the
#    EMA weights at step 20000. To look at it midway: the same command with
#    --export-checkpoint writes runs/t2v_e/t2v_step<N>.safetensors.
#    The export is written only when the run has finished, so a finished run is not exported
#    again (a re-export writes the same weights but last_loss=0 into t2v.info: no step ran).
if [ ! -f runs/t2v_e/t2v_bf16.safetensors ]; then
  "$mosa" train t2v --data runs/movid128 --val runs/movid128_val --vae models/video/vae.safetensors \
    --out runs/t2v_e $(resume_flag runs/t2v_e) --max-clips 1000 --val-clips 16 --steps 20000 --batch 8 \
    --lr 3e-4 --lr-min 2e-5 --warmup 100 --width 192 --layers 6 --heads 4 --pred v --zero-snr \
    --eval-every 500 --ckpt-every 100 --threads 2 --export runs/t2v_e/t2v_bf16.safetensors
fi
cp runs/t2v_e/t2v_bf16.safetensors models/video/t2v.safetensors

# 4. look at it: a grid of frames for prompts outside the training captions, and the held-out
#    loss as x0 error per noise level
scripts/t2v_sheet.sh docs/img/t2v_samples.jpg models/video/t2v.safetensors models/video/vae.safetensors
/usr/bin/python3 scripts/t2v_x0_error.py runs/t2v_e
