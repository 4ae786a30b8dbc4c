#include "metrics/pixel/ssim.h"

#include <ATen/Parallel.h>
#include <torch/types.h>

#include <cstring>
#include <opencv2/imgproc.hpp>

#include "core/errors.h"
#include "metrics/frame_mean_metric.h"

namespace ncb {

torch::Tensor GaussianWindow(int size, double sigma, torch::ScalarType dtype,
                             torch::Device device) {
  auto x = torch::arange(size, torch::TensorOptions().dtype(torch::kFloat64)) - (size - 1) / 2.0;
  auto g = torch::exp(-0.5 * x.square() / (sigma * sigma));
  return (g / g.sum()).to(device, dtype);
}

torch::Tensor Ssim(const torch::Tensor& x_in, const torch::Tensor& y_in, const SsimOptions& o) {
  NCB_CHECK(x_in.sizes() == y_in.sizes() && x_in.dim() == 4);
  if (x_in.size(2) < o.window || x_in.size(3) < o.window) {
    throw Error("ssim: frames of " + std::to_string(x_in.size(3)) + "x" +
                std::to_string(x_in.size(2)) + " are smaller than the " + std::to_string(o.window) +
                "x" + std::to_string(o.window) + " window");
  }
  const auto dt = o.float64 ? torch::kFloat64 : torch::kFloat32;
  const auto x = x_in.to(dt), y = y_in.to(dt);
  const int64_t c = x.size(1);
  const auto g = GaussianWindow(o.window, o.sigma, dt, x.device());
  const auto maps = torch::cat({x, y, x * x, y * y, x * y}, 1).contiguous();  // [N,5C,H,W]
  const int64_t groups = 5 * c;
  torch::Tensor f;
  if (maps.device().is_cpu() && !o.conv2d_on_cpu) {
    // LibTorch's CPU depthwise convolutions are slow for 11-tap separable kernels (about 1 s
    // per 1600x900 frame in Debian's build); OpenCV's SIMD separable filter runs over the
    // same tensor memory instead, one plane per task on ATen's thread pool. Only the valid
    // region is kept, so the border mode never reaches a score.
    const int64_t h = maps.size(2), w = maps.size(3), planes = maps.size(0) * groups;
    auto full = torch::empty_like(maps);
    const int cv_type = dt == torch::kFloat64 ? CV_64F : CV_32F;
    cv::Mat kernel(o.window, 1, cv_type);
    const auto gc = g.contiguous();
    std::memcpy(kernel.data, gc.data_ptr(), o.window * gc.element_size());
    at::parallel_for(0, planes, 1, [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; ++p) {
        const size_t off = static_cast<size_t>(p * h * w) * maps.element_size();
        cv::Mat src(static_cast<int>(h), static_cast<int>(w), cv_type,
                    static_cast<char*>(maps.data_ptr()) + off);
        cv::Mat dst(static_cast<int>(h), static_cast<int>(w), cv_type,
                    static_cast<char*>(full.data_ptr()) + off);
        cv::sepFilter2D(src, dst, cv_type, kernel, kernel, cv::Point(-1, -1), 0,
                        cv::BORDER_REFLECT_101);
      }
    });
    const int64_t r = o.window / 2;
    f = full.narrow(2, r, h - 2 * r).narrow(3, r, w - 2 * r);
  } else {
    const auto wh = g.view({1, 1, 1, o.window}).expand({groups, 1, 1, o.window}).contiguous();
    const auto wv = g.view({1, 1, o.window, 1}).expand({groups, 1, o.window, 1}).contiguous();
    // Valid convolutions: the map covers exactly the pixels whose window lies inside the frame.
    f = torch::conv2d(maps, wh, torch::Tensor(), {1, 1}, at::IntArrayRef{0, 0}, {1, 1}, groups);
    f = torch::conv2d(f, wv, torch::Tensor(), {1, 1}, at::IntArrayRef{0, 0}, {1, 1}, groups);
  }
  const auto mx = f.narrow(1, 0, c), my = f.narrow(1, c, c);
  const auto vx = f.narrow(1, 2 * c, c) - mx * mx;
  const auto vy = f.narrow(1, 3 * c, c) - my * my;
  const auto vxy = f.narrow(1, 4 * c, c) - mx * my;
  const double c1 = (o.k1 * o.data_range) * (o.k1 * o.data_range);
  const double c2 = (o.k2 * o.data_range) * (o.k2 * o.data_range);
  const auto s =
      ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
  return s.to(torch::kFloat64).mean({1, 2, 3});
}

const std::vector<MetricOption>& SsimOptionTable() {
  static const std::vector<MetricOption> t = {
      {"data_range", "number", 1.0, true, "the frames' value range (frames are in [0, 1])"},
      {"float64", "boolean", false, true, "compute in double precision (the reference's)"}};
  return t;
}

namespace {

class SsimMetric : public FrameMeanMetric {
 public:
  explicit SsimMetric(SsimOptions o) : o_(o) {
    info_ = {"ssim",
             1,
             "",
             "higher_is_better",
             "frame",
             "skimage.metrics.structural_similarity (scikit-image 0.19.3, gaussian_weights=True, "
             "use_sample_covariance=False)"};
    info_.name += NameSuffix(options(), SsimOptionTable());
  }
  const MetricInfo& info() const override { return info_; }
  nlohmann::json options() const override {
    return {{"data_range", o_.data_range},
            {"window", o_.window},
            {"sigma", o_.sigma},
            {"k1", o_.k1},
            {"k2", o_.k2},
            {"float64", o_.float64}};
  }

 protected:
  std::string key() const override { return "ssim"; }
  torch::Tensor Score(const torch::Tensor& gen, const torch::Tensor& gt) override {
    return Ssim(gen, gt, o_);
  }

 private:
  SsimOptions o_;
  MetricInfo info_;
};

}  // namespace

std::unique_ptr<Metric> MakeSsimMetric(const nlohmann::json& j, const MetricEnv&) {
  SsimOptions o;
  o.data_range = j.value("data_range", o.data_range);
  o.float64 = j.value("float64", o.float64);
  if (!(o.data_range > 0)) throw Error("ssim: option data_range must be positive");
  return std::make_unique<SsimMetric>(o);
}

}  // namespace ncb
