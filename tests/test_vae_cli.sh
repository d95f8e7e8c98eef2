#!/usr/bin/env bash
# test_vae_cli.sh MOSA: end-to-end checks of `mosa vae encode|decode|eval` and `mosa train vae` on a
# tiny VAE trained here (2 steps on a 3-clip 32x32 dataset): encode -> decode gives a video of
# the right size and frame count, chunked encodes agree, and bad input (a missing or corrupt
# model or video, a size off the VAE grid, a bad --chunk, a latent of the wrong shape or with a
# NaN, an unknown extension, a missing output directory, bad training options) gets exit 1 with a
# message and leaves no output file behind.
set -u
mosa=${1:?usage: test_vae_cli.sh path/to/mosa}
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

tiny="in_ch=3 latent_ch=4 levels=3 ch=8,8,8 layers=1 time_levels=1 groups=4 scaling_factor=1"
ok "dataset" '"$mosa" dataset synth -n 3 --seed 5 --size 32x32 --frames 9 --fps 8 --threads 1 -o "$tmp/data" >/dev/null 2>&1'
ok "train vae" '"$mosa" train vae --data "$tmp/data" --val "$tmp/data" --out "$tmp/run" --steps 2 --batch 1 --crop 16x16 --crop-frames 5 --eval-every 2 --eval-clips 1 --scale-clips 2 --config "$tiny" --threads 2 >/dev/null 2>"$tmp/train.log"'
vae=$tmp/run/vae.safetensors
[ -s "$vae" ] || { echo "no VAE: $(tail -3 "$tmp/train.log")"; echo "$pass passed, $((fail + 1)) failed"; exit 1; }
ok "run dir: state, logs" '[ -s "$tmp/run/state.safetensors" ] && [ -s "$tmp/run/train.tsv" ] && [ -s "$tmp/run/eval.tsv" ]'
clip=$(ls -d "$tmp"/data/clips/* | head -1)/video.mp4

# ---- the round trip ----
ok "encode" '"$mosa" vae encode "$clip" -o "$tmp/lat.npy" --model "$vae" >/dev/null 2>&1 && [ -s "$tmp/lat.npy" ]'
ok "encode in chunks of 2 frames gives the same latent" '"$mosa" vae encode "$clip" -o "$tmp/lat2.npy" --model "$vae" --chunk 2 >/dev/null 2>&1 && cmp -s "$tmp/lat.npy" "$tmp/lat2.npy"'
ok "decode to mp4" '"$mosa" vae decode "$tmp/lat.npy" -o "$tmp/rec.mp4" --model "$vae" --fps 8 >/dev/null 2>&1 && [ -s "$tmp/rec.mp4" ]'
if command -v ffprobe >/dev/null; then
  ok "decoded video: 9 frames of 32x32" '[ "$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames,width,height -of csv=p=0 "$tmp/rec.mp4")" = "32,32,9" ]'
fi
ok "decode to gif" '"$mosa" vae decode "$tmp/lat.npy" -o "$tmp/rec.gif" --model "$vae" >/dev/null 2>&1 && [ -s "$tmp/rec.gif" ]'
ok "eval prints the PSNR" '"$mosa" vae eval --data "$tmp/data" --n 1 --model "$vae" 2>/dev/null | grep -q "^psnr_db"'

# ---- bad input: exit 1, a message, no output file ----
expect_error "no subcommand" "encode, decode or eval" "$mosa" vae bogus
expect_error "missing model" "cannot open\|no such\|not found\|No such" "$mosa" vae encode "$clip" -o "$tmp/x.npy" --model "$tmp/none.safetensors"
printf 'not a model at all' > "$tmp/bad.safetensors"
expect_error "corrupt model" "safetensors\|header\|too small" "$mosa" vae encode "$clip" -o "$tmp/x.npy" --model "$tmp/bad.safetensors"
expect_error "a model of another kind" "VAE\|vae" "$mosa" vae encode "$clip" -o "$tmp/x.npy" --model "$tmp/run/state.safetensors"
expect_error "missing video" "$tmp/none.mp4" "$mosa" vae encode "$tmp/none.mp4" -o "$tmp/x.npy" --model "$vae"
printf 'garbage' > "$tmp/bad.mp4"
expect_error "corrupt video" "bad.mp4" "$mosa" vae encode "$tmp/bad.mp4" -o "$tmp/x.npy" --model "$vae"
ffmpeg -loglevel error -y -f lavfi -i testsrc=size=30x30:rate=8 -frames:v 5 "$tmp/odd.mp4" 2>/dev/null &&
  expect_error "size off the grid" "multiples of 4" "$mosa" vae encode "$tmp/odd.mp4" -o "$tmp/x.npy" --model "$vae"
expect_error "bad --chunk" "chunk" "$mosa" vae encode "$clip" -o "$tmp/x.npy" --model "$vae" --chunk 3
expect_error "no -o" "no output given" "$mosa" vae encode "$clip" --model "$vae"
expect_error "missing output directory" "nodir" "$mosa" vae decode "$tmp/lat.npy" -o "$tmp/nodir/x.mp4" --model "$vae"
expect_error "unknown output extension" "xyz" "$mosa" vae decode "$tmp/lat.npy" -o "$tmp/x.xyz" --model "$vae"
python3 -c "import numpy as np; np.save('$tmp/wrong.npy', np.zeros((3, 2, 4, 4), np.float32)); a = np.zeros((4, 2, 4, 4), np.float32); a[0,0,0,0] = np.nan; np.save('$tmp/nan.npy', a)" 2>/dev/null
[ -s "$tmp/wrong.npy" ] && expect_error "latent with the wrong channels" "want a (4," "$mosa" vae decode "$tmp/wrong.npy" -o "$tmp/x.mp4" --model "$vae"
[ -s "$tmp/nan.npy" ] && expect_error "latent with a NaN" "finite" "$mosa" vae decode "$tmp/nan.npy" -o "$tmp/x.mp4" --model "$vae"
expect_error "eval without data" "no dataset given" "$mosa" vae eval --model "$vae"
expect_error "train: no data" "data" "$mosa" train vae --out "$tmp/r2"
expect_error "train: crop off the grid" "crop" "$mosa" train vae --data "$tmp/data" --out "$tmp/r3" --crop 18x18 --config "$tiny"
expect_error "train: crop frames not 1+2k" "frames" "$mosa" train vae --data "$tmp/data" --out "$tmp/r4" --crop-frames 4 --config "$tiny"
expect_error "train: resume with other options" "differ" "$mosa" train vae --data "$tmp/data" --out "$tmp/run" --steps 3 --batch 2 --config "$tiny" --resume
ok "no output left behind by the failures" '[ ! -e "$tmp/x.npy" ] && [ ! -e "$tmp/x.mp4" ] && [ ! -e "$tmp/x.xyz" ] && [ ! -e "$tmp/nodir" ] && [ -z "$(ls "$tmp" | grep -E "\.tmp\.")" ]'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
