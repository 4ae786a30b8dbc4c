#!/usr/bin/env bash
# Fills ncbench's weights folder ($NCBENCH_WEIGHTS_DIR, default weights/ in the checkout; it
# is git-ignored: weights are never committed) with what the `lpips` metric needs by default:
#   - from ../shared/weights/lpips where it exists (symlinks, sha256-verified): the complete
#     LPIPS SqueezeNet state_dict and the official v0.1 heads of all three backbones;
#   - otherwise downloaded from their official homes and verified: torchvision's
#     squeezenet1_1 backbone (torchvision checks the sha256 prefix in its file name, b8a52dc0;
#     so does this script) and the LPIPS v0.1 heads (full sha256 pinned below).
# Without either, it says so and exits 0: the lpips metric then reports itself unavailable.
# FVD's detectors (I3D, r3d_18) cannot be fetched here; see docs/metrics.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${NCBENCH_WEIGHTS_DIR:-$root/weights}"
shared="$root/../shared/weights/lpips"
mkdir -p "$dest"

declare -A sha=(
  [lpips_squeeze_full.pt]=7cd946eed7f1fe14bd62e8de052a03eb5a960d7d03fb8a20da8f5d861058ed5f
  [squeeze_lin_v0.1.pth]=4a5350f23600cb79923ce65bb07cbf57dca461329894153e05a1346bd531cf76
  [alex_lin_v0.1.pth]=df73285e35b22355a2df87cdb6b70b343713b667eddbda73e1977e0c860835c0
  [vgg_lin_v0.1.pth]=a78928a0af1e5f0fcb1f3b9e8f8c3a2a5a3de244d830ad5c1feddc79b8432868
)
heads_url=https://raw.githubusercontent.com/richzhang/PerceptualSimilarity/master/lpips/weights/v0.1
squeezenet=squeezenet1_1-b8a52dc0.pth
squeezenet_url=https://download.pytorch.org/models/$squeezenet

sha_of() { sha256sum "$1" | cut -d' ' -f1; }
ok() { [ -f "$1" ] && [ "$(sha_of "$1")" = "$2" ]; }

missing=()
for f in "${!sha[@]}"; do
  if ok "$dest/$f" "${sha[$f]}"; then continue; fi
  if ok "$shared/$f" "${sha[$f]}"; then
    ln -sfn "$(cd "$shared" && pwd)/$f" "$dest/$f"
  else
    missing+=("$f")
  fi
done
if [ -f "$dest/lpips_squeeze_full.pt" ]; then
  echo "fetch-weights: LPIPS weights ready in $dest (from ../shared)"
  exit 0
fi

# No ../shared: the official files, downloaded (the only step of ncbench that uses the network).
fetch() {  # URL OUT
  command -v curl >/dev/null || { echo "fetch-weights: curl is not installed" >&2; return 1; }
  curl -fsSL --retry 2 -o "$2.part" "$1" && mv "$2.part" "$2"
}
status=0
for net in squeeze alex vgg; do
  f="${net}_lin_v0.1.pth"
  ok "$dest/$f" "${sha[$f]}" && continue
  if fetch "$heads_url/$net.pth" "$dest/$f" && ok "$dest/$f" "${sha[$f]}"; then
    echo "fetch-weights: downloaded $f"
  else
    rm -f "$dest/$f"; status=1
  fi
done
if [ ! -f "$dest/$squeezenet" ] || [[ "$(sha_of "$dest/$squeezenet")" != b8a52dc0* ]]; then
  if fetch "$squeezenet_url" "$dest/$squeezenet" && [[ "$(sha_of "$dest/$squeezenet")" == b8a52dc0* ]]; then
    echo "fetch-weights: downloaded $squeezenet"
  else
    rm -f "$dest/$squeezenet"; status=1
  fi
fi
if [ $status -ne 0 ]; then
  echo "fetch-weights: LPIPS weights are not available: ../shared/weights/lpips is absent and the" \
       "download from $heads_url and $squeezenet_url failed or did not verify." \
       "The lpips metric will report itself unavailable; copy the files into $dest to enable it." >&2
fi
exit 0
