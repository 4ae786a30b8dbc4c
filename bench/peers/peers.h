// `ncbench bench-peers`: ncbench's metric kernels against the tools people use today, in one
// run, on the same frames, with the ratios printed.
//
// Frames: N pairs of terminal screens at W x H that ncbench renders itself (ground truth: a
// listing of text; "generated": the same screen with some characters changed and Gaussian
// noise, sigma 3 of 255, seeded), written as PNG (for scikit-image, PyTorch and the tesseract
// program) and as raw rgb24 (for ffmpeg).
//
// What is timed, each side from 8-bit frames already in memory (the peers decode their PNGs
// before their clock starts; ffmpeg's clock includes its start-up and reading raw frames):
//   ssim   ncbench Ssim (8-bit -> float conversion included) vs
//   skimage.metrics.structural_similarity
//          (same settings, tests/tools/skimage_reference.py) and ffmpeg's `ssim` filter
//   psnr   ncbench SquaredErrorSum + PsnrFromSse vs skimage's peak_signal_noise_ratio and
//          ffmpeg's `psnr` filter
//   lpips  ncbench Lpips (SqueezeNet) vs the independent PyTorch implementation
//          (tests/tools/lpips_reference.py) on Debian's PyTorch; skipped without the weights
//   ocr    ncbench's Tesseract pool with --threads workers vs the `tesseract` program once per
//          frame, as a pytesseract pipeline runs it (same language data and --psm)
// Targets (issue 7, 2-core CPU): ssim >= 5x scikit-image, psnr >= 1x ffmpeg, ocr >= 1.5x the
// program with 2 threads. Each row says whether its target was met; the values each side
// computed are compared too, so a fast wrong kernel cannot pass.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/logger.h"

namespace ncb {

struct PeersOptions {
  int frames = 24;     // frame pairs for ssim, psnr, lpips
  int ocr_frames = 4;  // the tesseract program takes seconds a frame
  int width = 1600, height = 900;
  int threads = 2;  // LibTorch intra-op threads and OCR workers for ncbench's side
  std::string python = "/usr/bin/python3";  // Debian's, with python3-skimage and python3-torch
  std::string tools_dir;  // the reference scripts; empty: the source tree's tests/tools
  std::string out_dir;    // frames and peers.json
};

nlohmann::json RunPeers(const PeersOptions& options, const Logger& log = NullLogger());

// One line per comparison: kernel, ncbench frames/s, peer, peer frames/s, ratio, target, met.
std::string PeersTable(const nlohmann::json& result);

}  // namespace ncb
