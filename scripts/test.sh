#!/usr/bin/env bash
# README command 2 (and .ci/run): install, build with -Werror, run every test through ctest.
# With NCBENCH_SANITIZE=address,undefined (.ci/sanitize): the same suite, built with AddressSanitizer
# and UBSan into build-sanitize/ (their options: core/sanitizer_defaults.h); any sanitizer
# report fails the test it happens in.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/fetch-weights.sh
NCBENCH_WERROR=ON bash scripts/build.sh
cd "build${NCBENCH_SANITIZE:+-sanitize}" && ctest --output-on-failure -j 2
