#!/usr/bin/env bash
# setup.sh: installs the Debian packages mosa needs (only those missing), then builds.
#
#   ./setup.sh            install + build Release into build/
#   ./setup.sh --test     ... then run every test (ctest), and the test suite again under
#                         ASan + UBSan (build-sanitize/); this is what CI runs
#   ./setup.sh --no-install   skip the package step (for machines where you cannot be root)
#
# Idempotent: a second run installs nothing and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(
  build-essential cmake pkg-config         # compiler, build system
  libopenblas-openmp-dev                   # GEMM under matmul/linear/conv (OpenMP build)
  libavformat-dev libavcodec-dev libswscale-dev libavutil-dev   # MP4 (H.264) video in and out
  libpng-dev                               # PNG frames
  libcjson-dev                             # small JSON files (dataset meta.json)
  wordnet-dev wordnet-base                 # WordNet lexicon and its C library (motion prompts)
  ffmpeg                                   # ffprobe, used by tests to check written videos
  clang libclang-rt-14-dev                 # libFuzzer and sanitizer runtimes (fuzz targets)
  python3-torch python3-numpy              # PyTorch reference fixtures and the bench comparison (tests only)
  python3-skimage                          # photographs of people for the pose tests (tests only)
)

do_install=1 do_test=0
for a in "$@"; do
  case "$a" in
    --test) do_test=1 ;;
    --no-install) do_install=0 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$a' (see ./setup.sh --help)" >&2; exit 2 ;;
  esac
done

if [ "$do_install" = 1 ]; then
  missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    if [ "$(id -u)" = 0 ]; then
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
      sudo apt-get update -qq
      sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
      echo "setup: these packages are missing: ${missing[*]}" >&2
      echo "setup: run as root, or: sudo apt-get install ${missing[*]}" >&2
      echo "setup: then run ./setup.sh again (or ./setup.sh --no-install to build anyway)" >&2
      exit 1
    fi
  else
    echo "setup: all ${#PACKAGES[@]} packages present"
  fi
fi

# The MediaPipe pose and segmentation models (TFLite) come from their pinned npm packages,
# checked by sha256 (scripts/fetch_models.sh). Without npm or the network the TFLite model tests
# say "skipped"; nothing else depends on them.
if [ "$do_install" = 1 ] && ! command -v npm >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null || true
  else
    echo "setup: npm is missing (sudo apt-get install npm) — the MediaPipe models will not be fetched" >&2
  fi
fi
if command -v npm >/dev/null; then
  scripts/fetch_models.sh || echo "setup: could not fetch the MediaPipe models (see above); their tests will be skipped" >&2
fi

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$jobs"
echo "setup: built build/mosa"

if [ "$do_test" = 1 ]; then
  ctest --test-dir build --output-on-failure -j "$jobs"
  cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=Sanitize >/dev/null
  cmake --build build-sanitize -j "$jobs"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-sanitize --output-on-failure -j "$jobs"
fi
