// Open-loop rollout: a dataset sample made ready for a checkpoint, and its ground truth
// aligned with what the checkpoint produces.
//
// Alignment (recorded in every report's config):
//  - time: the ground truth is resampled to the checkpoint's fps by nearest-earlier frame
//    (frame k shows source frame floor(k * src_fps / ckpt_fps)); generated frame k (k >= 1)
//    is compared with resampled ground-truth frame k; T = resampled frames - 1.
//  - space: ground-truth frames are resized to the checkpoint's height x width with area
//    interpolation when shrinking and bilinear when growing ("area-down/bilinear-up"), or the
//    run refuses a size mismatch ("none"), or scaled to fit with black bars ("letterbox", the
//    geometry the ncbench.actions/1 cursor coordinates then follow as well).
//  - seed: each sample's seed is (run seed + FNV-1a(sample id)) mod 2^31, so a sample gets
//    the same seed whatever else is in the run; a batch uses the seed of its first sample.
#pragma once

#include <torch/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/checkpoint/checkpoint.h"
#include "datasets/frame_source.h"
#include "datasets/manifest.h"

namespace ncb {

struct AlignOptions {
  std::string caption_style = "regular";
  std::string resize = "area-down/bilinear-up";  // or "none"
  int64_t max_frames = 0;                        // cap on T; 0 = no cap
  int64_t run_seed = 0;
  torch::Device device = torch::kCPU;
  RenderOptions render;  // for ground truth given as a .cast
};

struct PreparedSample {
  const Sample* sample = nullptr;
  std::unique_ptr<FrameSource> ground_truth;  // at the checkpoint's fps, frame 0 consumed
  torch::Tensor first_frame;                  // [3,H,W] at the checkpoint's size
  int64_t num_frames = 0;                     // T
  std::string prompt;
  torch::Tensor actions;            // [T, action_dim] (ncbench.actions/1 or zeros)
  std::vector<double> event_times;  // key/click/scroll events, seconds from frame 0
  // GUI logs: the logged cursor of frames 0..T in the checkpoint's pixels (empty otherwise),
  // the events read and those after frame T (a --max-frames cut).
  std::vector<std::optional<std::pair<double, double>>> cursor;
  // The counterfactual pass: the cursor path of the log the model was given instead (another
  // sample's), frames 0..T; empty otherwise.
  std::vector<std::optional<std::pair<double, double>>> given_cursor;
  std::string given_by;  // that sample's id
  int64_t action_events = 0, action_events_after_t = 0;
  int64_t seed = 0;
  bool resized = false;  // ground truth was resized
  // The true screen text of the ground-truth frame last read, where the dataset has it.
  std::optional<std::string> screen_text;
};

// Opens the ground truth, reads the first frame, parses the action log (a malformed log fails
// here, naming its file and line) and builds the action tensor.
PreparedSample PrepareSample(const Sample& sample, const NcSpec& spec, const AlignOptions& options);

// Gives `p` the conditioning of `partner` (the counterfactual probe): its prompt, its action
// tensor cut to p's T or padded with rows of no event (the last row's cursor position kept,
// dims 0 and 1 of ncbench.actions/1), and its cursor path as p.given_cursor (padded with its
// last entry). p's ground truth, first frame and own log stay.
void GiveConditioningOf(const PreparedSample& partner, PreparedSample* p);

// The next aligned ground-truth frame [3,H,W] on the run's device.
torch::Tensor NextGroundTruthFrame(PreparedSample& p, const NcSpec& spec,
                                   const AlignOptions& options);

// A batch request from samples of equal T.
RolloutRequest MakeRequest(const std::vector<PreparedSample*>& batch);

int64_t SampleSeed(int64_t run_seed, const std::string& id);

}  // namespace ncb
