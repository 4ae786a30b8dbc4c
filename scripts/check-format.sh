#!/usr/bin/env bash
# The house style, checked: every C++ file of the project is as clang-format (.clang-format)
# writes it. Run by ctest as the `format` test; `scripts/check-format.sh --fix` rewrites the
# files in place.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find core bench metrics probes datasets reports tests \( -name '*.cpp' -o -name '*.h' \) | sort)
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
clang-format --dry-run --Werror "${files[@]}"
echo "check-format: ${#files[@]} files as clang-format writes them"
