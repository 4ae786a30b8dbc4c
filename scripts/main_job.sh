#!/usr/bin/env bash
# The main job on the embedded default: records the project's own held-out CLI set from the
# committed tapes (datasets/default/cli) and GUI set from the committed scripts
# (datasets/default/gui, on an Xvfb desktop), makes the reference checkpoints, evaluates them
# with the learned reference NC (bench/train/latent-nc, committed; remade by
# scripts/train_reference.sh), writes an HTML report per run, a comparison of two training
# steps, and ends with a Markdown table of the CLI runs. Needs no ../shared and no network.
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
echo "== static baseline (repeats the first frame; arithmetic probe 0%)"
"$ncbench" eval --checkpoint "$out/checkpoints/static.pt" "${common[@]}" "${probe[@]}" \
  --metrics psnr,ssim,ocr,ssim+15 \
  --out "$out/reports/static" || status=$?
echo "== perfect replay (videos adapter over the ground truth: SSIM 1, PSNR null, OCR 1)"
"$ncbench" eval --checkpoint "videos:$out/cli/frames" "${common[@]}" "${metrics[@]}" --out "$out/reports/replay" || status=$?
echo "== calculator (draws the right answer: probe 100%, plain and re-prompted)"
"$ncbench" eval --checkpoint "$out/checkpoints/calculator.pt" "${common[@]}" "${metrics[@]}" "${probe[@]}" --reprompt \
  --out "$out/reports/calculator" || status=$?
echo "== calculator-wrong (draws a wrong answer: probe 0%)"
"$ncbench" eval --checkpoint "$out/checkpoints/calculator-wrong.pt" "${common[@]}" "${metrics[@]}" "${probe[@]}" \
  --out "$out/reports/calculator-wrong" || status=$?
latent="$root/bench/train/latent-nc"
for step in 0 50 300; do
  echo "== learned reference NC after $step training steps (convolutional latent model, bench/train/latent_nc.h)"
  "$ncbench" eval --checkpoint "$latent/latent-step$step.pt" "${common[@]}" "${metrics[@]}" \
    --out "$out/reports/latent-step$step" || status=$?
done
echo "== the learned reference NC's own speed, without ground truth (frames/s and step latency vs batch size)"
"$ncbench" eval --throughput-only --checkpoint "$latent/latent-step300.pt" --batch-sizes 1,4 --frames 16 --repeats 2 \
  --out "$out/reports/throughput-latent-step300" || status=$?
echo "== comparison: latent NC step 50 -> step 300 (paired bootstrap over samples)"
"$ncbench" compare "$out/reports/latent-step50/report.json" "$out/reports/latent-step300/report.json" \
  --out "$out/reports/compare-latent-step50-vs-step300" || status=$?
echo "== recording the embedded GUI set into $out/gui (Xvfb, 1024x768 at 15 fps)"
"$ncbench" datasets record-gui "$root"/datasets/default/gui/*.gui --out "$out/gui"
g="$out/gui/manifest.jsonl"
"$ncbench" checkpoints cursor --like "$g" --out "$out/checkpoints/gui-cursor.pt"
"$ncbench" checkpoints static --modality gui --like "$g" --out "$out/checkpoints/gui-static.pt"
# The cursor metric at full size; SSIM/LPIPS on the GUIWorld decode (3 fps, short side 256,
# at most 5 s) and SSIM on the +15 action windows.
gui_metrics=(--metrics cursor,ssim_all,lpips_all,ssim+15)
echo "== GUI cursor reference (draws the recordings' arrow where the actions say: cursor hit rate 1)"
"$ncbench" eval --checkpoint "$out/checkpoints/gui-cursor.pt" --dataset "$g" --mode step "${gui_metrics[@]}" \
  --out "$out/reports/gui-cursor" || status=$?
echo "== GUI static baseline (ignores the actions; frame 0 has no cursor: hit rate 0)"
"$ncbench" eval --checkpoint "$out/checkpoints/gui-static.pt" --dataset "$g" "${gui_metrics[@]}" \
  --out "$out/reports/gui-static" || status=$?
runs=(static latent-step0 latent-step50 latent-step300 calculator replay)
files=()
labels=()
for r in "${runs[@]}"; do files+=("$out/reports/$r/report.json"); labels+=(--label "$r"); done
"$ncbench" table "${files[@]}" --format latex --intervals "${labels[@]}" --columns psnr,ssim,ocr_char_accuracy \
  --out "$out/reports/table.tex" > /dev/null || status=$?
echo "reports: $out/reports/{static,replay,calculator,calculator-wrong,latent-step0,latent-step50,latent-step300,gui-cursor,gui-static}/report.{json,html}"
echo "comparison: $out/reports/compare-latent-step50-vs-step300/compare.{json,md,html}"
echo "tables: $out/reports/table.{md,tex}"
echo
echo "== the CLI runs on the embedded default (95% bootstrap intervals over samples)"
"$ncbench" table "${files[@]}" --format markdown --intervals "${labels[@]}" --columns psnr,ssim,ocr_char_accuracy \
  --out "$out/reports/table.md" || status=$?
exit $status
