// SSIM: structural similarity (Wang et al. 2004), unitless, higher is better, range [-1, 1].
//
//   SSIM(x,y) = mean over the map of ((2 mu_x mu_y + C1)(2 s_xy + C2)) /
//                                     ((mu_x^2 + mu_y^2 + C1)(s_x^2 + s_y^2 + C2))
// with local statistics under an 11x11 Gaussian window (sigma 1.5, truncated at 3.5 sigma),
// population (not sample) covariances, C1 = (0.01 R)^2, C2 = (0.03 R)^2, R the data range.
// Computed per channel and averaged, over the region where the window fits entirely (the
// 5-pixel border is excluded): the semantics of skimage.metrics.structural_similarity
// (scikit-image 0.19.3, gaussian_weights=True, use_sample_covariance=False, channel_axis)
// and of torchmetrics. Matches scikit-image within 1e-4 (tests/golden/metrics_golden_test.cpp).
// Per sample: mean over frames. Dataset: mean over samples (and frame-weighted mean).
// Cost: 5 maps x 2 separable 11-tap filters, O(2 * 11 * 5 * pixels): OpenCV sepFilter2D on
// the CPU (over the tensor memory), depthwise torch::conv2d on CUDA.
#pragma once

#include <torch/types.h>

namespace ncb {

struct SsimOptions {
  double data_range = 1.0;
  int window = 11;
  double sigma = 1.5;
  double k1 = 0.01;
  double k2 = 0.03;
  bool float64 = false;  // accumulate in float32 (default; within 1e-5 of float64) or float64
  // The Gaussian filtering: OpenCV's separable filter on the CPU, torch::conv2d on a GPU. True
  // runs the GPU's code (torch::conv2d) on the CPU too, so that tests hold it to the reference
  // on machines without a GPU.
  bool conv2d_on_cpu = false;
};

// SSIM of each image pair of x, y: [N,C,H,W] -> [N] float64.
torch::Tensor Ssim(const torch::Tensor& x, const torch::Tensor& y, const SsimOptions& options = {});

// The SSIM map of each pair and channel over the valid region, [N,C,H-2r,W-2r] with r =
// window/2, in the options' precision: Ssim is its mean.
torch::Tensor SsimChannelMap(const torch::Tensor& x, const torch::Tensor& y,
                             const SsimOptions& options = {});

// The same for one pair of frames ([1,C,H,W] each, in the options' precision), with each
// frame's filtered moments kept for the last few frames seen (by storage): a frame scored
// again (the ground truth by the model and its static baseline, the conditioning frame at
// every k) has only x*y filtered.
torch::Tensor SsimChannelMapOfFrames(const torch::Tensor& x, const torch::Tensor& y,
                                     const SsimOptions& options = {});

// The 1-D Gaussian window scipy.ndimage.gaussian_filter uses (normalised to sum 1).
torch::Tensor GaussianWindow(int size, double sigma, torch::ScalarType dtype, torch::Device device);

}  // namespace ncb
