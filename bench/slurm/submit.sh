#!/usr/bin/env bash
# Runs `ncbench eval` as N shards on Slurm: a job array of N tasks (eval-array.sbatch), then a
# merge job (merge.sbatch) that starts when every task has succeeded. The merged report is
# OUT/merged/report.json; each shard's is OUT/shard-i/report.json; Slurm's logs OUT/slurm-*.out.
#   bench/slurm/submit.sh --shards 4 --out runs/ckpt42 [--sbatch '--gres=gpu:1 --time=4:00:00'] \
#     -- --checkpoint process:'python3 serve.py' --dataset heldout.jsonl --metrics psnr,ssim,fvd
# Prints the two job ids ("ARRAY MERGE"). $NCBENCH (default: ncbench on PATH) travels to the
# jobs with the environment, as sbatch passes it by default.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shards=""; out=""; extra=""
while [ $# -gt 0 ]; do
  case $1 in
    --shards) shards=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --sbatch) extra=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "submit.sh: unknown option '$1'; usage: submit.sh --shards N --out DIR [--sbatch ARGS] -- EVAL_ARGS..." >&2; exit 2 ;;
  esac
done
[[ $shards =~ ^[1-9][0-9]*$ ]] || { echo "submit.sh: --shards N: expected a positive integer, got '$shards'" >&2; exit 2; }
[ -n "$out" ] || { echo "submit.sh: --out DIR is required" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
# shellcheck disable=SC2086  # $extra is sbatch options, split on purpose
array=$(sbatch --parsable --array="1-$shards" $extra --output="$out/slurm-%A_%a.out" \
  "$here/eval-array.sbatch" "$out" "$@" | cut -d';' -f1)
# shellcheck disable=SC2086
merge=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes $extra \
  --output="$out/slurm-merge-%j.out" "$here/merge.sbatch" "$out" "$shards" | cut -d';' -f1)
echo "$array $merge"
