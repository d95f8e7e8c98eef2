#!/usr/bin/env bash
# pose_overlays.sh [BUILD_DIR] [OUT_DIR]: writes the pose/segmentation overlays of docs/performance.md
# (docs/img/pose_astronaut.png, pose_camera.png, pose_astronaut_rotated.png): the test program
# test_pose draws them (selfie mask tinted green, BlazePose skeleton, landmarks: orange = the
# person's left, blue = right, yellow = nose, grey = visibility < 0.5) when MOSA_POSE_OVERLAY_DIR
# is set. Needs the MediaPipe models (scripts/fetch_models.sh) and python3-skimage (./setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
out=${2:-docs/img}
cmake --build "$build" --target test_pose >/dev/null
mkdir -p "$out"
MOSA_POSE_OVERLAY_DIR="$out" OMP_NUM_THREADS=2 "$build/test_pose" | grep -E 'wrote|passed'
