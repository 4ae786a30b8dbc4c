#include "metrics/selection/frame_selection.h"

#include <torch/types.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <sstream>

#include "core/errors.h"
#include "core/frame.h"
#include "core/recent_memo.h"

namespace ncb {

std::vector<int64_t> ActionWindowFrames(const std::vector<double>& event_times, double fps,
                                        int64_t num_frames, int64_t window, int64_t offset) {
  std::vector<int64_t> ks;
  for (double tau : event_times) {
    // The released loader's _timestamp_to_csv_frame_index: round(t * fps - 1), ties to even,
    // clamped to the clip's frames 0..T.
    const auto f = std::clamp(TimeToFrame(tau, fps, offset), int64_t{0}, num_frames);
    for (int64_t k = f + 1; k <= std::min(f + window, num_frames); ++k) ks.push_back(k);
  }
  std::sort(ks.begin(), ks.end());
  ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
  return ks;
}

namespace {

using Selector = std::function<std::vector<int64_t>(const SampleInfo&)>;

// `base` on the frames `select` picks per sample, renumbered 1..n; `resize_short` > 0
// resizes them (area) to that short side first.
class SelectedFramesMetric : public Metric {
 public:
  SelectedFramesMetric(std::unique_ptr<Metric> base, Selector select, std::string suffix,
                       const std::string& reference, std::string option_key,
                       nlohmann::json option_value, std::string empty_reason, int resize_short)
      : base_(std::move(base)),
        select_(std::move(select)),
        suffix_(std::move(suffix)),
        option_key_(std::move(option_key)),
        option_value_(std::move(option_value)),
        empty_reason_(std::move(empty_reason)),
        resize_short_(resize_short) {
    info_ = base_->info();
    info_.name += suffix_;
    info_.reference += "; " + reference;
  }
  const MetricInfo& info() const override { return info_; }
  std::vector<OutputKey> outputs() const override { return base_->outputs(); }
  bool device_kernels() const override { return base_->device_kernels(); }
  std::vector<std::string> cursor_log_keys() const override { return base_->cursor_log_keys(); }
  std::vector<OutputView> views() const override { return base_->views(); }
  nlohmann::json preprocessing() const override { return base_->preprocessing(); }
  std::vector<std::string> incidental_options() const override {
    return base_->incidental_options();
  }
  nlohmann::json options() const override {
    auto o = base_->options();
    o[option_key_] = option_value_;
    return o;
  }
  void BeginSample(const SampleInfo& s) override {
    selected_ = select_(s);
    if (selected_.empty()) return;
    SampleInfo sub = s;
    sub.num_frames = static_cast<int64_t>(selected_.size());
    sub.event_times.clear();
    if (!s.cursor.empty()) {  // renumbered with the frames: 0, then the selected k
      sub.cursor = {s.cursor.front()};
      for (int64_t k : selected_) sub.cursor.push_back(s.cursor.at(static_cast<size_t>(k)));
    }
    if (resize_short_ > 0 && s.conditioning.defined())
      sub.conditioning = ResizeShort(s.conditioning);
    base_->BeginSample(sub);
  }
  // A frame [3,H,W] resized to resize_short_ px on its short side (the GUIWorld decode).
  torch::Tensor ResizeShort(const torch::Tensor& f) const {
    const double scale =
        static_cast<double>(resize_short_) / static_cast<double>(std::min(f.size(1), f.size(2)));
    return ResizeFrame(f, static_cast<int>(std::lround(static_cast<double>(f.size(1)) * scale)),
                       static_cast<int>(std::lround(static_cast<double>(f.size(2)) * scale)));
  }
  // The selected rows of a batch, resized: one tensor per input batch and selection, kept a
  // while (core/recent_memo.h), so the static baseline's instance gets the very tensor the
  // model's made of the same ground truth, and its repeated conditioning frame one tensor per
  // sample (what SSIM's moments and LPIPS's features are kept by).
  torch::Tensor Prepared(const torch::Tensor& batch, const std::vector<int64_t>& rows) const {
    static TensorMemo<torch::Tensor> memo(8);
    std::string tag = std::to_string(resize_short_);
    for (int64_t r : rows) tag += "," + std::to_string(r);
    return memo.Get(
        batch,
        [&] {
          const auto b =
              batch.index_select(0, torch::tensor(rows, torch::kInt64).to(batch.device()));
          if (resize_short_ <= 0) return b;
          std::vector<torch::Tensor> frames;
          for (int64_t i = 0; i < b.size(0); ++i) frames.push_back(ResizeShort(b[i]));
          return torch::stack(frames);
        },
        tag);
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
      if (static_cast<size_t>(i) < c.screen_text.size())
        sub.screen_text.push_back(c.screen_text[static_cast<size_t>(i)]);
    }
    if (rows.empty()) return out;
    const auto res = base_->ObserveFrames(Prepared(gen, rows), Prepared(gt, rows), sub);
    for (size_t j = 0; j < rows.size() && j < res.size(); ++j)
      out[static_cast<size_t>(rows[j])] = Suffixed(res[j]);
    return out;
  }
  nlohmann::json EndSample() override {
    if (selected_.empty()) {
      ++excluded_;
      return {{info_.name + "_excluded", empty_reason_}};
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
  nlohmann::json LastSample() const override {  // selected_ is the last sample's until BeginSample
    if (selected_.empty()) return {{"excluded", true}};
    auto base = base_->LastSample();
    return base.is_null() ? base : nlohmann::json{{"base", std::move(base)}};
  }
  MetricState StateOfSample(const nlohmann::json& kept) const override {
    MetricState st;
    if (kept.contains("excluded")) {
      st.Add("samples_excluded", 1);
    } else {
      if (!kept.contains("base"))
        throw Error(info_.name + ": a kept sample has neither \"excluded\" nor \"base\"");
      st = base_->StateOfSample(kept["base"]);
      st.Add("samples_excluded", 0);
    }
    return st;
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
  Selector select_;
  std::string suffix_, option_key_;
  nlohmann::json option_value_;
  std::string empty_reason_;
  int resize_short_ = 0;
  MetricInfo info_;
  std::vector<int64_t> selected_;
  int64_t excluded_ = 0;
  mutable MetricState combined_;
};

}  // namespace

std::unique_ptr<Metric> WithActionWindow(std::unique_ptr<Metric> base, int64_t window,
                                         int64_t offset) {
  const std::string suffix =
      "_+" + std::to_string(window) + (offset == -1 ? "" : "_offset" + std::to_string(offset));
  const std::string reference = "frames f+1..f+" + std::to_string(window) +
                                " after each click/scroll/key event, f = round(tau*fps" +
                                (offset < 0 ? " - " : " + ") + std::to_string(std::abs(offset)) +
                                ") clamped to 0..T (Neural Computers +15 metrics)";
  auto select = [window, offset](const SampleInfo& s) {
    return ActionWindowFrames(s.event_times, s.fps, s.num_frames, window, offset);
  };
  return std::make_unique<SelectedFramesMetric>(
      std::move(base), select, suffix, reference, "action_window",
      nlohmann::json{{"window", window}, {"offset", offset}, {"events", "click, scroll, key"}},
      "no action window inside frames 1..T", 0);
}

std::vector<int64_t> DecodeFrames(double fps, int64_t num_frames, const DecodeOptions& d) {
  std::vector<int64_t> ks;
  for (int64_t j = 1; static_cast<double>(j) / d.fps <= d.max_s + 1e-9; ++j) {
    const auto k = static_cast<int64_t>(std::floor(static_cast<double>(j) * fps / d.fps + 1e-9));
    if (k > num_frames) break;
    if (k >= 1 && (ks.empty() || ks.back() != k)) ks.push_back(k);
  }
  return ks;
}

std::unique_ptr<Metric> WithDecode(std::unique_ptr<Metric> base, const DecodeOptions& d) {
  std::ostringstream ref;
  ref << "GUIWorld decode: " << d.fps << " fps, at most " << d.max_s << " s, short side " << d.size
      << " px (area)";
  const bool paper = d.fps == 3 && d.size == 256 && d.max_s == 5;
  std::ostringstream suffix;
  suffix << "_all";
  if (!paper) suffix << "_" << d.fps << "fps_" << d.size << "px_" << d.max_s << "s";
  auto select = [d](const SampleInfo& s) { return DecodeFrames(s.fps, s.num_frames, d); };
  return std::make_unique<SelectedFramesMetric>(
      std::move(base), select, suffix.str(), ref.str(), "decode",
      nlohmann::json{
          {"fps", d.fps}, {"size", d.size}, {"max_s", d.max_s}, {"resize", "short side, area"}},
      "no decoded frame inside frames 1..T", d.size);
}

}  // namespace ncb
