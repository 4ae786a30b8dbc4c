#include "reports/frame_strip.h"

#include <torch/types.h>

#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/errors.h"
#include "core/frame.h"

namespace ncb {

std::vector<int64_t> StripFrames(int64_t num_frames, int n) {
  std::vector<int64_t> ks;
  for (int j = 1; j <= n && num_frames > 0; ++j) {
    const auto k = std::max<int64_t>(
        1, std::llround(static_cast<double>(j) * static_cast<double>(num_frames) / n));
    if (ks.empty() || ks.back() != k) ks.push_back(k);
  }
  return ks;
}

namespace {
cv::Mat Thumb(const cv::Mat& m) {
  const int h = std::max(
      1, static_cast<int>(std::lround(static_cast<double>(m.rows) * kStripThumbWidth / m.cols)));
  cv::Mat out;
  cv::resize(m, out, cv::Size(kStripThumbWidth, h), 0, 0, cv::INTER_AREA);
  return out;
}
}  // namespace

void FrameStrip::Add(int64_t k, const torch::Tensor& generated, const torch::Tensor& ground_truth) {
  const auto g = generated.detach().to(torch::kCPU), t = ground_truth.detach().to(torch::kCPU);
  ks_.push_back(k);
  gen_.push_back(Thumb(FrameToMat(g)));
  gt_.push_back(Thumb(FrameToMat(t)));
  const auto d = (g - t)
                     .abs()
                     .mean(0)
                     .div(kStripDiffFullScale)
                     .clamp(0, 1)
                     .mul(255)
                     .round()
                     .to(torch::kUInt8)
                     .contiguous();
  cv::Mat diff(static_cast<int>(d.size(0)), static_cast<int>(d.size(1)), CV_8UC1,
               d.data_ptr<uint8_t>());
  cv::Mat heat;
  cv::applyColorMap(Thumb(diff), heat, cv::COLORMAP_INFERNO);
  diff_.push_back(heat);
}

void FrameStrip::Write(const std::filesystem::path& path) const {
  if (ks_.empty()) return;
  constexpr int kGap = 2;
  const int w = kStripThumbWidth, h = gt_[0].rows, n = static_cast<int>(ks_.size());
  cv::Mat canvas(3 * h + 2 * kGap, n * w + (n - 1) * kGap, CV_8UC3, cv::Scalar(255, 255, 255));
  for (int i = 0; i < n; ++i) {
    const int x = i * (w + kGap);
    gt_[i].copyTo(canvas(cv::Rect(x, 0, w, h)));
    gen_[i].copyTo(canvas(cv::Rect(x, h + kGap, w, h)));
    diff_[i].copyTo(canvas(cv::Rect(x, 2 * (h + kGap), w, h)));
  }
  std::filesystem::create_directories(path.parent_path());
  if (!cv::imwrite(path.string(), canvas, {cv::IMWRITE_JPEG_QUALITY, 85})) {
    throw Error(At(path.string(), "cannot write the frame strip"));
  }
}

}  // namespace ncb
