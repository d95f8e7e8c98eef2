#!/usr/bin/env bash
# Writes the PyTorch reference fixtures that the parity tests (tests/test_parity_*.c) compare
# against. Uses Debian's python3-torch (installed by setup.sh); exits 77 ("skipped") without it.
set -euo pipefail
out=${1:?usage: make_fixtures.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
if ! "$py" -c 'import torch, numpy' 2>/dev/null; then
  echo "skipped: python3-torch/python3-numpy not installed (run ./setup.sh)"
  exit 77
fi
mkdir -p "$out"
for f in "$here"/ref_*.py; do
  [ -e "$f" ] || continue
  echo "== $(basename "$f")"
  OMP_NUM_THREADS=2 "$py" "$f" "$out"
done
