#!/usr/bin/env bash
# t2v_sheet.sh [OUT.jpg|OUT.png] [T2V_MODEL] [VAE]: generates videos with the base text-to-video model
# (`mosa generate --no-structure`) for prompts that no training caption has (other clothes,
# places and motions combined), and tiles 6 evenly spaced frames of each into one row: the
# picture in docs/video.md. Defaults: the shipped models. Needs ./setup.sh to have run.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/img/t2v_samples.jpg}
model=${2:-models/video/t2v.safetensors}
vae=${3:-models/video/vae.safetensors}
mosa=./build/mosa
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prompts=("A woman in a red top runs on a gravel path in a park"
         "A man in a blue jacket jumps on the beach"
         "A person in a yellow shirt waves on a wooden pier at sunset"
         "A woman in a green dress dances on the grass"
         "A man in white trousers squats in the gym"
         "A child walks across a snowy field")
r=0
for p in "${prompts[@]}"; do
  "$mosa" generate "$p" --no-structure --model "$model" --vae "$vae" --seed 7 -o "$tmp/v$r/" >/dev/null 2>&1
  n=$(ls "$tmp/v$r" | wc -l)
  for k in 0 1 2 3 4 5; do
    f=$(ls "$tmp/v$r" | sort | sed -n "$(( (n - 1) * k / 5 + 1 ))p")
    cp "$tmp/v$r/$f" "$tmp/t_$(printf %02d%02d $r $k).png"
  done
  ffmpeg -loglevel error -y -pattern_type glob -i "$tmp/t_$(printf %02d $r)*.png" -vf "tile=6x1:padding=2:color=gray" \
    -frames:v 1 "$tmp/row$r.png"
  ffmpeg -loglevel error -y -i "$tmp/row$r.png" -vf "pad=iw:ih+22:0:22:color=black,drawtext=text='$p':x=6:y=4:fontcolor=white:fontsize=13" \
    "$tmp/rowl$(printf %02d $r).png" 2>/dev/null || cp "$tmp/row$r.png" "$tmp/rowl$(printf %02d $r).png"
  r=$((r + 1))
done
ffmpeg -loglevel error -y -i "$tmp/rowl%02d.png" -vf "tile=1x$r:padding=2:color=gray" -frames:v 1 -q:v 3 "$out"
echo "wrote $out"
