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
