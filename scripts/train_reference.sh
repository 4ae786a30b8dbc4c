#!/usr/bin/env bash
# Remakes the learned reference NC committed under bench/train/latent-nc/: records the
# training tapes (datasets/default/cli-train, never part of the held-out set) and trains the
# convolutional latent model (bench/train/latent_nc.h) for 300 Adam steps on 2 CPU threads,
# saving steps 0, 50 and 300 (about 4 minutes on 2 cores). Floating-point results can differ
# slightly across CPUs; the committed files were made by this command.
#   scripts/train_reference.sh [OUT_DIR]   (default: bench/train/latent-nc)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/bench/train/latent-nc}"
ncbench="${NCBENCH:-$root/build/bench/cli/ncbench}"
data="$(mktemp -d)"
trap 'rm -rf "$data"' EXIT
"$ncbench" datasets record "$root"/datasets/default/cli-train/*.tape --out "$data" --fps 15
"$ncbench" checkpoints train-latent --dataset "$data/manifest.jsonl" --out "$out" --save-steps 0,50,300 \
  --channels 8 --max-frames 64 --lr 0.003 --seed 1 --threads 2
