#include "probes/arithmetic/screen.h"

#include <torch/types.h>

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "core/errors.h"
#include "core/frame.h"
#include "datasets/tape.h"
#include "datasets/vhs_look.h"

namespace ncb {

namespace {

// The cells' size and pitch of a look: one row of two cells without the frame around it.
void MeasureCells(ProbeScreen* s) {
  RenderOptions cell = s->render;
  cell.canvas_w = cell.canvas_h = 0;
  cell.margin_px = cell.padding_px = cell.border_radius_px = 0;
  const Terminal probe(1, 2, cell);
  s->cell_w = probe.pixel_width() / 2;
  s->cell_h = probe.pixel_height();
  s->pitch = probe.column_pitch();
}

// vhs's PS1 ("\[\e[...m\]> \[\e[0m\]") as the bytes bash prints.
std::string PromptBytes(const std::string& ps1) {
  std::string out;
  for (size_t i = 0; i < ps1.size(); ++i) {
    if (ps1[i] == '\\' && i + 1 < ps1.size()) {
      const char c = ps1[++i];
      if (c == 'e') out += '\x1b';
      if (c != '[' && c != ']' && c != 'e') out += c;
      continue;
    }
    out += ps1[i];
  }
  return out;
}

ProbeScreen VhsProbeScreen(int height, int width, const TapeLook& look, const std::string& name) {
  const auto& r = look.render;
  if (r.canvas_w != width || r.canvas_h != height) {
    throw Error("arithmetic probe look '" + name + "' draws " + std::to_string(r.canvas_w) + "x" +
                std::to_string(r.canvas_h) + " frames; the checkpoint's are " +
                std::to_string(width) + "x" + std::to_string(height) +
                " (look plain fits any frame)");
  }
  ProbeScreen s;
  s.height = height;
  s.width = width;
  s.look = name;
  s.render = r;
  s.render.cursor_blink_s = 0;
  s.render.draw_cursor = false;
  s.rows = look.rows;
  s.cols = look.cols;
  MeasureCells(&s);
  // Where Terminal::Render puts cell (0, 0) with xterm.js's metrics.
  const int pad = r.margin_px + r.padding_px;
  s.origin_x = pad;
  s.origin_y = pad + (r.canvas_h - 2 * pad - s.rows * s.cell_h) / 2;
  s.prompt = PromptBytes(look.prompt);
  s.prompt_text = look.prompt_shown;
  return s;
}

}  // namespace

ProbeScreen MakeProbeScreen(int height, int width, int font_px, const std::string& theme,
                            const std::string& look) {
  if (look == "cligen-clean" || (look == "auto" && width == 1600 && height == 900))
    return VhsProbeScreen(height, width, CligenCleanLook(), "cligen-clean");
  if (look != "auto" && look != "plain") {
    const TapeLook t = LookOfTape(ReadTape(look), {});
    if (!t.vhs) {
      throw Error("arithmetic probe look '" + look +
                  "': the tape sets none of Width, Height, FontSize, ... (docs/cli-recorder.md, "
                  "The vhs look); "
                  "expected plain, cligen-clean, auto or a tape that sets its look");
    }
    return VhsProbeScreen(height, width, t, look);
  }
  ProbeScreen s;
  s.height = height;
  s.width = width;
  s.look = "plain";
  s.render.theme = theme;
  s.render.font_px =
      font_px > 0 ? font_px : std::clamp(static_cast<int>(std::lround(height / 24.0 / 1.2)), 8, 96);
  s.render.padding_px = 0;
  s.render.draw_cursor = false;
  MeasureCells(&s);
  // A margin of half a cell keeps text off the frame's edge, as a terminal window's padding.
  s.origin_x = s.cell_w / 2;
  s.origin_y = s.cell_h / 2;
  s.cols = (width - 2 * s.origin_x) / s.cell_w;
  s.rows = (height - 2 * s.origin_y) / s.cell_h;
  if (s.cols < 20 || s.rows < 5) {
    throw Error("a " + std::to_string(width) + "x" + std::to_string(height) + " frame holds only " +
                std::to_string(s.cols) + "x" + std::to_string(s.rows) + " cells at " +
                std::to_string(s.render.font_px) +
                " px; the arithmetic probe needs at least 20x5 "
                "(pass a smaller probe font size)");
  }
  return s;
}

cv::Mat RenderProbeScreen(const ProbeScreen& s, std::string_view bytes) {
  Terminal term(s.rows, s.cols, s.render);
  term.Feed(bytes);
  const cv::Mat screen = term.Render();
  if (s.render.canvas_w > 0) return screen;  // a vhs look: the terminal draws the whole frame
  const Theme theme = ThemeByName(s.render.theme);
  cv::Mat frame(s.height, s.width, CV_8UC3,
                cv::Scalar(theme.background.b, theme.background.g, theme.background.r));
  screen.copyTo(frame(cv::Rect(s.origin_x, s.origin_y, screen.cols, screen.rows)));
  return frame;
}

torch::Tensor GlyphAtlas(const ProbeScreen& s) {
  std::vector<torch::Tensor> cells;
  RenderOptions bare = s.render;  // the cells alone, without a vhs look's frame
  bare.canvas_w = bare.canvas_h = 0;
  bare.margin_px = bare.padding_px = bare.border_radius_px = 0;
  for (char c = 32; c < 127; ++c) {
    Terminal cell(1, 2, bare);
    cell.Feed(std::string(1, c));
    cells.push_back(MatToFrame(cell.Render()(cv::Rect(0, 0, s.cell_w, s.cell_h)).clone()));
  }
  return torch::stack(cells);
}

}  // namespace ncb
