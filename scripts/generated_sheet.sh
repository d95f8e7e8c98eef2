#!/usr/bin/env bash
# generated_sheet.sh [OUT.png]: generates motions from prompts in words the training captions do
# not use, with the shipped structure transformer (`mosa motion generate`), renders each with a
# following camera and tiles 6 evenly spaced frames per prompt into one row: the picture in
# docs/structure.md. Needs ./setup.sh to have run.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/img/generated_motions.png}
mosa=./build/mosa
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prompts=("a man walks forward and then jumps"
         "a woman sprints ahead"
         "someone does five jumping jacks"
         "a dancer twirls around"
         "a boy squats down twice"
         "a person waves with the right hand"
         "someone kicks forward with the left leg"
         "a girl sits down on a chair")
r=0
for p in "${prompts[@]}"; do
  "$mosa" motion generate "$p" --seconds 5 --seed 3 -o "$tmp/m$r.npy" >/dev/null
  "$mosa" motion render "$tmp/m$r.npy" -o "$tmp/f$r/" --size 160x160 --camera elev=10,azim=30 --follow >/dev/null
  n=$(ls "$tmp/f$r" | wc -l)
  for k in 0 1 2 3 4 5; do
    f=$(ls "$tmp/f$r" | sort | sed -n "$(( (n - 1) * k / 5 + 1 ))p")
    cp "$tmp/f$r/$f" "$tmp/t_$(printf %02d%02d $r $k).png"
  done
  ffmpeg -loglevel error -y -pattern_type glob -i "$tmp/t_$(printf %02d $r)*.png" -vf "tile=6x1:padding=2:color=gray" \
    -frames:v 1 "$tmp/row$r.png"
  ffmpeg -loglevel error -y -i "$tmp/row$r.png" -vf "pad=iw:ih+22:0:22:color=black,drawtext=text='$p':x=6:y=4:fontcolor=white:fontsize=15" \
    "$tmp/rowl$(printf %02d $r).png" 2>/dev/null || cp "$tmp/row$r.png" "$tmp/rowl$(printf %02d $r).png"
  r=$((r + 1))
done
ffmpeg -loglevel error -y -i "$tmp/rowl%02d.png" -vf "tile=1x$r:padding=2:color=gray" -frames:v 1 "$out"
echo "wrote $out"
