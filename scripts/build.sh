#!/usr/bin/env bash
# Configures and builds ncbench into build/ (Release; -Werror with NCBENCH_WERROR=ON).
# NCBENCH_SANITIZE=address,undefined builds the sanitizer configuration into build-sanitize/.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build${NCBENCH_SANITIZE:+-sanitize}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNCBENCH_WERROR="${NCBENCH_WERROR:-OFF}" \
  -DNCBENCH_SANITIZE="${NCBENCH_SANITIZE:-}" \
  ${CMAKE_PREFIX_PATH:+-DCMAKE_PREFIX_PATH="$CMAKE_PREFIX_PATH"}
cmake --build "$build" -j "$(nproc)"
