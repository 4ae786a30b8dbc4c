#include "probes/arithmetic/screen.h"

#include <torch/types.h>

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "core/errors.h"
#include "core/frame.h"

namespace ncb {

ProbeScreen MakeProbeScreen(int height, int width, int font_px, const std::string& theme) {
  ProbeScreen s;
  s.height = height;
  s.width = width;
  s.render.theme = theme;
  s.render.font_px =
      font_px > 0 ? font_px : std::clamp(static_cast<int>(std::lround(height / 24.0 / 1.2)), 8, 96);
  s.render.padding_px = 0;
  s.render.draw_cursor = false;
  {
    Terminal probe(1, 2, s.render);  // the narrowest screen (padding is 0)
    s.cell_w = probe.pixel_width() / 2;
    s.cell_h = probe.pixel_height();
  }
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
  const Theme theme = ThemeByName(s.render.theme);
  cv::Mat frame(s.height, s.width, CV_8UC3,
                cv::Scalar(theme.background.b, theme.background.g, theme.background.r));
  screen.copyTo(frame(cv::Rect(s.origin_x, s.origin_y, screen.cols, screen.rows)));
  return frame;
}

torch::Tensor GlyphAtlas(const ProbeScreen& s) {
  std::vector<torch::Tensor> cells;
  for (char c = 32; c < 127; ++c) {
    Terminal cell(1, 2, s.render);
    cell.Feed(std::string(1, c));
    cells.push_back(MatToFrame(cell.Render()(cv::Rect(0, 0, s.cell_w, s.cell_h)).clone()));
  }
  return torch::stack(cells);
}

}  // namespace ncb
