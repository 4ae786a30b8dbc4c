#include "metrics/pixel/changed_region.h"

#include "core/errors.h"
#include "metrics/metric.h"
#include "metrics/pixel/psnr.h"
#include "metrics/pixel/ssim.h"

namespace ncb {
using nlohmann::json;

torch::Tensor ChangedMask(const torch::Tensor& gt, const torch::Tensor& c,
                          const ChangedRegionOptions& o) {
  NCB_CHECK(gt.dim() == 4 && c.dim() == 3 && gt.sizes().slice(1) == c.sizes());
  auto m = ((gt.to(torch::kFloat32) - c.to(torch::kFloat32).unsqueeze(0)).abs().amax(1, true) >
            o.threshold)
               .to(torch::kFloat32);
  if (o.radius > 0) {
    const int64_t side = 2 * o.radius + 1;
    m = torch::max_pool2d(m, {side, side}, {1, 1}, {o.radius, o.radius});
  }
  return m;
}

const std::vector<MetricOption>& ChangedRegionOptionTable() {
  static const std::vector<MetricOption> t = {
      {"threshold", "number", 0.1, true,
       "a pixel changed when a channel differs from the conditioning frame by more (of 1)"},
      {"radius", "integer", 2, true, "dilation of the changed pixels, px"}};
  return t;
}

namespace {

constexpr const char* kUnchanged =
    "no pixel of the ground truth differs from the conditioning frame (excluded, counted in "
    "*_frames_unchanged)";

class ChangedRegionMetric : public Metric {
 public:
  ChangedRegionMetric(ChangedRegionMap score, ChangedRegionOptions o)
      : score_(std::move(score)), o_(o) {
    info_ = {score_.base + "_changed", 1, score_.unit, score_.direction, "frame", score_.reference};
    info_.name += NameSuffix(options(), score_.table ? score_.table() : ChangedRegionOptionTable());
  }
  const MetricInfo& info() const override { return info_; }
  json options() const override {
    json o = score_.options.is_object() ? score_.options : json::object();
    o["threshold"] = o_.threshold;
    o["radius"] = o_.radius;
    return o;
  }
  std::vector<std::string> incidental_options() const override { return score_.incidental; }
  std::vector<OutputKey> outputs() const override {
    return {{"*_share", "data", "", false},
            {"*_frames_unchanged", "count", "", false},
            {"*_frames_scored", "count", "", false},
            {"samples_without_change", "count", "", false},
            {"frames_identical", "count", "", false}};
  }

  void BeginSample(const SampleInfo& s) override {
    if (!s.conditioning.defined())
      throw Error("metric " + info_.name + ", sample " + s.id + ": needs the conditioning frame");
    conditioning_ = s.conditioning;
    sample_ = {};
  }

  std::vector<json> ObserveFrames(const torch::Tensor& gen, const torch::Tensor& gt,
                                  const FrameContext&) override {
    const auto mask = ChangedMask(gt, conditioning_, o_);
    const auto share = mask.to(torch::kFloat64).mean({1, 2, 3}).to(torch::kCPU).contiguous();
    torch::Tensor value, weight;
    if (!score_.map) {  // PSNR
      const auto d = (gen.to(torch::kFloat64) - gt.to(torch::kFloat64)).square_();
      value = (d * mask.to(torch::kFloat64)).sum({1, 2, 3});  // the squared error in M_k
      weight = mask.to(torch::kFloat64).sum({1, 2, 3}) * static_cast<double>(gen.size(1));
    } else {
      const auto map = score_.map(gen, gt).to(torch::kFloat64);
      const int64_t r = (mask.size(2) - map.size(2)) / 2;
      const auto m = mask.narrow(2, r, map.size(2)).narrow(3, r, map.size(3)).to(torch::kFloat64);
      weight = m.sum({1, 2, 3});
      value = (map * m).sum({1, 2, 3}) / weight.clamp_min(1.0);
    }
    value = value.to(torch::kCPU).contiguous();
    weight = weight.to(torch::kCPU).contiguous();
    std::vector<json> out;
    for (int64_t i = 0; i < gen.size(0); ++i) {
      out.push_back(Record(value.data_ptr<double>()[i], weight.data_ptr<double>()[i],
                           share.data_ptr<double>()[i]));
    }
    return out;
  }

  json EndSample() override {
    json s;
    const double n = sample_.Get("frames_scored");
    PutRatio(&s, info_.name, sample_.Get("frame_sum"), n, kUnchanged);
    PutRatio(&s, info_.name + "_share", sample_.Get("share_sum"), sample_.Get("frames"),
             "no frames were scored");
    s[info_.name + "_frames_unchanged"] = sample_.Get("frames_unchanged");
    state_.Merge(sample_);
    state_.Add("samples_seen", 1);
    if (n > 0) {
      state_.Add("sample_sum", s[info_.name].get<double>());
      state_.Add("samples", 1);
    }
    return s;
  }
  const MetricState& state() const override { return state_; }

  json Finalize(const MetricState& st) const override {
    json a;
    const double n = st.Get("samples");
    PutRatio(&a, info_.name, st.Get("sample_sum"), n, "no sample has a changed pixel");
    PutRatio(&a, info_.name + "_frame_mean", st.Get("frame_sum"), st.Get("frames_scored"),
             "no frame has a changed pixel");
    PutRatio(&a, info_.name + "_share", st.Get("share_sum"), st.Get("frames"), "no frames");
    a["samples"] = n;
    a["samples_without_change"] = st.Get("samples_seen") - n;
    a["frames"] = st.Get("frames");
    a[info_.name + "_frames_scored"] = st.Get("frames_scored");
    a[info_.name + "_frames_unchanged"] = st.Get("frames_unchanged");
    if (!score_.map) a["frames_identical"] = st.Get("frames_identical");
    return a;
  }

 private:
  json Record(double value, double weight, double share) {
    sample_.Add("frames", 1);
    sample_.Add("share_sum", share);
    json f = {{info_.name + "_share", share}};
    if (!(weight > 0)) {
      sample_.Add("frames_unchanged", 1);
      PutScore(&f, info_.name, 0, false, kUnchanged);
      return f;
    }
    double v = value;
    if (!score_.map) {
      const auto p = PsnrFromSse(value, weight, 1.0);
      if (!p) {
        sample_.Add("frames_identical", 1);
        PutScore(&f, info_.name, 0, false,
                 "identical to the ground truth in the changed region (MSE = 0)");
        return f;
      }
      v = *p;
    }
    sample_.Add("frames_scored", 1);
    sample_.Add("frame_sum", v);
    f[info_.name] = v;
    return f;
  }

  ChangedRegionMap score_;  // map: null for PSNR (a pooled squared error)
  ChangedRegionOptions o_;
  MetricInfo info_;
  torch::Tensor conditioning_;
  MetricState sample_, state_;
};

ChangedRegionOptions ReadOptions(const json& j, const std::string& name) {
  ChangedRegionOptions o;
  o.threshold = j.value("threshold", o.threshold);
  o.radius = j.value("radius", o.radius);
  if (!(o.threshold >= 0 && o.threshold < 1))
    throw Error(name + ": option threshold must be in [0, 1)");
  if (o.radius < 0 || o.radius > 64) throw Error(name + ": option radius must be in 0..64");
  return o;
}

}  // namespace

std::unique_ptr<Metric> MakeChangedRegionMetric(ChangedRegionMap score, const json& j) {
  const std::string name = score.base + "_changed";
  return std::make_unique<ChangedRegionMetric>(std::move(score), ReadOptions(j, name));
}

std::unique_ptr<Metric> MakePsnrChangedMetric(const json& j, const MetricEnv&) {
  return MakeChangedRegionMetric({"psnr", "dB", "higher_is_better",
                                  "PSNR over the changed region (metrics/pixel/changed_region.h)",
                                  json::object(), nullptr, nullptr},
                                 j);
}
std::unique_ptr<Metric> MakeSsimChangedMetric(const json& j, const MetricEnv&) {
  return MakeChangedRegionMetric(
      {"ssim", "", "higher_is_better",
       "the SSIM map of skimage.metrics.structural_similarity (scikit-image 0.19.3, "
       "gaussian_weights=True) averaged over the changed region",
       json::object(),
       [](const torch::Tensor& gen, const torch::Tensor& gt) {
         return SsimChannelMap(gen, gt).to(torch::kFloat64).mean(1, true);
       },
       nullptr},
      j);
}

}  // namespace ncb
