// The common shape of a per-frame score averaged per sample, then over samples (SSIM, LPIPS):
// a subclass gives the score of N frame pairs; this class keeps the sums and writes the
// per-frame, per-sample and dataset numbers under the metric's key.
#pragma once

#include "core/errors.h"
#include "metrics/metric.h"

namespace ncb {

class FrameMeanMetric : public Metric {
 public:
  void BeginSample(const SampleInfo&) override { sample_ = {}; }
  std::vector<nlohmann::json> ObserveFrames(const torch::Tensor& gen, const torch::Tensor& gt,
                                            const FrameContext&) override {
    const auto v = Score(gen, gt).to(torch::kCPU, torch::kFloat64).contiguous();
    std::vector<nlohmann::json> out;
    for (int64_t i = 0; i < v.size(0); ++i) out.push_back(Record(v.data_ptr<double>()[i]));
    return out;
  }
  bool batchable() const override { return true; }
  bool device_kernels() const override { return true; }
  std::vector<nlohmann::json> ObserveAcross(const std::vector<Metric*>& instances,
                                            const torch::Tensor& gen,
                                            const torch::Tensor& gt) override {
    NCB_CHECK(static_cast<int64_t>(instances.size()) == gen.size(0));
    const auto v = Score(gen, gt).to(torch::kCPU, torch::kFloat64).contiguous();
    std::vector<nlohmann::json> out;
    for (size_t i = 0; i < instances.size(); ++i) {
      auto* m = dynamic_cast<FrameMeanMetric*>(instances[i]);
      NCB_CHECK(m != nullptr);
      out.push_back(m->Record(v.data_ptr<double>()[i]));
    }
    return out;
  }
  nlohmann::json EndSample() override {
    const double n = sample_.Get("frames");
    nlohmann::json s;
    PutRatio(&s, key(), sample_.Get("frame_" + key() + "_sum"), n, "no frames were scored");
    state_.Merge(sample_);
    if (n > 0) {
      state_.Add("sample_" + key() + "_sum", s[key()].get<double>());
      state_.Add("samples", 1);
    }
    return s;
  }
  const MetricState& state() const override { return state_; }
  nlohmann::json Finalize(const MetricState& st) const override {
    nlohmann::json a;
    const double n = st.Get("samples"), f = st.Get("frames");
    PutRatio(&a, key(), st.Get("sample_" + key() + "_sum"), n, "no samples were scored");
    PutRatio(&a, key() + "_frame_mean", st.Get("frame_" + key() + "_sum"), f,
             "no frames were scored");
    a["samples"] = n;
    a["frames"] = f;
    return a;
  }

 protected:
  // The score's key in every JSON object ("ssim", "lpips").
  virtual std::string key() const = 0;
  // [N] scores of N frame pairs.
  virtual torch::Tensor Score(const torch::Tensor& gen, const torch::Tensor& gt) = 0;

 private:
  nlohmann::json Record(double s) {
    sample_.Add("frame_" + key() + "_sum", s);
    sample_.Add("frames", 1);
    return {{key(), s}};
  }

  MetricState sample_, state_;
};

}  // namespace ncb
