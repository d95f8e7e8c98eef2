#!/usr/bin/env bash
# train_motion.sh: reproduces the shipped structure-branch models in models/motion/ from scratch
# on the procedural motion corpus (no downloads). Each step is resumable: rerun the script after
# an interruption and every step continues bit-exactly from its last checkpoint.
#   usage: scripts/train_motion.sh [BUILD_DIR]   (default: build; run from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
mosa="$build/mosa"
[ -x "$mosa" ] || { echo "train_motion.sh: $mosa not found; build first (cmake -S . -B $build && cmake --build $build)" >&2; exit 1; }
mkdir -p runs models/motion

# resume a run directory that already holds a checkpoint
resume_flag() { [ -f "$1/state.safetensors" ] && echo --resume || true; }

# 1. the motion tokenizer (VQ-VAE, ~25-50 min on 2 shared cores): models/motion/vqvae.safetensors
if [ ! -f runs/vqvae/vqvae.safetensors ]; then
  "$mosa" motion train vqvae --out runs/vqvae $(resume_flag runs/vqvae) \
    --steps 3000 --batch 64 --corpus-size 2000 --test-size 128 --seed 1 \
    --lr 1e-3 --lr-min 5e-5 --warmup 100 --eval-every 250 --ckpt-every 250 --threads 1 \
    --export models/motion/vqvae.safetensors
fi

# 2. the structure transformer (text -> motion tokens over the frozen VQ-VAE; ~45 min on 2 shared
#    cores, one thread, ~36 min on an idle core): models/motion/t2m.safetensors
if [ ! -f runs/t2m/t2m.safetensors ]; then
  "$mosa" motion train t2m --vqvae models/motion/vqvae.safetensors --out runs/t2m $(resume_flag runs/t2m) \
    --steps 5000 --batch 32 --corpus-size 8000 --test-size 200 --seed 1 \
    --lr 5e-4 --lr-min 1e-5 --warmup 100 --eval-every 250 --ckpt-every 250 --threads 1 \
    --export models/motion/t2m.safetensors
fi

# 3. the motion-text evaluator (contrastive motion/text encoders + action classifier, ~20-50 min on
#    2 shared cores): models/motion/evaluator.safetensors. Rerunning resumes (a finished run just
#    re-exports). Check it with: "$mosa" motion eval --real
"$mosa" motion train evaluator --out runs/evaluator $(resume_flag runs/evaluator) \
  --steps 1000 --batch 64 --corpus-size 3000 --test-size 512 --seed 1 \
  --eval-every 100 --ckpt-every 100 \
  --export models/motion/evaluator.safetensors
