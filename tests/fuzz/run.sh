#!/usr/bin/env bash
# Builds the parsers' fuzz targets with clang (libFuzzer, AddressSanitizer, UBSan) and runs
# each for SECONDS from a seed corpus (the project's own tapes and scripts, plus small valid
# inputs written here). CI runs it briefly as the fuzz_smoke test; fuzz longer with e.g.
#   tests/fuzz/run.sh build/fuzz 600 tape cast
# A finding (a crash, a sanitizer report, an input that runs over 10 s, an exception other
# than ncb::Error) fails the run and leaves its input in OUT/artifacts/. The corpora grow in OUT/corpus/.
# FUZZ_OPT sets the optimisation (default -O1, libFuzzer's advice; the CI smoke test builds at
# -O0, which halves the clang build, the larger part of its time).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: tests/fuzz/run.sh OUT_DIR [SECONDS_PER_TARGET] [TARGET...]}
secs=${2:-10}
shift $(( $# < 2 ? $# : 2 ))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(cast tape gui_log manifest gui_script terminal process_protocol)
cxx=${FUZZ_CXX:-clang++}
opt=${FUZZ_OPT:--O1}
obj="$out/obj$opt"  # objects of one optimisation level apart from the other's
mkdir -p "$obj" "$out/bin" "$out/artifacts"
common=(-std=c++20 "$opt" -g -fno-omit-frame-pointer -I"$src" $(pkg-config --cflags vterm freetype2 fontconfig opencv4)
        -fsanitize=address,undefined -fno-sanitize-recover=undefined)
libs=(datasets/cast.cpp datasets/tape.cpp datasets/gui_log.cpp datasets/manifest.cpp datasets/record/gui_script.cpp
      datasets/terminal.cpp datasets/action_keys.cpp bench/checkpoint/nc_spec.cpp bench/checkpoint/process_protocol.cpp core/json_path.cpp)

# An object is rebuilt when its source, or any header of the folders it reads, is newer.
newest_header=$(find "$src/datasets" "$src/core" "$src/bench/checkpoint" "$src/tests/fuzz" -name '*.h' -printf '%T@\n' | sort -n | tail -1)
export cxx newest_header
objs=()
jobs=()
for s in "${libs[@]}"; do
  o="$obj/$(basename "${s%.cpp}").o"; objs+=("$o")
  jobs+=("$src/$s $o -fsanitize=fuzzer-no-link")
done
for t in "${targets[@]}"; do
  jobs+=("$src/tests/fuzz/fuzz_$t.cpp $obj/fuzz_$t.o -fsanitize=fuzzer-no-link")
done
# The compile flags travel through xargs as one string per job.
printf '%s\n' "${jobs[@]}" | COMMON="${common[*]}" xargs -P "$(nproc)" -L 1 bash -c \
  'o=$1; s=$0; if [ ! -f "$o" ] || [ "$s" -nt "$o" ] || awk -v h="$newest_header" -v t="$(stat -c %Y "$o")" "BEGIN{exit !(h > t)}"; then $cxx $COMMON $2 -c "$s" -o "$o"; fi'
link_libs=$(pkg-config --libs vterm freetype2 fontconfig opencv4)
printf '%s\n' "${targets[@]}" | xargs -P "$(nproc)" -I{} \
  "$cxx" "${common[@]}" -fsanitize=fuzzer "$obj/fuzz_{}.o" "${objs[@]}" $link_libs -o "$out/bin/fuzz_{}"

# Seeds.
seeds="$out/seeds"
mkdir -p "$seeds"/{cast,tape,gui_log,manifest,gui_script,terminal,process_protocol}
cp "$src"/datasets/default/cli/*.tape "$src"/datasets/default/cli-train/*.tape "$seeds/tape/" 2>/dev/null || true
cp "$src"/datasets/default/gui/*.gui "$seeds/gui_script/" 2>/dev/null || true
# The hostile-input corpus (tests/hostile) seeds its parsers too.
h="$src/tests/hostile"
cp "$h"/cast_*.cast "$seeds/cast/"; cp "$h"/cast_*.cast "$seeds/terminal/"; cp "$h"/tape_*.tape "$seeds/tape/"
cp "$h"/manifest_*.jsonl "$seeds/manifest/"
for f in "$h"/gui_*.csv; do { printf 0; cat "$f"; } > "$seeds/gui_log/$(basename "$f")"; done  # first byte: 0 CSV, 1 JSON
for f in "$h"/gui_*.json; do { printf 1; cat "$f"; } > "$seeds/gui_log/$(basename "$f")"; done
printf '{"version": 2, "width": 80, "height": 24}\n[0.5, "o", "$ ls\\r\\n"]\n[1.0, "r", "100x30"]\n[1.5, "o", "\\u001b[31mred\\u001b[0m"]\n' > "$seeds/cast/small.cast"
cp "$seeds/cast/small.cast" "$seeds/terminal/"
printf 'R100x30\x1b[2J\x1b[10;10Hhello \xe2\x94\x80\xe2\x94\x80 \x1b[1;32mgreen\x1b[0m\r\n\x1b]0;title\x07' > "$seeds/terminal/esc"
printf '0timestamp,x,y,action,key\n0.0667,10,20,mouse_move,\n0.1333,10,20,left_click,\n0.2,10,20,key_down,a\n0.2667,10,20,key_up,a\n' > "$seeds/gui_log/csv"
printf '1{"metadata": {"fps": 15}, "actions": [{"time": 0.1, "action": "left_click", "x": 5, "y": 6}, {"time": 0.3, "action": "type", "text": "hi"}]}\n' > "$seeds/gui_log/json"
printf '{"id": "a", "modality": "cli", "video": "a.mp4", "captions": {"semantic": "runs ls"}}\n{"id": "b", "modality": "gui", "video": "b.mp4", "actions": "b.csv", "fps": 15}\nnot json\n' > "$seeds/manifest/two.jsonl"

spec='{"contract": "ncbench.nc/1", "name": "m", "modality": "cli", "height": 48, "width": 64, "fps": 15, "action_dim": 0, "action_encoding": "none"}'
printf '{"protocol": "ncbench.nc-process/1", "spec": %s, "methods": ["rollout", "init", "step"], "max_batch": 4, "server": {"name": "s"}}\n{"ok": true, "tensors": [{"name": "frame", "dtype": "float32", "shape": [2, 3, 48, 64]}]}\n{"ok": false, "error": "CUDA out of memory"}\n' "$spec" > "$seeds/process_protocol/step"

status=0
# The targets write their inputs under $TMPDIR (fuzz_util.h): here, emptied after each run.
export TMPDIR="$out/tmp"
for t in "${targets[@]}"; do
  mkdir -p "$out/corpus/$t" "$TMPDIR"
  echo "== fuzz_$t for ${secs} s"
  if ! "$out/bin/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
       -artifact_prefix="$out/artifacts/${t}-" "$out/corpus/$t" "$seeds/$t" 2> "$out/fuzz_$t.log"; then
    echo "fuzz_$t: FINDING (input in $out/artifacts/, log $out/fuzz_$t.log):"
    grep -E "ERROR|SUMMARY|fuzz: |runtime error" "$out/fuzz_$t.log" | head -20
    status=1
  fi
  grep -E "^stat::number_of_executed_units|^stat::new_units_added" "$out/fuzz_$t.log" | tr '\n' ' '
  echo
  rm -rf "$TMPDIR"
done
exit $status
