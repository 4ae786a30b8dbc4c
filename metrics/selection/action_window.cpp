#include "metrics/selection/action_window.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace ncb {

std::vector<int64_t> ActionWindowFrames(const std::vector<double>& event_times, double fps, int64_t num_frames,
                                        int64_t window, int64_t offset) {
  std::vector<int64_t> ks;
  for (double tau : event_times) {
    // The released loader's _timestamp_to_csv_frame_index: round(t * fps - 1), ties to even,
    // clamped to the clip's frames 0..T.
    const auto f = std::clamp(static_cast<int64_t>(std::nearbyint(tau * fps + static_cast<double>(offset))),
                              int64_t{0}, num_frames);
    for (int64_t k = f + 1; k <= std::min(f + window, num_frames); ++k) ks.push_back(k);
  }
  std::sort(ks.begin(), ks.end());
  ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
  return ks;
}

namespace {

class ActionWindowMetric : public Metric {
 public:
  ActionWindowMetric(std::unique_ptr<Metric> base, int64_t window, int64_t offset)
      : base_(std::move(base)), window_(window), offset_(offset) {
    suffix_ = "_+" + std::to_string(window) + (offset == -1 ? "" : "_offset" + std::to_string(offset));
    info_ = base_->info();
    info_.name += suffix_;
    info_.reference += "; frames f+1..f+" + std::to_string(window) + " after each click/scroll/key event, f = round(tau*fps" +
                       (offset < 0 ? " - " : " + ") + std::to_string(std::abs(offset)) +
                       ") clamped to 0..T (Neural Computers +15 metrics)";
  }
  const MetricInfo& info() const override { return info_; }
  nlohmann::json options() const override {
    auto o = base_->options();
    o["action_window"] = {{"window", window_}, {"offset", offset_}, {"events", "click, scroll, key"}};
    return o;
  }
  void BeginSample(const SampleInfo& s) override {
    selected_ = ActionWindowFrames(s.event_times, s.fps, s.num_frames, window_, offset_);
    if (selected_.empty()) return;
    SampleInfo sub = s;
    sub.num_frames = static_cast<int64_t>(selected_.size());
    sub.event_times.clear();
    base_->BeginSample(sub);
  }
  std::vector<nlohmann::json> ObserveFrames(const torch::Tensor& gen, const torch::Tensor& gt,
                                            const FrameContext& c) override {
    std::vector<nlohmann::json> out(static_cast<size_t>(gen.size(0)), nlohmann::json::object());
    std::vector<int64_t> rows;
    FrameContext sub;
    for (int64_t i = 0; i < gen.size(0); ++i) {
      const int64_t k = c.first_index + i;
      auto it = std::lower_bound(selected_.begin(), selected_.end(), k);
      if (it == selected_.end() || *it != k) continue;
      if (rows.empty()) sub.first_index = (it - selected_.begin()) + 1;  // renumbered 1..n
      rows.push_back(i);
      if (static_cast<size_t>(i) < c.screen_text.size()) sub.screen_text.push_back(c.screen_text[static_cast<size_t>(i)]);
    }
    if (rows.empty()) return out;
    const auto idx = torch::tensor(rows, torch::kInt64).to(gen.device());
    const auto res = base_->ObserveFrames(gen.index_select(0, idx), gt.index_select(0, idx), sub);
    for (size_t j = 0; j < rows.size() && j < res.size(); ++j) out[static_cast<size_t>(rows[j])] = Suffixed(res[j]);
    return out;
  }
  nlohmann::json EndSample() override {
    if (selected_.empty()) {
      ++excluded_;
      return {{info_.name + "_excluded", "no action window inside frames 1..T"}};
    }
    auto r = Suffixed(base_->EndSample());
    r[info_.name + "_frames"] = selected_.size();
    return r;
  }
  const MetricState& state() const override {
    combined_ = base_->state();
    combined_.Add("samples_excluded", static_cast<double>(excluded_));
    return combined_;
  }
  nlohmann::json Finalize(const MetricState& st) const override {
    auto a = Suffixed(base_->Finalize(st));
    a["samples_excluded"] = st.Get("samples_excluded");
    return a;
  }

 private:
  nlohmann::json Suffixed(const nlohmann::json& j) const {
    if (!j.is_object()) return j;
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [k, v] : j.items()) {
      // The suffix goes after the metric's own key: "ssim" -> "ssim_+15", "ssim_frame_mean" ->
      // "ssim_+15_frame_mean", "fvd_warning" -> "fvd_+15_warning"; counts keep their names.
      const bool count = k == "samples" || k == "frames" || k == "clips" || k == "feature_dim";
      const auto stem = StemOf(k);
      out[count ? k : stem.empty() ? k + suffix_ : stem + suffix_ + k.substr(stem.size())] = v;
    }
    return out;
  }

  // The base metric's key that `k` starts with ("ssim" in "ssim_frame_mean"), else "": its
  // name, or the name's first word (the key of "lpips_alex" is "lpips").
  std::string StemOf(const std::string& k) const {
    const std::string name = base_->info().name;
    for (const std::string& stem : {name, name.substr(0, name.find('_'))}) {
      if (k == stem || k.rfind(stem + "_", 0) == 0) return stem;
    }
    return "";
  }

  std::unique_ptr<Metric> base_;
  int64_t window_, offset_;
  std::string suffix_;
  MetricInfo info_;
  std::vector<int64_t> selected_;
  int64_t excluded_ = 0;
  mutable MetricState combined_;
};

}  // namespace

std::unique_ptr<Metric> WithActionWindow(std::unique_ptr<Metric> base, int64_t window, int64_t offset) {
  return std::make_unique<ActionWindowMetric>(std::move(base), window, offset);
}

}  // namespace ncb
