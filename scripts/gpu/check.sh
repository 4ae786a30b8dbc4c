#!/usr/bin/env bash
# ncbench's CUDA paths and throughput block on a borrowed CUDA machine: one prepared run.
# The machine has a CUDA build of PyTorch (its LibTorch and CMake files), a compiler, CMake and
# ninja, but none of Debian's OpenCV, Tesseract, libvterm, X11 or GoogleTest. Here, first:
#   cmake --build build && /usr/bin/python3 scripts/gpu/pack.py    # writes .gpu/ (git-ignored)
# there, from the checkout's root, with .gpu carried:
#   bash scripts/gpu/check.sh OUT_DIR
# It builds ncbench and the unit tests against the machine's LibTorch (CUDA), then runs:
#   - the unit tests that need a CUDA device (Gpu.*, ThroughputUnit.*);
#   - eval of the learned reference NC on the main job's CLI recordings (psnr, ssim, lpips) and
#     of the GUI cursor reference on two of its GUI recordings (cursor, ssim_all, lpips_all, ssim+15),
#     each with --device cuda and --device cpu, and the two reports' aggregates side by side
#     (exit 1 when one differs by more than 1e-4 x max(1, |cpu|), skills and gains left out);
#   - --throughput-only of the learned reference NC on both devices (frames/s vs batch size);
#   - --device cuda:7 on a one-GPU machine (a clear error, exit 2).
# OUT_DIR gets log.txt, summary.txt and reports.tar.gz. Not part of CI.
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/out/gpu}"
mkdir -p "$out"
exec > >(tee "$out/log.txt") 2>&1
step() { echo; echo "== $(date +%T) $*"; }
status=0

step "machine"
[ -x /usr/local/cuda/bin/nvcc ] && export PATH="$PATH:/usr/local/cuda/bin" CUDA_HOME=/usr/local/cuda
gen=Ninja build_cmd=(ninja -k 0)
command -v ninja >/dev/null || { gen="Unix Makefiles"; build_cmd=(make -k -j"$(nproc)"); }
echo "nvcc: $(command -v nvcc); generator: $gen"
head -2 /etc/os-release; uname -r; nproc; (g++ --version || c++ --version) | head -1
cmake --version | head -1; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, \
'available', torch.cuda.is_available(), 'cxx11abi', torch._C._GLIBCXX_USE_CXX11_ABI)"
torch_prefix="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')"

step "unpack .gpu/sys.tar.xz"
sys=/tmp/ncb-sys
rm -rf "$sys" && mkdir -p "$sys"
tar -xJf "$root/.gpu/sys.tar.xz" -C "$sys" 2>/dev/null ||
  python3 -c "import tarfile,sys; tarfile.open(sys.argv[1]).extractall(sys.argv[2])" \
    "$root/.gpu/sys.tar.xz" "$sys" || exit 1
lib="$sys/usr/lib/x86_64-linux-gnu"

step "configure (LibTorch from $torch_prefix)"
build=/tmp/ncb-build
ldflags="-Wl,--disable-new-dtags -Wl,-rpath,$lib -Wl,-rpath-link,$lib"
cmake -S "$root" -B "$build" -G "$gen" -DCMAKE_BUILD_TYPE=Release -DNCBENCH_BUILD_MICRO=OFF \
  -DCMAKE_PREFIX_PATH="$torch_prefix;$sys/usr" -DCMAKE_LIBRARY_ARCHITECTURE=x86_64-linux-gnu \
  -DPKG_CONFIG_EXECUTABLE="$sys/usr/bin/pkg-config" -DCMAKE_CXX_FLAGS=-w \
  -DCMAKE_EXE_LINKER_FLAGS="$ldflags" -DCMAKE_SHARED_LINKER_FLAGS="$ldflags" \
  -DTORCH_CUDA_ARCH_LIST=9.0 > "$out/cmake.txt" 2>&1 || {
  tail -60 "$out/cmake.txt"; exit 1; }
grep -E "CUDA|Torch|NCB" "$out/cmake.txt" | head -20
grep -o "NCB_TORCH_CUDA=[01]" "$build/compile_commands.json" | sort -u

step "build ncbench and unit_tests"
time (cd "$build" && "${build_cmd[@]}" ncbench unit_tests) > "$out/build.txt" 2>&1 || {
  grep -E "error|Error" "$out/build.txt" | head -80; tail -5 "$out/build.txt"; exit 1; }
tail -2 "$out/build.txt"
nc="$build/bench/cli/ncbench"
export NCBENCH_WEIGHTS_DIR="$root/.gpu/data/weights"
d="$root/.gpu/data"
latent="$root/bench/train/latent-nc/latent-step300.pt"
r=/tmp/ncb-reports
rm -rf "$r" && mkdir -p "$r"

step "unit tests that need CUDA"
"$build/tests/unit_tests" --gtest_filter='Gpu.*:ThroughputUnit.*' || status=1

step "throughput-only: learned reference NC, cuda then cpu"
"$nc" eval --throughput-only --device cuda --checkpoint "$latent" --batch-sizes 1,4,16,64,128 \
  --frames 32 --repeats 3 --out "$r/throughput-cuda" --no-html | tail -12 || status=1
"$nc" eval --throughput-only --device cpu --checkpoint "$latent" --batch-sizes 1,4,16 \
  --frames 32 --repeats 2 --out "$r/throughput-cpu" --no-html | tail -12 || status=1
step "eval: learned reference NC on the CLI set, cuda then cpu"
for dev in cuda cpu; do
  "$nc" eval --device $dev --checkpoint "$latent" --dataset "$d/cli/manifest.jsonl" \
    --metrics psnr,ssim,lpips --cache-dir /tmp/ncb-cache --out "$r/cli-latent-$dev" --no-html |
    tail -4 || status=1
done
step "eval: GUI cursor reference on the GUI set (step mode), cuda then cpu"
for dev in cuda cpu; do
  "$nc" eval --device $dev --checkpoint "$d/checkpoints/gui-cursor.pt" \
    --dataset "$d/gui/manifest.jsonl" --mode step --metrics cursor,ssim_all,lpips_all,ssim+15 \
    --max-samples 2 --out "$r/gui-cursor-$dev" --no-html | tail -4 || status=1
done
step "a device the machine does not have"
"$nc" eval --device cuda:7 --checkpoint "$latent" --dataset "$d/cli/manifest.jsonl" \
  --out "$r/no-such-device" 2>&1 | tail -4
echo "exit status: ${PIPESTATUS[0]} (expected 2)"

step "cuda vs cpu: every aggregate of both runs, and the throughput blocks"
# The gate: every aggregate but the skills and gains (ratios and differences of small numbers)
# agrees within 1e-4 x max(1, |cpu|); on the H200 the largest difference was 3.4e-6 (SSIM).
python3 - "$r" > "$out/summary.txt" <<'PY' || status=1
import json, sys, os
r = sys.argv[1]
off = []
def load(n):
    p = os.path.join(r, n, "report.json")
    return json.load(open(p)) if os.path.exists(p) else None
for run in ("cli-latent", "gui-cursor"):
    a, b = load(run + "-cuda"), load(run + "-cpu")
    if not a or not b:
        print(run, "missing a report"); continue
    print(f"## {run}: aggregate, cuda, cpu, |difference|")
    for m, vals in a["aggregates"].items():
        for k, v in vals.items():
            w = b["aggregates"].get(m, {}).get(k)
            if isinstance(v, (int, float)) and isinstance(w, (int, float)):
                print(f"{m}.{k}\t{v:.6g}\t{w:.6g}\t{abs(v - w):.3g}")
                if not k.endswith(("_skill", "_gain")) and abs(v - w) > 1e-4 * max(1, abs(w)):
                    off.append(f"{run} {m}.{k}: cuda {v:.9g}, cpu {w:.9g}")
    for n, rep in (("cuda", a), ("cpu", b)):
        print(f"### throughput {n}:", json.dumps(rep.get("throughput"))[:3000])
for n in ("throughput-cuda", "throughput-cpu"):
    rep = load(n)
    print(f"## {n}:", json.dumps(rep.get("throughput") if rep else None)[:6000])
print("## gate (1e-4 x max(1, |cpu|), skills and gains left out):",
      "every aggregate agrees" if not off else f"{len(off)} differ")
for o in off:
    print(o)
sys.exit(1 if off else 0)
PY
cat "$out/summary.txt" | cut -c1-400
tar -czf "$out/reports.tar.gz" -C "$r" .
exit $status
