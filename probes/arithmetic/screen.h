// The probe's terminal screen at a checkpoint's resolution: the first frame every problem
// starts from (a shell prompt), and the glyphs the known-answer checkpoints draw with.
//
// Font size: `font_px`, or by default the size that fits about 24 rows in the frame's height
// (the paper's 1600x900 CLIGen frames hold 24 rows at 40 px with 1.2 line height).
#pragma once

#include <torch/types.h>

#include <opencv2/core.hpp>
#include <string>
#include <string_view>

#include "datasets/terminal.h"

namespace ncb {

struct ProbeScreen {
  int height = 0, width = 0;  // the frame
  RenderOptions render;
  int rows = 0, cols = 0;
  int cell_w = 0, cell_h = 0;
  int origin_x = 0, origin_y = 0;  // top-left pixel of cell (0, 0)
};

ProbeScreen MakeProbeScreen(int height, int width, int font_px = 0,
                            const std::string& theme = "catppuccin-mocha");

// The screen after `bytes` (what a shell printed) as an 8-bit BGR height x width image.
cv::Mat RenderProbeScreen(const ProbeScreen& screen, std::string_view bytes);

// Printable ASCII 32..126 as float32 RGB cells [95, 3, cell_h, cell_w] (foreground on the
// theme's background): what the known-answer checkpoints paste into frames.
torch::Tensor GlyphAtlas(const ProbeScreen& screen);

}  // namespace ncb
