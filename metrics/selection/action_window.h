// The Neural Computers paper's "+15" action-window metrics (GUIWorld, App. B): for each click,
// scroll or key event at time tau, frame f = round(tau * fps + offset) (ties to even, as
// Python's round), clamped to the clip's frames 0..T, exactly as the released data loader's
// _timestamp_to_csv_frame_index does with offset -1 (engine/gui/data/dataloader.py); f itself
// is skipped and f+1 .. f+W are taken; the union over the clip's events, de-duplicated, in
// order. Only compared frames count: k in 1..T (frame 0 is the prompt), so window frames
// past T are dropped. A clip with no window frame is excluded from the metric (and counted).
// The offset defaults to -1, the released loader's; the paper's text reads as 0.
//
// Any metric takes it: `--metrics ssim+15` wraps `ssim` so that it sees only the selected
// frames, renumbered 1..n in order (FVD_+15 thus concatenates the selected frames and
// subsamples/pads them to 16), and its keys gain the suffix "_+15".
#pragma once

#include <memory>
#include <vector>

#include "metrics/metric.h"

namespace ncb {

// The selected frames k (1-based, ascending) of a clip with T compared frames.
std::vector<int64_t> ActionWindowFrames(const std::vector<double>& event_times, double fps, int64_t num_frames,
                                        int64_t window, int64_t offset);

// `base` restricted to the action windows of each sample.
std::unique_ptr<Metric> WithActionWindow(std::unique_ptr<Metric> base, int64_t window, int64_t offset);

}  // namespace ncb
