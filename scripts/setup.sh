#!/usr/bin/env bash
# README command 1: install, build, run the main job on the embedded default.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/fetch-weights.sh
NCBENCH_WERROR=ON bash scripts/build.sh  # the same configuration as the test command
bash scripts/main_job.sh
