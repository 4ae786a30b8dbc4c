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
m="$out/cli/manifest.jsonl"
"$ncbench" checkpoints static --like "$m" --out "$out/checkpoints/static.pt"
# The arithmetic probe's known-answer checkpoints draw with a 24 px font: legible to Tesseract
# at 640x408 (the default, about 24 rows, is 14 px there).
"$ncbench" checkpoints calculator --like "$m" --probe-font-px 24 --out "$out/checkpoints/calculator.pt"
"$ncbench" checkpoints calculator --like "$m" --probe-font-px 24 --wrong --out "$out/checkpoints/calculator-wrong.pt"
status=0
common=(--dataset "$m" --cache-dir "$out/cache")
metrics=(--metrics psnr,ssim,ocr)
probe=(--probes arithmetic --probe-font-px 24)
echo "== static baseline (repeats the first frame; arithmetic probe 0%), with LPIPS"
# LPIPS (SqueezeNet; weights from scripts/fetch-weights.sh, else reported unavailable) here
# only: about 0.2 s per 640x408 frame pair on 2 cores.
"$ncbench" eval --checkpoint "$out/checkpoints/static.pt" "${common[@]}" "${probe[@]}" \
  --metrics psnr,ssim,ocr,lpips,ssim+15 \
  --out "$out/reports/static" || status=$?
echo "== perfect replay (videos adapter over the ground truth: SSIM 1, PSNR null, OCR 1)"
"$ncbench" eval --checkpoint "videos:$out/cli/frames" "${common[@]}" "${metrics[@]}" --out "$out/reports/replay" || status=$?
echo "== calculator (draws the right answer: probe 100%, plain and re-prompted)"
"$ncbench" eval --checkpoint "$out/checkpoints/calculator.pt" "${common[@]}" "${metrics[@]}" "${probe[@]}" --reprompt \
  --out "$out/reports/calculator" || status=$?
echo "== calculator-wrong (draws a wrong answer: probe 0%)"
"$ncbench" eval --checkpoint "$out/checkpoints/calculator-wrong.pt" "${common[@]}" "${metrics[@]}" "${probe[@]}" \
  --out "$out/reports/calculator-wrong" || status=$?
echo "reports: $out/reports/{static,replay,calculator,calculator-wrong}/report.json"
exit $status
