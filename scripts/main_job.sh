#!/usr/bin/env bash
# The main job on the embedded default: records the project's own held-out CLI set from the
# committed tapes (datasets/default/cli), makes the reference checkpoints, evaluates them,
# and prints a summary and the report paths. Needs no ../shared and no network.
#   scripts/main_job.sh [OUT_DIR]   (default: out/default)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/out/default}"
ncbench="${NCBENCH:-$root/build/bench/cli/ncbench}"
mkdir -p "$out"
echo "== recording the embedded CLI set into $out/cli"
"$ncbench" datasets record "$root"/datasets/default/cli/*.tape --out "$out/cli" --fps 15
echo "== reference checkpoints"
"$ncbench" checkpoints static --like "$out/cli/manifest.jsonl" --out "$out/checkpoints/static.pt"
status=0
echo "== static baseline (repeats the first frame)"
"$ncbench" eval --checkpoint "$out/checkpoints/static.pt" --dataset "$out/cli/manifest.jsonl" \
  --metrics psnr,ssim --out "$out/reports/static" || status=$?
echo "== perfect replay (videos adapter over the ground truth: SSIM 1, PSNR null)"
"$ncbench" eval --checkpoint "videos:$out/cli/frames" --dataset "$out/cli/manifest.jsonl" \
  --metrics psnr,ssim --out "$out/reports/replay" || status=$?
echo "reports: $out/reports/static/report.json $out/reports/replay/report.json"
exit $status
