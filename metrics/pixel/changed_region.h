// Changed-region scores: PSNR, SSIM and LPIPS over the pixels the model has to compute.
//
// On terminal and desktop footage most pixels never change, and every metric's mean over the
// whole frame is dominated by them. The changed region of ground-truth frame k is where it
// differs from the conditioning frame c (ground-truth frame 0, or the manifest's first_frame):
//   M_k = dilate( max over channels |gt_k - c| > threshold , square of side 2 radius + 1 )
// (defaults: threshold 0.1 of the value range, 25.5 of 255, above video-compression noise and
// below any glyph or cursor edge; radius 2 px, so a changed glyph brings its anti-aliased
// border). Then, per frame:
//   psnr_changed = 10 log10(R^2 / MSE over the pixels of M_k and all channels)
//   ssim_changed = mean of the SSIM map (averaged over channels) over M_k within the map's
//                  valid region (the 5-pixel border excluded, as SSIM's own)
//   lpips_changed = mean over M_k of the LPIPS spatial map (the lpips package's
//                  LPIPS(spatial=True): each layer's distance map upsampled bilinearly to the
//                  frame and summed; metrics/perceptual/lpips.h)
// A frame whose M_k is empty (nothing changed yet) is excluded from the means and counted
// (NAME_frames_unchanged), never scored 1; NAME_share is the mean fraction of pixels in M_k
// (of the ground truth alone: the same for every model). Per sample: mean over scored
// frames; dataset: mean over samples that have one, and the frame-weighted mean
// (NAME_frame_mean). Cost: one mask (a max-pool) plus the metric's own kernel per frame.
#pragma once

#include <torch/types.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ncb {

class Metric;
struct MetricOption;
// The changed-region options (threshold, radius), for option tables that add their own.
const std::vector<MetricOption>& ChangedRegionOptionTable();

struct ChangedRegionOptions {
  double threshold = 0.1;  // of the value range, on the largest channel difference
  int radius = 2;          // dilation, px (Chebyshev)
};

// M_k of each frame of gt [N,3,H,W] against the conditioning frame c [3,H,W]: [N,1,H,W]
// float32, 1 inside the changed region.
torch::Tensor ChangedMask(const torch::Tensor& gt, const torch::Tensor& conditioning,
                          const ChangedRegionOptions& options = {});

// A changed-region metric over a per-pixel score map: NAME_changed is the mean of `map(gen,
// gt)` ([N,1,h,w], centred on the frame, h <= H) over M_k. `base` names it ("lpips"), `options`
// are the base metric's own (they join threshold and radius in the name and the report).
struct ChangedRegionMap {
  std::string base, unit, direction, reference;
  nlohmann::json options;
  std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)> map;
  // The options that name the metric: ChangedRegionOptionTable() when null.
  const std::vector<MetricOption>& (*table)() = nullptr;
  // The base metric's Metric::incidental_options(), of `options`.
  std::vector<std::string> incidental = {};
};
// `options`: threshold and radius (and the base metric's, which the caller has read).
std::unique_ptr<Metric> MakeChangedRegionMetric(ChangedRegionMap score,
                                                const nlohmann::json& options);

}  // namespace ncb
