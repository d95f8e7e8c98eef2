#!/usr/bin/env bash
# test_cli.sh MOSA: end-to-end checks of the `mosa` command line: the motion subcommands write
# what they say (checked with ffprobe and the files' sizes), and bad input gets a clear message
# and a non-zero exit, never a crash, and leaves no output file behind.
set -u
mosa=${1:?usage: test_cli.sh path/to/mosa}
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

# ---- sample ----
ok "list names 30+ actions" '[ "$("$mosa" motion list | grep -c "min ")" -ge 30 ]'
ok "sample walk" '"$mosa" motion sample --action walk --seconds 2 --seed 3 -o "$tmp/w.npy" >/dev/null'
ok "npy size: 40 frames x 22 x 3 float32 + header" '[ $(stat -c %s "$tmp/w.npy") -eq $((40 * 66 * 4 + 128)) ]'
"$mosa" motion sample --action walk --seconds 2 --seed 3 -o "$tmp/w2.npy" >/dev/null
ok "same seed, same bytes" 'cmp -s "$tmp/w.npy" "$tmp/w2.npy"'
"$mosa" motion sample --action walk --seconds 2 --seed 4 -o "$tmp/w3.npy" >/dev/null
ok "other seed, other bytes" '! cmp -s "$tmp/w.npy" "$tmp/w3.npy"'
ok "sequence + bvh + features + captions" '"$mosa" motion sample --action walk,jump --seconds 2 -o "$tmp/s.npy" --bvh "$tmp/s.bvh" --features "$tmp/f.npy" --captions > "$tmp/cap.txt"'
ok "captions printed" 'grep -q "^caption: " "$tmp/cap.txt" && grep -q "^motion-only: " "$tmp/cap.txt"'
ok "bvh written as MoMask does" 'grep -q "Frame Time: 0.050000" "$tmp/s.bvh"'
ok "two persons" '"$mosa" motion sample --action dance --persons 2 --seconds 2 -o "$tmp/p2.npy" >/dev/null'
expect_error "unknown action" "unknown action 'flyy'" "$mosa" motion sample --action flyy -o "$tmp/x.npy"
expect_error "empty action" "is empty" "$mosa" motion sample --action "" -o "$tmp/x.npy"
expect_error "no output" "no output" "$mosa" motion sample --action walk
expect_error "seconds 0" "seconds wants" "$mosa" motion sample --action walk --seconds 0 -o "$tmp/x.npy"
expect_error "seconds huge" "seconds wants" "$mosa" motion sample --action walk --seconds 100000 -o "$tmp/x.npy"
expect_error "bad side" "side wants" "$mosa" motion sample --action wave --side up -o "$tmp/x.npy"
ok "no file after errors" '[ ! -e "$tmp/x.npy" ]'

# ---- render ----
ok "render mp4" '"$mosa" motion render "$tmp/w.npy" -o "$tmp/w.mp4" --size 128x96 --camera elev=10,azim=30 >/dev/null'
if command -v ffprobe >/dev/null; then
  ok "mp4: 40 frames 128x96 h264" '[ "$(ffprobe -v error -count_frames -show_entries stream=codec_name,width,height,nb_read_frames -of csv=p=0 "$tmp/w.mp4")" = "h264,128,96,40" ]'
fi
ok "render gif, orbit, confidence, half body, json" '"$mosa" motion render "$tmp/p2.npy" -o "$tmp/p.gif" --size 96x96 --trajectory orbit:30 --confidence --half-body --openpose-json "$tmp/json" >/dev/null'
ok "gif and 40 json files" '[ -s "$tmp/p.gif" ] && [ "$(ls "$tmp/json" | wc -l)" -eq 40 ]'
ok "json has 2 people" 'grep -o pose_keypoints_2d "$tmp/json/frame_000000.json" | wc -l | grep -q "^2$"'
ok "render png frames" '"$mosa" motion render "$tmp/w.npy" -o "$tmp/frames/" --size 64x64 --fps 10 --follow >/dev/null && [ "$(ls "$tmp/frames" | wc -l)" -eq 20 ]'
expect_error "missing input" "cannot open" "$mosa" motion render "$tmp/nope.npy" -o "$tmp/y.mp4"
printf 'not a numpy file at all' > "$tmp/bad.npy"
expect_error "corrupt npy" "bad.npy" "$mosa" motion render "$tmp/bad.npy" -o "$tmp/y.mp4"
expect_error "wrong shape" "expected (T,22,3)" "$mosa" motion render "$tmp/f.npy" -o "$tmp/y.mp4"
expect_error "bad camera key" "zoomz" "$mosa" motion render "$tmp/w.npy" -o "$tmp/y.mp4" --camera zoomz=3
expect_error "bad trajectory" "spiral" "$mosa" motion render "$tmp/w.npy" -o "$tmp/y.mp4" --trajectory spiral
expect_error "bad size" "size wants" "$mosa" motion render "$tmp/w.npy" -o "$tmp/y.mp4" --size 99999x2
ok "no video after errors" '[ ! -e "$tmp/y.mp4" ] && [ -z "$(ls "$tmp" | grep "y.mp4")" ]'

# ---- convert ----
ok "bvh -> npy" '"$mosa" motion convert "$tmp/s.bvh" "$tmp/s2.npy" >/dev/null'
ok "npy -> features -> joints" '"$mosa" motion convert "$tmp/w.npy" "$tmp/wf.npy" >/dev/null && "$mosa" motion convert "$tmp/wf.npy" "$tmp/wj.npy" >/dev/null'
expect_error "unsupported conversion" "cannot convert" "$mosa" motion convert "$tmp/w.npy" "$tmp/w.txt"

# ---- dataset ----
ok "dataset synth" '"$mosa" dataset synth -n 3 --seed 5 -o "$tmp/ds" --size 64x64 --frames 9 >/dev/null 2>&1'
ok "raw frames" '"$mosa" dataset synth -n 1 --seed 5 -o "$tmp/dsf" --size 64x64 --frames 5 --png-frames >/dev/null 2>&1 && [ "$(ls "$tmp"/dsf/clips/000000/frames | wc -l)" -eq 5 ]'
ok "3 complete clips" '[ "$(ls "$tmp"/ds/clips/*/meta.json | wc -l)" -eq 3 ]'
ok "resume skips finished clips" '"$mosa" dataset synth -n 3 --seed 5 -o "$tmp/ds" --size 64x64 --frames 9 2>&1 | grep -q "0 generated"'
ok "dataset curate" '"$mosa" dataset curate "$tmp/ds" >/dev/null && [ "$(wc -l < "$tmp/ds/curation.tsv")" -eq 4 ]'
ok "dataset stats" '"$mosa" dataset stats "$tmp/ds" | grep -q "^3 "'
expect_error "synth frames 0" "frames" "$mosa" dataset synth -n 1 --seed 1 -o "$tmp/ds2" --frames 0
expect_error "synth other seed into the same dir" "seed" "$mosa" dataset synth -n 3 --seed 6 -o "$tmp/ds" --size 64x64 --frames 9
expect_error "curate a non-dataset" "clips" "$mosa" dataset curate "$tmp/frames"

# ---- top level ----
expect_error "unknown command" "unknown command" "$mosa" frobnicate
expect_error "unknown subcommand" "unknown subcommand" "$mosa" motion dance

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

# ==== mosa motion generate / train t2m (structure transformer) ====
# A tiny VQ-VAE and structure transformer trained for a few steps stand in for the shipped model.
ok "train a tiny vqvae" '"$mosa" motion train vqvae --out "$tmp/vq" --steps 2 --batch 4 --corpus-size 12 --test-size 2 --width 32 --codes 32 --code-dim 16 --depth 1 --threads 1 >/dev/null 2>&1'
ok "train a tiny t2m" '"$mosa" motion train t2m --vqvae "$tmp/vq/vqvae.safetensors" --out "$tmp/t2m" --steps 3 --batch 4 --corpus-size 12 --test-size 2 --width 32 --layers 1 --heads 2 --text-width 32 --text-layers 1 --threads 1 >/dev/null 2>&1 && [ -s "$tmp/t2m/t2m.safetensors" ]'
ok "t2m run files" '[ -s "$tmp/t2m/train.tsv" ] && [ -s "$tmp/t2m/eval.tsv" ] && [ -s "$tmp/t2m/run.txt" ]'
expect_error "t2m resume with other options" "options differ" "$mosa" motion train t2m --vqvae "$tmp/vq/vqvae.safetensors" --out "$tmp/t2m" --steps 4 --batch 4 --corpus-size 12 --test-size 2 --width 32 --layers 1 --heads 2 --text-width 32 --text-layers 1 --resume
expect_error "t2m without vqvae" "no --vqvae" "$mosa" motion train t2m --out "$tmp/t2m2"
M="$tmp/t2m/t2m.safetensors"
ok "generate" '"$mosa" motion generate "A man in a red coat walks forward and then jumps under the bright sky." --model "$M" --seconds 2 --seed 3 -o "$tmp/g.npy" > "$tmp/gen.txt"'
ok "generate: 40 frames x 22 x 3 float32" '[ $(stat -c %s "$tmp/g.npy") -eq $((40 * 66 * 4 + 128)) ]'
ok "generate prints the motion prompt" 'grep -q "^motion prompt: .*walks" "$tmp/gen.txt"'
"$mosa" motion generate "A man in a red coat walks forward and then jumps under the bright sky." --model "$M" --seconds 2 --seed 3 -o "$tmp/g2.npy" >/dev/null
ok "generate: same seed, same bytes" 'cmp -s "$tmp/g.npy" "$tmp/g2.npy"'
ok "generate: two persons, bvh, render" '"$mosa" motion generate "two people dance" --model "$M" --seconds 1 --persons 2 -o "$tmp/g3.npy" --bvh "$tmp/g3.bvh" --render "$tmp/g3.mp4" --size 64x64 >/dev/null && [ $(stat -c %s "$tmp/g3.npy") -eq $((2 * 20 * 66 * 4 + 128)) ] && [ -s "$tmp/g3.bvh" ] && [ -s "$tmp/g3.mp4" ]'
ok "generate: no motion -> default motion prompt" '"$mosa" motion generate "a red car under the bright sky" --model "$M" --seconds 1 -o "$tmp/g4.npy" | grep -q "default motion prompt \"a person stands.\""'
ok "generate: --motion-prompt overrides" '"$mosa" motion generate "a red car" --motion-prompt "a person waves" --model "$M" --seconds 1 -o "$tmp/g5.npy" | grep -q "(given): a person waves"'
ok "generate: until END" '"$mosa" motion generate "a person jumps" --model "$M" -o "$tmp/g6.npy" --cfg-scale 2 --top-k 5 --temperature 0.8 >/dev/null'
expect_error "generate: empty prompt" "prompt is empty" "$mosa" motion generate "  " --model "$M" -o "$tmp/x.npy"
expect_error "generate: seconds 0" "seconds wants a length above 0" "$mosa" motion generate "a person walks" --model "$M" --seconds 0 -o "$tmp/x.npy"
expect_error "generate: negative seconds" "seconds wants a length above 0" "$mosa" motion generate "a person walks" --model "$M" --seconds -2 -o "$tmp/x.npy"
expect_error "generate: seconds 100000" "longest motion, 10 s" "$mosa" motion generate "a person walks" --model "$M" --seconds 100000 -o "$tmp/x.npy"
expect_error "generate: missing model" "setup.sh" "$mosa" motion generate "a person walks" --model "$tmp/none.safetensors" -o "$tmp/x.npy"
expect_error "generate: a VQ-VAE is not a t2m model" "not a structure-transformer model" "$mosa" motion generate "a person walks" --model "$tmp/vq/vqvae.safetensors" -o "$tmp/x.npy"
expect_error "generate: unwritable output" "x.npy" "$mosa" motion generate "a person walks" --model "$M" --seconds 1 -o "$tmp/no/such/dir/x.npy"
expect_error "generate: no output" "no output" "$mosa" motion generate "a person walks" --model "$M"
# the shipped evaluator on the tiny model: every action prompt reported once, hand-written ones with
# the motion part the extraction kept
ok "eval: --per-prompt lists every prompt" '"$mosa" motion eval --model "$M" --n 4 --threads 1 --per-prompt > "$tmp/ev.txt" 2>/dev/null && [ $(grep -c "^  hand-written " "$tmp/ev.txt") -eq 114 ] && grep -q "^  held-out " "$tmp/ev.txt" && grep -q "^  training " "$tmp/ev.txt" && grep -q "\"an individual sits on a chair\" -> \"an individual sits on a chair.\"" "$tmp/ev.txt"'

ok "generate: no file after errors" '[ ! -e "$tmp/x.npy" ] && [ ! -e "$tmp/no" ]'
echo "$pass passed, $fail failed (with the generate block)"
[ "$fail" -eq 0 ]
