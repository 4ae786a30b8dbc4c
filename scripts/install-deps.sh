#!/usr/bin/env bash
# Installs ncbench's Debian 12 packages (README "Dependencies" says why each is there).
# Idempotent: asks apt only for what is missing. Needs root (or sudo).
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config git
  libtorch-dev                 # LibTorch: checkpoints (TorchScript), metric kernels
  libopencv-dev                # video decode (FFmpeg backend), image I/O, SIMD filters
  libtesseract-dev libleptonica-dev tesseract-ocr-eng   # OCR metric and arithmetic probe
  tesseract-ocr                # the tesseract program: golden test and micro-benchmark peer
  nlohmann-json3-dev libcli11-dev                       # reports, CLI
  libbenchmark-dev libgtest-dev libgmock-dev            # micro-benchmarks, tests
  libvterm-dev libfreetype-dev fonts-dejavu-core        # terminal emulation and rendering
  libfontconfig-dev            # a tape's FontFamily list resolved to a font file
  fonts-jetbrains-mono         # the vhs look: vhs's first font (tapes that style themselves)
  libssl-dev                   # sha256 provenance hashes
  ffmpeg                       # codecs for OpenCV's video backend
  libx11-dev libxtst-dev libxfixes-dev  # the GUI recorder: XTest input, XFixes cursor images
  libxcursor-dev               # the GUI recorder: --cursor-theme (X cursor themes)
  dmz-cursor-theme xcursor-themes  # tests: cursor themes the detector has never seen
  xvfb openbox xterm x11-apps adwaita-icon-theme  # its desktop: X server, window manager, programs, cursors
  chromium                     # tests: the HTML report rendered and screenshotted headless
  texlive-latex-base           # tests: `ncbench table --format latex` compiled with pdflatex
  curl ca-certificates         # scripts/fetch-weights.sh, only without ../shared
  python3-torch python3-skimage python3-scipy python3-pil  # tests' independent references
  python3-torchvision          # tests: the r3d_18 export script and torchvision's Kinetics preset
  clang                        # tests: the parsers' libFuzzer targets under ASan/UBSan (tests/fuzz)
  clang-format clang-tidy      # tests: the house style (scripts/check-format.sh); .clang-tidy's checks
  slurm-wlm                    # tests: bench/slurm's job array and merge on a private single-node Slurm
)
missing=()
for p in "${packages[@]}"; do
  case "$p" in \#*) continue ;; esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
