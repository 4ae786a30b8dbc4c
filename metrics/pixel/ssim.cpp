#include "metrics/pixel/ssim.h"

#include <ATen/Parallel.h>
#include <torch/types.h>

#include <cstring>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <vector>

#include "core/errors.h"
#include "core/recent_memo.h"
#include "metrics/frame_mean_metric.h"

namespace ncb {

torch::Tensor GaussianWindow(int size, double sigma, torch::ScalarType dtype,
                             torch::Device device) {
  auto x = torch::arange(size, torch::TensorOptions().dtype(torch::kFloat64)) - (size - 1) / 2.0;
  auto g = torch::exp(-0.5 * x.square() / (sigma * sigma));
  return (g / g.sum()).to(device, dtype);
}

namespace {

void CheckSize(const torch::Tensor& x, const SsimOptions& o) {
  if (x.size(2) < o.window || x.size(3) < o.window) {
    throw Error("ssim: frames of " + std::to_string(x.size(3)) + "x" + std::to_string(x.size(2)) +
                " are smaller than the " + std::to_string(o.window) + "x" +
                std::to_string(o.window) + " window");
  }
}

// The Gaussian-filtered planes of `maps` [N,K,H,W] over the valid region, [N,K,H-2r,W-2r].
// Each plane is filtered on its own, so a plane's result does not depend on the others.
torch::Tensor Filtered(const torch::Tensor& maps, const SsimOptions& o) {
  const auto dt = maps.scalar_type();
  const auto g = GaussianWindow(o.window, o.sigma, dt, maps.device());
  const int64_t groups = maps.size(1);
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
    return full.narrow(2, r, h - 2 * r).narrow(3, r, w - 2 * r);
  }
  const auto wh = g.view({1, 1, 1, o.window}).expand({groups, 1, 1, o.window}).contiguous();
  const auto wv = g.view({1, 1, o.window, 1}).expand({groups, 1, o.window, 1}).contiguous();
  // Valid convolutions: the map covers exactly the pixels whose window lies inside the frame.
  auto f = torch::conv2d(maps, wh, torch::Tensor(), {1, 1}, at::IntArrayRef{0, 0}, {1, 1}, groups);
  return torch::conv2d(f, wv, torch::Tensor(), {1, 1}, at::IntArrayRef{0, 0}, {1, 1}, groups);
}

torch::Tensor FromMoments(const torch::Tensor& mx, const torch::Tensor& my,
                          const torch::Tensor& exx, const torch::Tensor& eyy,
                          const torch::Tensor& exy, const SsimOptions& o) {
  const auto vx = exx - mx * mx;
  const auto vy = eyy - my * my;
  const auto vxy = exy - mx * my;
  const double c1 = (o.k1 * o.data_range) * (o.k1 * o.data_range);
  const double c2 = (o.k2 * o.data_range) * (o.k2 * o.data_range);
  return ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
}

// A frame's filtered mean and second moment, kept for the last frames seen (core/recent_memo.h):
// the static baseline's SSIM takes the ground truth's from the model's, and its conditioning
// frame's from its own first frame, and filters only x*y (3 planes, not 15).
std::pair<torch::Tensor, torch::Tensor> MomentsOf(const torch::Tensor& v, const SsimOptions& o) {
  static TensorMemo<std::pair<torch::Tensor, torch::Tensor>> recent(4);
  return recent.Get(v, [&] {
    const int64_t c = v.size(1);
    const auto f = Filtered(torch::cat({v, v * v}, 1).contiguous(), o);
    return std::make_pair(f.narrow(1, 0, c), f.narrow(1, c, c));
  });
}

}  // namespace

torch::Tensor SsimChannelMap(const torch::Tensor& x_in, const torch::Tensor& y_in,
                             const SsimOptions& o) {
  NCB_CHECK(x_in.sizes() == y_in.sizes() && x_in.dim() == 4);
  CheckSize(x_in, o);
  const auto dt = o.float64 ? torch::kFloat64 : torch::kFloat32;
  const auto x = x_in.to(dt), y = y_in.to(dt);
  const int64_t c = x.size(1);
  const auto f = Filtered(torch::cat({x, y, x * x, y * y, x * y}, 1).contiguous(), o);
  return FromMoments(f.narrow(1, 0, c), f.narrow(1, c, c), f.narrow(1, 2 * c, c),
                     f.narrow(1, 3 * c, c), f.narrow(1, 4 * c, c), o);
}

torch::Tensor SsimChannelMapOfFrames(const torch::Tensor& x, const torch::Tensor& y,
                                     const SsimOptions& o) {
  NCB_CHECK(x.sizes() == y.sizes() && x.dim() == 4 && x.size(0) == 1);
  CheckSize(x, o);
  const auto dt = o.float64 ? torch::kFloat64 : torch::kFloat32;
  if (x.scalar_type() != dt || y.scalar_type() != dt) return SsimChannelMap(x, y, o);
  const auto [mx, exx] = MomentsOf(x, o);
  const auto [my, eyy] = MomentsOf(y, o);
  return FromMoments(mx, my, exx, eyy, Filtered((x * y).contiguous(), o), o);
}

namespace {

// SSIM of pair i where x and y differ only inside a small box, or nowhere; nullopt when the
// box is too large to gain from it. Where the window holds identical pixels, the map is exactly
// 1: the two sides' filtered maps are computed by the same code over the same values, so
// numerator and denominator are the same floats (2 a b = a a + b b exactly for a = b). So the
// map is computed on the box grown by the window's diameter only, the rest counted as ones:
// the same map values, summed in another order (the mean to 1e-15). The static baseline and
// copying models differ from the ground truth in a few rows of a terminal.
std::optional<double> SsimOfSmallDifference(const torch::Tensor& x, const torch::Tensor& y,
                                            int64_t i, const SsimOptions& o) {
  const int64_t h = x.size(2), w = x.size(3), r = o.window / 2;
  const auto differs = (x[i] != y[i]).any(0);  // [H,W]
  const auto rows = differs.any(1).nonzero(), cols = differs.any(0).nonzero();
  if (rows.numel() == 0) return 1.0;
  const int64_t y0 = std::max<int64_t>(0, rows.min().item<int64_t>() - 2 * r);
  const int64_t y1 = std::min<int64_t>(h - 1, rows.max().item<int64_t>() + 2 * r);
  const int64_t x0 = std::max<int64_t>(0, cols.min().item<int64_t>() - 2 * r);
  const int64_t x1 = std::min<int64_t>(w - 1, cols.max().item<int64_t>() + 2 * r);
  const int64_t ch = y1 - y0 + 1, cw = x1 - x0 + 1;
  if (ch < o.window || cw < o.window || ch * cw * 5 > h * w * 3) return std::nullopt;
  const auto crop = [&](const torch::Tensor& t) {
    return t.narrow(0, i, 1).narrow(2, y0, ch).narrow(3, x0, cw).contiguous();
  };
  const auto map = SsimChannelMap(crop(x), crop(y), o).to(torch::kFloat64);
  const double all = static_cast<double>(x.size(1) * (h - 2 * r) * (w - 2 * r));
  const double ones = all - static_cast<double>(map.numel());
  return (map.sum().item<double>() + ones) / all;
}

}  // namespace

torch::Tensor Ssim(const torch::Tensor& x, const torch::Tensor& y, const SsimOptions& o) {
  NCB_CHECK(x.sizes() == y.sizes() && x.dim() == 4);
  if (x.size(2) < o.window || x.size(3) < o.window) return SsimChannelMap(x, y, o);  // throws
  std::vector<std::optional<double>> small(static_cast<size_t>(x.size(0)));
  std::vector<int64_t> full;
  for (int64_t i = 0; i < x.size(0); ++i) {
    small[static_cast<size_t>(i)] = SsimOfSmallDifference(x, y, i, o);
    if (!small[static_cast<size_t>(i)]) full.push_back(i);
  }
  auto out = torch::empty({x.size(0)}, torch::TensorOptions().dtype(torch::kFloat64));
  if (full.size() == 1 && x.size(0) == 1) {
    out[0] = SsimChannelMapOfFrames(x, y, o).to(torch::kFloat64).mean().cpu();
  } else if (!full.empty()) {
    const auto idx = torch::tensor(full, torch::kInt64).to(x.device());
    const auto s = SsimChannelMap(x.index_select(0, idx), y.index_select(0, idx), o)
                       .to(torch::kFloat64)
                       .mean({1, 2, 3})
                       .cpu();
    for (size_t j = 0; j < full.size(); ++j) out[full[j]] = s[static_cast<int64_t>(j)];
  }
  for (int64_t i = 0; i < x.size(0); ++i) {
    if (small[static_cast<size_t>(i)]) out[i] = *small[static_cast<size_t>(i)];
  }
  return out.to(x.device());
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
