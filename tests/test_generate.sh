#!/usr/bin/env bash
# test_generate.sh MOSA: end-to-end checks of `mosa train t2v` and `mosa generate --no-structure`
# on a tiny model trained here (a 4-clip 32x32 dataset, a 2-level VAE trained for 2 steps, a
# 1-layer DiT trained for 4 steps, everything at 16x16, 5 frames): a run stopped after step 2 and
# resumed writes the same model bytes as an uninterrupted one; the video is written with
# the asked size and frame count, the same seed gives the same bytes, sizes off the grid are
# rounded with a note, and bad input (no --no-structure, no or empty prompt, bad numbers, an
# unknown extension, a missing directory, a missing or mismatched model file, a size that would
# not fit in memory) gets exit 1 with a message and leaves no output file behind. Last, the
# shipped models (models/video/) load by default and make a 2-step video.
set -u
mosa=${1:?usage: test_generate.sh path/to/mosa}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }
# expect_error DESCRIPTION PATTERN COMMAND...: exit 1 (not a crash) and PATTERN in stderr
expect_error() {
  local d=$1 pat=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  if [ "$rc" -eq 1 ] && grep -q -- "$pat" "$tmp/err"; then pass=$((pass + 1));
  else fail=$((fail + 1)); echo "FAIL: $d (rc=$rc): $(cat "$tmp/err")"; fi
}
export OMP_NUM_THREADS=2

# ---- a tiny model ----
tiny_vae="in_ch=3 latent_ch=4 levels=2 ch=8,8 layers=1 time_levels=1 groups=4 scaling_factor=1"
other_vae="in_ch=3 latent_ch=2 levels=2 ch=8,8 layers=1 time_levels=1 groups=4 scaling_factor=1"
ok "dataset" '"$mosa" dataset synth -n 4 --seed 3 --size 32x32 --frames 5 --fps 8 --threads 1 -o "$tmp/data" >/dev/null 2>&1'
ok "train vae" '"$mosa" train vae --data "$tmp/data" --out "$tmp/vae" --steps 2 --batch 1 --crop 16x16 --crop-frames 5 --eval-every 0 --scale-clips 2 --config "$tiny_vae" --threads 2 >/dev/null 2>"$tmp/vae.log" && [ -s "$tmp/vae/vae.safetensors" ]'
ok "train another vae" '"$mosa" train vae --data "$tmp/data" --out "$tmp/vae2" --steps 1 --batch 1 --crop 16x16 --crop-frames 5 --eval-every 0 --scale-clips 2 --config "$other_vae" --threads 2 >/dev/null 2>&1 && [ -s "$tmp/vae2/vae.safetensors" ]'
[ -s "$tmp/vae/vae.safetensors" ] || { echo "no VAE: $(tail -3 "$tmp/vae.log")"; echo "$pass passed, $((fail + 1)) failed"; exit 1; }
vae=$tmp/vae/vae.safetensors
ok "train t2v" '"$mosa" train t2v --data "$tmp/data" --val "$tmp/data" --vae "$vae" --out "$tmp/run" --steps 4 --batch 2 --size 16x16 --frames 5 --width 32 --layers 1 --heads 2 --text-width 16 --text-layers 1 --buckets 2 --eval-every 4 --ckpt-every 2 --export "$tmp/t2v_bf16.safetensors" >/dev/null 2>"$tmp/train.log"'
ok "run dir: model, state, logs, caches" '[ -s "$tmp/run/t2v.safetensors" ] && [ -s "$tmp/run/state.safetensors" ] && [ -s "$tmp/run/latents.safetensors" ] && [ -s "$tmp/run/latents_val.safetensors" ] && [ -s "$tmp/t2v_bf16.safetensors" ]'
ok "eval.tsv has the bucket columns" 'head -1 "$tmp/run/eval.tsv" | grep -q "bucket1" && [ "$(wc -l < "$tmp/run/eval.tsv")" -eq 3 ]'
targs=(--data "$tmp/data" --val "$tmp/data" --vae "$tmp/vae/vae.safetensors" --steps 4 --batch 2 --size 16x16 --frames 5 --width 32 --layers 1 --heads 2 --text-width 16 --text-layers 1 --buckets 2 --eval-every 4 --ckpt-every 2)
ok "train t2v, stopped after step 2" '"$mosa" train t2v "${targs[@]}" --out "$tmp/run_b" --stop-after 2 >/dev/null 2>&1 && [ ! -e "$tmp/run_b/t2v.safetensors" ]'
ok "resumed to step 4" '"$mosa" train t2v "${targs[@]}" --out "$tmp/run_b" --resume >/dev/null 2>"$tmp/resume.log" && grep -q "resumed at step 2" "$tmp/resume.log"'
ok "resumed latents come from the cache" 'grep -q "loaded from" "$tmp/resume.log"'
ok "stop + resume = uninterrupted (same model bytes)" 'cmp -s "$tmp/run/t2v.safetensors" "$tmp/run_b/t2v.safetensors"'
expect_error "resume with other options" "options differ" "$mosa" train t2v --data "$tmp/data" --vae "$vae" --out "$tmp/run" --steps 8 --resume
expect_error "train: no vae" "no --vae" "$mosa" train t2v --data "$tmp/data" --out "$tmp/run2"
model=$tmp/run/t2v.safetensors
gen() { "$mosa" generate "A man in a red top walks on the grass" --no-structure --model "$model" --vae "$vae" --steps 3 "$@"; }

# ---- generate ----
ok "mp4" 'gen -o "$tmp/a.mp4" -s 7 >"$tmp/gen.out" 2>"$tmp/gen.err"'
ok "prints what it wrote" 'grep -q "wrote .*a.mp4: 5 frames of 16x16 at 8 fps" "$tmp/gen.out"'
if command -v ffprobe >/dev/null; then
  ok "mp4: 5 frames 16x16" '[ "$(ffprobe -v error -count_frames -show_entries stream=width,height,nb_read_frames -of csv=p=0 "$tmp/a.mp4")" = "16,16,5" ]'
  ok "mp4 carries the parameters" 'ffprobe -v error -show_entries format_tags=comment -of csv=p=0 "$tmp/a.mp4" | grep -q "red top"'
fi
ok "gif, same seed" 'gen -o "$tmp/a.gif" -s 7 -q && gen -o "$tmp/b.gif" -s 7 -q'
ok "same seed, same bytes" 'cmp -s "$tmp/a.gif" "$tmp/b.gif"'
ok "other seed" 'gen -o "$tmp/c.gif" -s 8 -q'
ok "other seed, other bytes" '! cmp -s "$tmp/a.gif" "$tmp/c.gif"'
ok "png frames into a directory" 'gen -o "$tmp/frames/" -q --cfg-scale 1 -n "blurry" && [ "$(ls "$tmp/frames" | grep -c png)" -eq 5 ]'
ok "bf16 model" 'gen --model "$tmp/t2v_bf16.safetensors" -o "$tmp/bf.gif" -q'
ok "size rounded with a note" 'gen -W 18 -H 16 --frames 6 -o "$tmp/r.mp4" >/dev/null 2>"$tmp/r.err"'
ok "note: width" 'grep -q "width 18 rounded to 20: must be a multiple of 4" "$tmp/r.err"'
ok "note: frames" 'grep -q "6 frames rounded to 7" "$tmp/r.err"'
if command -v ffprobe >/dev/null; then
  ok "rounded video: 7 frames 20x16" '[ "$(ffprobe -v error -count_frames -show_entries stream=width,height,nb_read_frames -of csv=p=0 "$tmp/r.mp4")" = "20,16,7" ]'
fi

# ---- bad input ----
expect_error "no --no-structure" "structure branch of the appearance model is not built yet" "$mosa" generate "a man walks" -o "$tmp/x.mp4" --model "$model" --vae "$vae"
expect_error "no prompt" "no prompt" "$mosa" generate --no-structure -o "$tmp/x.mp4"
expect_error "empty prompt" "prompt is empty" "$mosa" generate "  " --no-structure -o "$tmp/x.mp4"
expect_error "no output" "no output" gen
expect_error "bad steps" "steps wants" gen --steps 0 -o "$tmp/x.mp4"
expect_error "bad cfg" "cfg-scale wants" gen --cfg-scale abc -o "$tmp/x.mp4"
expect_error "bad width" "W wants an integer" gen -W -5 -o "$tmp/x.mp4"
expect_error "bad frames" "frames wants" gen --frames 0 -o "$tmp/x.mp4"
expect_error "unknown extension" "x.txt" gen -o "$tmp/x.txt"
expect_error "missing directory" "does not exist" gen -o "$tmp/nodir/x.mp4"
expect_error "missing model" "nope.safetensors" gen --model "$tmp/nope.safetensors" -o "$tmp/x.mp4"
expect_error "not a t2v model" "not a text-to-video model" gen --model "$vae" -o "$tmp/x.mp4"
if [ -s "$tmp/vae2/vae.safetensors" ]; then
  expect_error "mismatched VAE" "is not the one the text-to-video model was trained on" gen --vae "$tmp/vae2/vae.safetensors" -o "$tmp/x.mp4"
fi
expect_error "too big for memory" "GiB" gen -W 16384 -H 16384 --frames 100000 -o "$tmp/x.mp4"
expect_error "over --max-memory" "max-memory" gen -W 1024 -H 1024 --frames 33 --max-memory 0.05 -o "$tmp/x.mp4"
expect_error "unknown option" "unknown option" gen --bogus 1 -o "$tmp/x.mp4"
ok "no output after errors" '[ -z "$(ls "$tmp" | grep "^x")" ] && [ ! -e "$tmp/nodir" ]'

# ---- the shipped models (models/video/): they load together, by default, and make a video ----
ok "shipped models: 2 steps at the default size, 33 frames of 128x128, not all alike" '"$mosa" generate "a man in a blue jacket walks on the beach" --no-structure --steps 2 --seed 1 -o "$tmp/shipped/" >/dev/null 2>"$tmp/shipped.err" && [ "$(ls "$tmp/shipped" | wc -l)" -eq 33 ] && [ "$(md5sum "$tmp"/shipped/*.png | cut -d" " -f1 | sort -u | wc -l)" -gt 1 ] || { cat "$tmp/shipped.err"; false; }'
if command -v ffprobe >/dev/null; then
  ok "shipped models: frames are 128x128" '[ "$(ffprobe -v error -show_entries stream=width,height -of csv=p=0 "$tmp/shipped/frame_00000.png")" = "128,128" ]'
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
