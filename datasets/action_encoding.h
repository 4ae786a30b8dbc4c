// `ncbench.actions/1`: the per-frame action tensor a GUI checkpoint receives
// (docs/checkpoints.md, "The action encoding").
//
// Row k-1 of the [T, D] tensor describes generated frame k (k = 1..T), D = 7 + 79:
//   0-1  cursor x, y in [0,1] of the model's canvas (-1, -1 while the log has no position yet)
//   2-4  left / right / middle button down in that frame (clicks of any count set it)
//   5-6  scroll dy / dx in notches during that frame (positive down / right)
//   7..  multi-hot of the keys held down in that frame, over the vocabulary below
// An event at time t belongs to frame f = round(t * fps - 1) (ties to even, clamped at 0),
// the released GUIWorld loader's rule, with fps the checkpoint's. A key is held from the
// frame of its keydown through the frame of its keyup (to the end when never released);
// `type` and `key` actions press their keys in their frame only.
//
// Positions go log pixels -> video pixels ((log - `action_offset`) x `action_scale`, the
// manifest's) -> canvas pixels
// (ScreenMap: the same geometry the ground-truth frames get) -> [0,1] by the canvas size.
#pragma once

#include <torch/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "datasets/action_keys.h"
#include "datasets/gui_log.h"

namespace ncb {

// Where a source-screen pixel lands on the model's canvas: x' = x * sx + px.
struct ScreenMap {
  double sx = 1, sy = 1, px = 0, py = 0;
  int width = 0, height = 0;         // the canvas
  int content_w = 0, content_h = 0;  // the scaled source on it (the canvas less the bars)
  // Stretched to fill the canvas (ncbench's default resize).
  static ScreenMap Stretch(int src_w, int src_h, int dst_w, int dst_h);
  // Scaled by min(dst_w/src_w, dst_h/src_h) to whole pixels (round(s*w) x round(s*h)) and
  // placed at ((dst_w - w) / 2, (dst_h - h) / 2), integer division; the rest is black
  // ("letterbox").
  static ScreenMap Letterbox(int src_w, int src_h, int dst_w, int dst_h);
  std::pair<double, double> Map(double x, double y) const { return {x * sx + px, y * sy + py}; }
};

struct EncodedActions {
  torch::Tensor actions;  // [T, ActionDim()] float32
  // The logged cursor of frames 0..T in canvas pixels (nullopt before the log has one).
  std::vector<std::optional<std::pair<double, double>>> cursor;
  int64_t events = 0;          // events read from the log
  int64_t events_after_t = 0;  // inside the video but after frame T (--max-frames): unused
};

struct EncodeOptions {
  double fps = 0;                     // the checkpoint's
  int64_t num_frames = 0;             // T
  double video_fps = 0;               // the ground truth's own frame rate
  int64_t video_frames = 0;           // its frame count
  double scale_x = 1, scale_y = 1;    // log pixels -> video pixels:
  double offset_x = 0, offset_y = 0;  //   video = (log - offset) * scale
  ScreenMap map;                      // video pixels -> canvas pixels
};

// Encodes `log`. An event past the video's end (its frame at the video's own fps beyond the
// last frame) is an error naming the log, its line and the video's length: nothing is
// clamped onto the last frame.
EncodedActions EncodeGuiActions(const GuiLog& log, const EncodeOptions& options);

// The frame of an event at `time` seconds: round(time * fps - 1), ties to even, at least 0.
int64_t EventFrame(double time, double fps);

}  // namespace ncb
