#include "core/frame.h"

#include <torch/types.h>

#include <cmath>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "core/errors.h"

namespace ncb {

torch::Tensor MatToFrame(const cv::Mat& image, const torch::Device& device) {
  cv::Mat rgb;
  switch (image.channels()) {
    case 1:
      cv::cvtColor(image, rgb, cv::COLOR_GRAY2RGB);
      break;
    case 3:
      cv::cvtColor(image, rgb, cv::COLOR_BGR2RGB);
      break;
    case 4:
      cv::cvtColor(image, rgb, cv::COLOR_BGRA2RGB);
      break;
    default:
      throw FormatError("image has " + std::to_string(image.channels()) +
                        " channels; expected 1, 3 or 4");
  }
  if (rgb.depth() != CV_8U) throw FormatError("image is not 8-bit");
  if (!rgb.isContinuous()) rgb = rgb.clone();
  auto t = torch::from_blob(rgb.data, {rgb.rows, rgb.cols, 3}, torch::kUInt8)
               .permute({2, 0, 1})
               .to(device, torch::kFloat32)
               .div_(255.0f);
  return t.contiguous();
}

cv::Mat FrameToMat(const torch::Tensor& frame) {
  NCB_CHECK(frame.dim() == 3 && frame.size(0) == 3);
  auto u8 = frame.detach()
                .to(torch::kCPU, torch::kFloat32)
                .mul(255.0f)
                .round_()
                .clamp_(0, 255)
                .to(torch::kUInt8)
                .permute({1, 2, 0})
                .contiguous();
  cv::Mat rgb(static_cast<int>(u8.size(0)), static_cast<int>(u8.size(1)), CV_8UC3, u8.data_ptr());
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  return bgr;  // cvtColor allocated its own buffer; u8 may go.
}

torch::Tensor ResizeFrame(const torch::Tensor& frame, int height, int width) {
  if (frame.size(1) == height && frame.size(2) == width) return frame;
  const bool shrink = frame.size(1) >= height && frame.size(2) >= width;
  auto batched = frame.unsqueeze(0);
  torch::Tensor out;
  if (shrink) {
    out = torch::adaptive_avg_pool2d(batched, {height, width});
  } else {
    out = torch::upsample_bilinear2d(batched, {height, width}, /*align_corners=*/false);
  }
  return out.squeeze(0).clamp_(0.0, 1.0);
}

std::optional<std::string> ValidateFrame(const torch::Tensor& frame, int height, int width) {
  std::ostringstream why;
  if (frame.scalar_type() != torch::kFloat32) {
    why << "dtype is " << frame.scalar_type() << "; expected float32";
    return why.str();
  }
  if (frame.dim() != 3 || frame.size(0) != 3 || frame.size(1) != height || frame.size(2) != width) {
    why << "shape is " << frame.sizes() << "; expected [3, " << height << ", " << width << "]";
    return why.str();
  }
  // One pass over the frame (a separate isfinite, min and max took 20 times as long): a NaN
  // makes both NaN, an Inf the bound it is.
  const auto [lo_t, hi_t] = torch::aminmax(frame);
  const auto lo = lo_t.item<double>();
  const auto hi = hi_t.item<double>();
  if (!std::isfinite(lo) || !std::isfinite(hi)) {
    const auto bad = (~torch::isfinite(frame)).sum().item<int64_t>();
    why << bad << " values are NaN or Inf; expected finite values";
    return why.str();
  }
  if (lo < -1e-6 || hi > 1.0 + 1e-6) {
    why << "values span [" << lo << ", " << hi << "]; expected [0, 1]";
    return why.str();
  }
  return std::nullopt;
}

int64_t TimeToFrame(double time, double fps, int64_t offset) {
  return static_cast<int64_t>(std::nearbyint(time * fps + static_cast<double>(offset)));
}

}  // namespace ncb
