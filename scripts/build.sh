#!/usr/bin/env bash
# Configures and builds ncbench into build/ (Release; -Werror with NCBENCH_WERROR=ON).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DNCBENCH_WERROR="${NCBENCH_WERROR:-OFF}" \
  ${CMAKE_PREFIX_PATH:+-DCMAKE_PREFIX_PATH="$CMAKE_PREFIX_PATH"}
cmake --build build -j "$(nproc)"
