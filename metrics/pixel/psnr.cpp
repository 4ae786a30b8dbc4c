#include "metrics/pixel/psnr.h"

#include <ATen/Parallel.h>
#include <torch/types.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/errors.h"
#include "metrics/metric.h"

namespace ncb {

torch::Tensor SquaredErrorSum(const torch::Tensor& x, const torch::Tensor& y) {
  NCB_CHECK(x.sizes() == y.sizes() && x.dim() == 4);
  if (!x.device().is_cpu() || x.scalar_type() != torch::kFloat32 ||
      y.scalar_type() != torch::kFloat32)
    return (x.to(torch::kFloat64) - y.to(torch::kFloat64)).square_().sum({1, 2, 3});
  // On the CPU, one pass in double over the float frames (no float64 copies of them): fixed
  // blocks summed in order, the same result for any thread count.
  const auto xc = x.contiguous(), yc = y.contiguous();
  const int64_t n = x.size(0), per = n > 0 ? xc[0].numel() : 0;
  constexpr int64_t kBlock = 1 << 16;
  const int64_t blocks = (per + kBlock - 1) / kBlock;
  auto out = torch::empty({n}, torch::kFloat64);
  std::vector<double> partial(static_cast<size_t>(n * blocks));
  const float* px = xc.data_ptr<float>();
  const float* py = yc.data_ptr<float>();
  at::parallel_for(0, n * blocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      const int64_t i = b / blocks, p0 = (b % blocks) * kBlock, m = std::min(kBlock, per - p0);
      const float* a = px + i * per + p0;
      const float* c = py + i * per + p0;
      double sum = 0;
      for (int64_t j = 0; j < m; ++j) {
        const double d = static_cast<double>(a[j]) - static_cast<double>(c[j]);
        sum += d * d;
      }
      partial[static_cast<size_t>(b)] = sum;
    }
  });
  double* o = out.data_ptr<double>();
  for (int64_t i = 0; i < n; ++i) {
    o[i] = 0;
    for (int64_t b = 0; b < blocks; ++b) o[i] += partial[static_cast<size_t>(i * blocks + b)];
  }
  return out;
}

std::optional<double> PsnrFromSse(double sse, double count, double data_range) {
  if (!(sse > 0) || !(count > 0)) return std::nullopt;
  return 10.0 * std::log10(data_range * data_range * count / sse);
}

const std::vector<MetricOption>& PsnrOptions() {
  static const std::vector<MetricOption> t = {
      {"data_range", "number", 1.0, true, "the frames' value range (frames are in [0, 1])"}};
  return t;
}

namespace {

constexpr const char* kIdentical = "identical to the ground truth (MSE = 0): PSNR is unbounded";

class PsnrMetric : public Metric {
 public:
  explicit PsnrMetric(double data_range) : data_range_(data_range) {
    info_ = {"psnr",  1,
             "dB",    "higher_is_better",
             "frame", "skimage.metrics.peak_signal_noise_ratio (scikit-image 0.19.3)"};
    info_.name += NameSuffix(options(), PsnrOptions());
  }
  const MetricInfo& info() const override { return info_; }
  std::vector<OutputKey> outputs() const override {
    return {{"samples_with_psnr", "count", "", false}, {"frames_identical", "count", "", false}};
  }
  nlohmann::json options() const override { return {{"data_range", data_range_}}; }
  void BeginSample(const SampleInfo&) override { sample_ = {}; }

  std::vector<nlohmann::json> ObserveFrames(const torch::Tensor& gen, const torch::Tensor& gt,
                                            const FrameContext&) override {
    const auto sse = SquaredErrorSum(gen, gt).cpu().contiguous();
    const double count = static_cast<double>(gen[0].numel());
    std::vector<nlohmann::json> out;
    for (int64_t i = 0; i < sse.size(0); ++i)
      out.push_back(Record(sse.data_ptr<double>()[i], count));
    return out;
  }
  bool batchable() const override { return true; }
  bool device_kernels() const override { return true; }
  std::vector<nlohmann::json> ObserveAcross(const std::vector<Metric*>& instances,
                                            const torch::Tensor& gen,
                                            const torch::Tensor& gt) override {
    NCB_CHECK(static_cast<int64_t>(instances.size()) == gen.size(0));
    const auto sse = SquaredErrorSum(gen, gt).cpu().contiguous();
    const double count = static_cast<double>(gen[0].numel());
    std::vector<nlohmann::json> out;
    for (size_t i = 0; i < instances.size(); ++i) {
      auto* m = dynamic_cast<PsnrMetric*>(instances[i]);
      NCB_CHECK(m != nullptr);
      out.push_back(m->Record(sse.data_ptr<double>()[i], count));
    }
    return out;
  }

  nlohmann::json EndSample() override {
    nlohmann::json s;
    const double n = sample_.Get("frame_psnr_n");
    PutRatio(&s, "psnr", sample_.Get("frame_psnr_sum"), n,
             "every frame is identical to the ground truth (MSE = 0): PSNR is unbounded");
    const auto pooled = PsnrFromSse(sample_.Get("sse"), sample_.Get("values"), data_range_);
    PutScore(&s, "psnr_pooled", pooled.value_or(0), pooled.has_value(), kIdentical);
    s["frames_identical"] = sample_.Get("frames_identical");
    state_.Merge(sample_);
    state_.Add("samples", 1);
    if (n > 0) {
      state_.Add("sample_psnr_sum", s["psnr"].get<double>());
      state_.Add("sample_psnr_n", 1);
    }
    return s;
  }
  const MetricState& state() const override { return state_; }

  nlohmann::json Finalize(const MetricState& st) const override {
    nlohmann::json a;
    const double n = st.Get("sample_psnr_n");
    PutRatio(&a, "psnr", st.Get("sample_psnr_sum"), n,
             st.Get("samples") > 0
                 ? "no sample has a finite PSNR (every frame identical to the ground truth)"
                 : "no samples were scored");
    const auto pooled = PsnrFromSse(st.Get("sse"), st.Get("values"), data_range_);
    PutScore(&a, "psnr_pooled", pooled.value_or(0), pooled.has_value(),
             st.Get("frames") > 0 ? kIdentical : "no frames were scored");
    a["samples"] = st.Get("samples");
    a["samples_with_psnr"] = n;
    a["frames"] = st.Get("frames");
    a["frames_identical"] = st.Get("frames_identical");
    return a;
  }

 private:
  nlohmann::json Record(double e, double count) {
    const auto p = PsnrFromSse(e, count, data_range_);
    nlohmann::json f;
    PutScore(&f, "psnr", p.value_or(0), p.has_value(), kIdentical);
    sample_.Add("sse", e);
    sample_.Add("values", count);
    sample_.Add("frames", 1);
    if (p) {
      sample_.Add("frame_psnr_sum", *p);
      sample_.Add("frame_psnr_n", 1);
    } else {
      sample_.Add("frames_identical", 1);
    }
    return f;
  }

  double data_range_;
  MetricInfo info_;
  MetricState sample_, state_;
};

}  // namespace

std::unique_ptr<Metric> MakePsnrMetric(const nlohmann::json& options, const MetricEnv&) {
  const double range = options.value("data_range", 1.0);
  if (!(range > 0)) throw Error("psnr: option data_range must be positive");
  return std::make_unique<PsnrMetric>(range);
}

}  // namespace ncb
