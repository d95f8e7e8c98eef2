#!/usr/bin/env bash
# test_annotate_e2e.sh MOSA: end-to-end checks of `mosa annotate` and `mosa eval pose-confidence`.
# First the bad inputs that need no model (clear message, exit 1, nothing written); then, with the
# MediaPipe models (exit 77 without models/mediapipe/pose_landmark_full.tflite) and Debian's
# python3-skimage photograph of an astronaut (exit 77 without it): a short pan/zoom video of the
# photograph made with src/io/video.h (test_annotate --make-video) is annotated; the clip is read
# back by the loader and its keypoints and masks checked (test_annotate --check-astronaut);
# `mosa dataset stats` and `curate` run on it; a rerun resumes; a corrupt video leaves no clip;
# a MoVid-syn clip's video is annotated too (what is found there is printed, not asserted).
set -u
# one OpenMP thread: on a busy 2-core machine two threads spin-wait for each other and annotate
# runs several times slower (docs/annotate.md); the results do not depend on it
export OMP_NUM_THREADS=1
mosa=${1:?usage: test_annotate_e2e.sh path/to/mosa}
mosa=$(cd "$(dirname "$mosa")" && pwd)/$(basename "$mosa")
helper=$(dirname "$mosa")/test_annotate
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }
# expect_error DESCRIPTION PATTERN COMMAND...: exit 1 (not a crash) and PATTERN in stderr
expect_error() {
  local d=$1 pat=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  if [ "$rc" -eq 1 ] && grep -q -- "$pat" "$tmp/err" && ! grep -q -E "Sanitizer|runtime error" "$tmp/err"; then pass=$((pass + 1));
  else fail=$((fail + 1)); echo "FAIL: $d (rc=$rc): $(cat "$tmp/err")"; fi
}

# ---- bad input, no model needed ----
mkdir -p "$tmp/empty" "$tmp/in"
printf 'this is not a video' > "$tmp/in/junk.mp4"
expect_error "no input" "no input video" "$mosa" annotate -o "$tmp/ds0"
expect_error "no output" "no output" "$mosa" annotate "$tmp/in/junk.mp4"
expect_error "missing video" "nope.mp4" "$mosa" annotate "$tmp/nope.mp4" -o "$tmp/ds0"
expect_error "empty dir" "no video file" "$mosa" annotate "$tmp/empty" -o "$tmp/ds0"
expect_error "bad size" "size wants" "$mosa" annotate "$tmp/in" -o "$tmp/ds0" --size 15x20
expect_error "bad mask" "mask wants" "$mosa" annotate "$tmp/in" -o "$tmp/ds0" --mask depth
expect_error "bad fps" "fps wants" "$mosa" annotate "$tmp/in" -o "$tmp/ds0" --fps 0
expect_error "bad pose model" "unknown pose model 'medium'" "$mosa" annotate "$tmp/in" -o "$tmp/ds0" --pose-model medium
printf 'other.mp4\ta person waves.\n' > "$tmp/caps_bad.txt"
expect_error "captions name an unknown video" "other.mp4" "$mosa" annotate "$tmp/in" -o "$tmp/ds0" --captions "$tmp/caps_bad.txt"
printf 'junk.mp4 no tab here\n' > "$tmp/caps_notab.txt"
expect_error "captions line without tab" "caps_notab.txt:1: no tab" "$mosa" annotate "$tmp/in" -o "$tmp/ds0" --captions "$tmp/caps_notab.txt"
# the models are looked up beside the binary and in ./models: a copy elsewhere finds none
mkdir -p "$tmp/bin" && cp "$mosa" "$tmp/bin/mosa"
( cd "$tmp" && env -u MOSA_MODELS "$tmp/bin/mosa" annotate "$tmp/in" -o "$tmp/ds0" >"$tmp/out" 2>"$tmp/err" ); rc=$?
ok "missing model: exit 1, says ./setup.sh (rc=$rc: $(head -c 300 "$tmp/err"))" '[ $rc -eq 1 ] && grep -q "setup.sh" "$tmp/err"'
( cd "$tmp" && env -u MOSA_MODELS "$tmp/bin/mosa" eval pose-confidence "$tmp/in/junk.mp4" >"$tmp/out" 2>"$tmp/err" ); rc=$?
ok "eval, missing model: says ./setup.sh" '[ $rc -eq 1 ] && grep -q "setup.sh" "$tmp/err"'
ok "nothing written by the failures" '[ ! -e "$tmp/ds0" ]'

model="$root/models/mediapipe/pose_landmark_full.tflite"
photo=/usr/lib/python3/dist-packages/skimage/data/astronaut.png
if [ ! -f "$model" ] || [ ! -f "$photo" ]; then
  echo "$pass passed, $fail failed; end-to-end part skipped: needs $model (./setup.sh) and $photo (apt-get install python3-skimage)"
  [ "$fail" -eq 0 ] || exit 1
  exit 77
fi

# ---- the astronaut ----
T=12 S=256
ok "make the pan/zoom video" '"$helper" --make-video "$photo" "$tmp/in/astronaut.mp4" $T $S'
rm -f "$tmp/in/junk.mp4"
printf '# test captions\nastronaut.mp4\tAn astronaut in an orange suit smiles at the camera.\n' > "$tmp/caps.txt"
ok "output is a file: refused" '! "$mosa" annotate "$tmp/in" -o "$tmp/caps.txt" 2>"$tmp/err" && grep -q "caps.txt" "$tmp/err"'
t0=$(date +%s.%N)
"$mosa" annotate "$tmp/in" -o "$tmp/ds" --captions "$tmp/caps.txt" >"$tmp/out" 2>"$tmp/err"; rc=$?
t1=$(date +%s.%N)
cat "$tmp/out"
ok "annotate runs (rc=$rc: $(head -c 400 "$tmp/err"))" '[ $rc -eq 0 ] && ! grep -q -E "Sanitizer|runtime error" "$tmp/err"'
echo "annotate: $T frames ${S}x$S in $(awk "BEGIN{printf \"%.1f\", $t1 - $t0}") s (models loaded once; 2 cores shared)"
c="$tmp/ds/clips/astronaut"
ok "meta.json and the clip files" 'for f in meta.json video.mp4 skeleton.mp4 masks.npy keypoints2d.npy joints3d.npy tracks.npy tracks_visible.npy; do [ -s "$c/$f" ] || exit 1; done'
ok "caption from the file" 'grep -q "An astronaut in an orange suit" "$c/meta.json" && grep -q "\"caption_source\":.*\"file\"" "$c/meta.json"'
ok "no temporary directories left" '[ -z "$(ls "$tmp/ds/clips" | grep -v "^astronaut$")" ]'
if command -v ffprobe >/dev/null; then
  ok "videos: $T frames ${S}x$S" '[ "$(ffprobe -v error -count_frames -show_entries stream=width,height,nb_read_frames -of csv=p=0 "$c/skeleton.mp4")" = "$S,$S,$T" ] && [ "$(ffprobe -v error -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$c/video.mp4")" = "$T" ]'
fi
"$helper" --check-astronaut "$tmp/ds" astronaut $T $S >"$tmp/chk" 2>&1; rc=$?
cat "$tmp/chk"
ok "loader reads it; keypoints and masks plausible" '[ $rc -eq 0 ]'
ok "dataset stats" '"$mosa" dataset stats "$tmp/ds" >"$tmp/stats" 2>&1 && grep -q "^1 " "$tmp/stats"'
cat "$tmp/stats"
ok "dataset curate" '"$mosa" dataset curate "$tmp/ds" >/dev/null 2>&1 && [ "$(wc -l < "$tmp/ds/curation.tsv")" -eq 2 ]'
cp "$c/meta.json" "$tmp/meta_before"
ok "rerun resumes: clip kept" '"$mosa" annotate "$tmp/in" -o "$tmp/ds" 2>/dev/null | grep -q "already annotated" && cmp -s "$c/meta.json" "$tmp/meta_before"'
ok "--overwrite with --fps 5 --size 128x96 --flow replaces the clip" '"$mosa" annotate "$tmp/in/astronaut.mp4" -o "$tmp/ds" --overwrite --fps 5 --size 128x96 --flow >/dev/null 2>&1 && grep -q "\"frames\":.6," "$c/meta.json" && grep -q "\"width\":.128," "$c/meta.json" && [ -s "$c/flow.npy" ] && [ -z "$(ls "$tmp/ds/clips" | grep -v "^astronaut$")" ]'
ok "eval pose-confidence --json" '"$mosa" eval pose-confidence "$tmp/in/astronaut.mp4" --max-frames 4 --json >"$tmp/pc.json" 2>/dev/null && grep -q "\"mean\":" "$tmp/pc.json"'
cat "$tmp/pc.json"
# a damaged video: the first 40% of the file
head -c $(( $(stat -c %s "$tmp/in/astronaut.mp4") * 2 / 5 )) "$tmp/in/astronaut.mp4" > "$tmp/cut.mp4"
expect_error "damaged video" "cut.mp4" "$mosa" annotate "$tmp/cut.mp4" -o "$tmp/ds"
expect_error "damaged video into a new dataset" "damaged" "$mosa" annotate "$tmp/cut.mp4" -o "$tmp/ds_new"
ok "no empty dataset left behind" '[ ! -e "$tmp/ds_new" ]'
ok "no clip and no temporary directory for it" '[ -z "$(ls "$tmp/ds/clips" | grep cut)" ]'
expect_error "eval, damaged video" "cut.mp4" "$mosa" eval pose-confidence "$tmp/cut.mp4"
chmod a-w "$tmp/ds/clips"
if [ "$(id -u)" -ne 0 ]; then
  expect_error "clips/ not writable" "clips" "$mosa" annotate "$tmp/in" -o "$tmp/ds" --overwrite
fi
chmod u+w "$tmp/ds/clips"

# ---- a MoVid-syn clip: the capsule people may or may not be seen as people ----
"$mosa" dataset synth -n 1 --seed 3 -o "$tmp/syn" --size 128x128 --frames 8 >/dev/null 2>&1
cp "$tmp/syn/clips/000000/video.mp4" "$tmp/synth.mp4"
"$mosa" annotate "$tmp/synth.mp4" -o "$tmp/ds" --pose-model lite --mask pose --smooth >"$tmp/out" 2>"$tmp/err"; rc=$?
cat "$tmp/out"
ok "MoVid-syn video annotated (rc=$rc: $(head -c 300 "$tmp/err"))" '[ $rc -eq 0 ] && [ -f "$tmp/ds/clips/synth/meta.json" ]'
grep -E '"(caption|frames_with_person|pose_confidence|smoothed)"' "$tmp/ds/clips/synth/meta.json"
ok "dataset.json counts 2 clips" 'grep -q "\"clips\":.*2" "$tmp/ds/dataset.json"'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
