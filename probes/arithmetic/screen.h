// The probe's terminal screen at a checkpoint's resolution: the first frame every problem
// starts from (a shell prompt), and the glyphs the known-answer checkpoints draw with.
//
// The look (`look`):
//  - "plain": ncbench's terminal (DejaVu Sans Mono, `theme`) filling the frame, half a cell
//    from its edges, a "$ " prompt; its font is `font_px`, or by default the size that fits
//    about 24 rows in the frame's height;
//  - "cligen-clean": the released CLIGen tapes' own look, as vhs draws it (datasets/vhs_look.h:
//    JetBrains Mono 40 px in a 1600x900 frame with a blue margin, vhs's purple "> " prompt);
//    the frame must be 1600x900;
//  - a .tape file: the look its Set lines give, the frame as large as its Width x Height;
//  - "auto" (the default): cligen-clean for a 1600x900 frame (the released data's), else plain.
#pragma once

#include <torch/types.h>

#include <opencv2/core.hpp>
#include <string>
#include <string_view>

#include "datasets/terminal.h"

namespace ncb {

struct ProbeScreen {
  int height = 0, width = 0;  // the frame
  std::string look;           // "plain", "cligen-clean" or the tape's path
  RenderOptions render;
  int rows = 0, cols = 0;
  int cell_w = 0, cell_h = 0;
  double pitch = 0;                // columns apart, px (cell_w, or fractional in a vhs look)
  int origin_x = 0, origin_y = 0;  // top-left pixel of cell (0, 0)
  std::string prompt = "$ ";       // the shell's prompt as the terminal receives it
  std::string prompt_text = "$ ";  // and as it reads
};

// Throws Error naming the look when the frame cannot hold it.
ProbeScreen MakeProbeScreen(int height, int width, int font_px = 0,
                            const std::string& theme = "catppuccin-mocha",
                            const std::string& look = "auto");

// The screen after `bytes` (what a shell printed) as an 8-bit BGR height x width image.
cv::Mat RenderProbeScreen(const ProbeScreen& screen, std::string_view bytes);

// Printable ASCII 32..126 as float32 RGB cells [95, 3, cell_h, cell_w] (foreground on the
// theme's background): what the known-answer checkpoints paste into frames.
torch::Tensor GlyphAtlas(const ProbeScreen& screen);

}  // namespace ncb
