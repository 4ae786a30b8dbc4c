// Frame selections any metric takes: the base metric sees only the selected frames k (1..T),
// renumbered 1..n in order, and its keys gain a suffix. Clips with no selected frame are
// excluded from the metric (and counted).
//
// 1. The Neural Computers paper's "+15" action-window metrics (GUIWorld, App. B): for each click,
// scroll or key event at time tau, frame f = round(tau * fps + offset) (ties to even, as
// Python's round), clamped to the clip's frames 0..T, exactly as the released data loader's
// _timestamp_to_csv_frame_index does with offset -1 (engine/gui/data/dataloader.py); f itself
// is skipped and f+1 .. f+W are taken; the union over the clip's events, de-duplicated, in
// order. Only compared frames count: k in 1..T (frame 0 is the prompt), so window frames
// past T are dropped. A clip with no window frame is excluded from the metric (and counted).
// The offset defaults to -1, the released loader's; the paper's text reads as 0.
//
// `--metrics ssim+15` wraps `ssim`; keys gain "_+15". FVD_+15 thus concatenates the selected
// frames and subsamples/pads them to 16.
//
// 2. The GUIWorld decode ("_all" metrics: SSIM_all, LPIPS_all, FVD_all): both videos are read
// as the paper's evaluation decodes them, at `decode_fps` (3) for at most `decode_max_s` (5 s)
// and resized to `decode_size` (256) on the short side, aspect kept (area interpolation). The
// decoded frame j = 1, 2, ... (time j / decode_fps <= max) is frame k = floor(j * fps /
// decode_fps) of the rollout (nearest-earlier, as the ground truth's resampling), k <= T.
// `--metrics ssim_all` wraps `ssim` with these defaults; decode_fps, decode_size and
// decode_max_s override them; keys gain "_all".
#pragma once

#include <memory>
#include <vector>

#include "metrics/metric.h"

namespace ncb {

// The selected frames k (1-based, ascending) of a clip with T compared frames.
std::vector<int64_t> ActionWindowFrames(const std::vector<double>& event_times, double fps,
                                        int64_t num_frames, int64_t window, int64_t offset);

// `base` restricted to the action windows of each sample.
std::unique_ptr<Metric> WithActionWindow(std::unique_ptr<Metric> base, int64_t window,
                                         int64_t offset);

struct DecodeOptions {
  double fps = 3;
  int size = 256;  // short side; 0 keeps the size
  double max_s = 5;
};

// The frames k (1-based, ascending) the decode keeps of a clip of T frames at `fps`.
std::vector<int64_t> DecodeFrames(double fps, int64_t num_frames, const DecodeOptions& decode);

// `base` on the decoded frames of each sample.
std::unique_ptr<Metric> WithDecode(std::unique_ptr<Metric> base, const DecodeOptions& decode);

}  // namespace ncb
