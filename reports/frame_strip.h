// The per-sample picture of a report: a strip of ground-truth, generated and difference
// frames at a few rollout steps, written as a JPEG beside report.json and embedded by the
// HTML report.
//
// Rows: ground truth, generated, |generated - ground truth| averaged over RGB as a heat map
// (OpenCV's inferno colour map, full scale at kStripDiffFullScale). Columns: the chosen
// frames k, each thumbnail kStripThumbWidth px wide.
#pragma once

#include <torch/types.h>

#include <filesystem>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace ncb {

inline constexpr int kStripThumbWidth = 192;
inline constexpr double kStripDiffFullScale = 0.25;

// Up to `n` frames of 1..T, evenly spaced and ending at T: round(j * T / n), j = 1..n.
std::vector<int64_t> StripFrames(int64_t num_frames, int n);

class FrameStrip {
 public:
  // Keeps thumbnails of one frame pair ([3,H,W] float in [0,1]).
  void Add(int64_t k, const torch::Tensor& generated, const torch::Tensor& ground_truth);
  bool empty() const { return ks_.empty(); }
  const std::vector<int64_t>& frames() const { return ks_; }
  // Writes the strip as a JPEG (quality 85).
  void Write(const std::filesystem::path& path) const;

 private:
  std::vector<int64_t> ks_;
  std::vector<cv::Mat> gt_, gen_, diff_;
};

}  // namespace ncb
