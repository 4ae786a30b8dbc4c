#!/usr/bin/env bash
# README command 2 (and .ci/run): install, build with -Werror, run every test through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/fetch-weights.sh
NCBENCH_WERROR=ON bash scripts/build.sh
cd build && ctest --output-on-failure -j 2
