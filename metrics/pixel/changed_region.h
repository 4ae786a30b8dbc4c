// Changed-region scores: PSNR and SSIM over the pixels the model has to compute.
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
// A frame whose M_k is empty (nothing changed yet) is excluded from the means and counted
// (NAME_frames_unchanged), never scored 1; NAME_share is the mean fraction of pixels in M_k
// (of the ground truth alone: the same for every model). Per sample: mean over scored
// frames; dataset: mean over samples that have one, and the frame-weighted mean
// (NAME_frame_mean). Cost: one mask (a max-pool) plus the metric's own kernel per frame.
#pragma once

#include <torch/types.h>

namespace ncb {

struct ChangedRegionOptions {
  double threshold = 0.1;  // of the value range, on the largest channel difference
  int radius = 2;          // dilation, px (Chebyshev)
};

// M_k of each frame of gt [N,3,H,W] against the conditioning frame c [3,H,W]: [N,1,H,W]
// float32, 1 inside the changed region.
torch::Tensor ChangedMask(const torch::Tensor& gt, const torch::Tensor& conditioning,
                          const ChangedRegionOptions& options = {});

}  // namespace ncb
