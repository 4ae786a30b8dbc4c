// PSNR: peak signal-to-noise ratio, in dB, higher is better.
//
//   PSNR = 10 log10(R^2 / MSE),  MSE = mean over pixels and channels of (x - y)^2,  R = data range
//   (1.0 for ncbench's [0,1] frames, the same number as R = 255 on 8-bit images).
// Range [0, inf); identical frames (MSE = 0) have no finite PSNR and are reported as null
// with the reason, never as a made-up cap.
// Matches skimage.metrics.peak_signal_noise_ratio (scikit-image 0.19.3) within 1e-4 dB
// (tests/golden/metrics_golden_test.cpp).
// Per sample: `psnr` = mean of per-frame dB over frames with a finite value; `psnr_pooled`
// = PSNR of the summed squared error of all the sample's frames. Dataset: `psnr` = mean over
// samples, `psnr_pooled` from the dataset's summed squared error (libvmaf's pooling).
// Cost: one pass, O(pixels), float64 accumulation.
#pragma once

#include <torch/types.h>

#include <optional>

namespace ncb {

// Per-image sum of squared differences over channels and pixels, float64 [N].
torch::Tensor SquaredErrorSum(const torch::Tensor& x, const torch::Tensor& y);

// PSNR in dB from a sum of squared error over `count` values; nullopt when sse == 0.
std::optional<double> PsnrFromSse(double sse, double count, double data_range);

}  // namespace ncb
