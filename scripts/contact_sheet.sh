#!/usr/bin/env bash
# contact_sheet.sh [OUT.png]: renders one mid-action frame of several procedural actions with
# `mosa motion sample` + `mosa motion render` and tiles them (ffmpeg's tile filter) into one
# contact sheet, the picture in docs/motion.md. Needs ./setup.sh to have run.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/img/contact_sheet.png}
mosa=./build/mosa
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
actions=(walk run jump_forward squat lunge front_kick wave_both clap side_stretch toe_touch tree_pose
         warrior_pose sit_down bow throw jumping_jacks push_up cartwheel)
i=0
for a in "${actions[@]}"; do
  "$mosa" motion sample --action "$a" --seconds 6 --seed 7 -o "$tmp/$a.npy" >/dev/null
  "$mosa" motion render "$tmp/$a.npy" -o "$tmp/$a/" --size 256x256 --camera elev=10,azim=30 --follow >/dev/null
  # the frame at 40% of the clip
  n=$(ls "$tmp/$a" | wc -l)
  f=$(ls "$tmp/$a" | sort | sed -n "$(( n * 2 / 5 + 1 ))p")
  ffmpeg -loglevel error -y -i "$tmp/$a/$f" -vf "drawtext=text='$a':x=6:y=6:fontcolor=white:fontsize=16" \
    "$tmp/tile_$(printf %02d $i).png" 2>/dev/null || cp "$tmp/$a/$f" "$tmp/tile_$(printf %02d $i).png"
  i=$((i + 1))
done
ffmpeg -loglevel error -y -i "$tmp/tile_%02d.png" -vf "tile=6x3:padding=4:color=gray" -frames:v 1 "$out"
echo "wrote $out"
