#include "metrics/baselines/static_baseline.h"

#include <cmath>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/errors.h"
#include "core/output_keys.h"

namespace ncb {
using nlohmann::json;

namespace {

// A quantity with a direction: what a baseline and a skill mean something for.
bool Scorable(const json& config, const std::string& key) {
  if (!BaselineKeyBase(key).empty() || key.find("_null_reason") != std::string::npos) return false;
  return DescribeKeyOf(config, key).directed();
}

// State keys of the paired per-frame gain of dB key K: the sum of the samples' gains and their
// number (beside the model's keys; the baseline's own keys are under "static:").
constexpr const char* kPairedPrefix = "paired_gain:";
std::string PairedSumKey(const std::string& key) { return kPairedPrefix + key + ":sum"; }
std::string PairedSamplesKey(const std::string& key) { return kPairedPrefix + key + ":samples"; }
constexpr const char* kNoPairedFrame =
    "no frame where both the model and the static baseline have a finite value (the baseline "
    "reproduces every frame exactly, or the model does)";

void PutSkill(json* scores, const std::string& key, const KeyInfo& info, double m, double b) {
  if (info.kind == "dB") {
    (*scores)[key + "_gain"] = m - b;
    return;
  }
  const double ideal = info.direction == "lower_is_better" ? 0.0 : 1.0;
  if (std::abs(ideal - b) < 1e-12) {
    (*scores)[key + "_skill"] = nullptr;
    (*scores)[key + "_skill_null_reason"] =
        "the static baseline already scores the ideal value (nothing to compute)";
  } else {
    (*scores)[key + "_skill"] = m == b ? 0.0 : (m - b) / (ideal - b);
  }
}

MetricState Prefixed(const MetricState& s) {
  MetricState out;
  for (const auto& [k, v] : s.sums) out.sums[kStaticStatePrefix + k] = v;
  for (const auto& [k, v] : s.arrays) out.arrays[kStaticStatePrefix + k] = v;
  return out;
}

// The model's part of a combined state, and the baseline's (prefix removed).
std::pair<MetricState, MetricState> Split(const MetricState& s) {
  const std::string p = kStaticStatePrefix;
  std::pair<MetricState, MetricState> out;
  for (const auto& [k, v] : s.sums) {
    if (k.rfind(p, 0) == 0)
      out.second.sums[k.substr(p.size())] = v;
    else if (k.rfind(kPairedPrefix, 0) != 0)
      out.first.sums[k] = v;
  }
  for (const auto& [k, v] : s.arrays) {
    if (k.rfind(p, 0) == 0)
      out.second.arrays[k.substr(p.size())] = v;
    else
      out.first.arrays[k] = v;
  }
  return out;
}

class StaticBaselined : public Metric {
 public:
  StaticBaselined(std::unique_ptr<Metric> model, std::unique_ptr<Metric> baseline)
      : model_(std::move(model)), base_(std::move(baseline)) {
    config_ = {{"name", model_->info().name},
               {"unit", model_->info().unit},
               {"direction", model_->info().direction},
               {"outputs", DescribeOutputs(*model_)}};
  }

  const MetricInfo& info() const override { return model_->info(); }
  json options() const override { return model_->options(); }
  std::vector<std::string> incidental_options() const override {
    return model_->incidental_options();
  }
  json preprocessing() const override { return model_->preprocessing(); }
  std::vector<OutputView> views() const override { return model_->views(); }
  bool batchable() const override { return model_->batchable(); }
  bool device_kernels() const override { return model_->device_kernels(); }
  std::vector<std::string> cursor_log_keys() const override { return model_->cursor_log_keys(); }

  // The model's descriptors, each quantity again as KEY_static, and the skill keys.
  std::vector<OutputKey> outputs() const override {
    std::vector<OutputKey> keys = model_->outputs();
    for (const auto& k : model_->outputs()) {
      if (k.kind != "count" && k.kind != "note" && !k.direction.empty())
        keys.push_back({k.key + "_static", k.kind, k.direction, false});
    }
    keys.push_back({"*_skill", "ratio", "higher_is_better", false});
    keys.push_back({"*_gain", "dB", "higher_is_better", false});
    return keys;
  }

  void BeginSample(const SampleInfo& s) override {
    if (!s.conditioning.defined()) {
      throw Error("metric " + info().name + ", sample " + s.id +
                  ": the static baseline needs the sample's conditioning frame");
    }
    conditioning_ = s.conditioning;
    repeated_ = torch::Tensor();
    baseline_error_.clear();
    paired_.clear();
    model_->BeginSample(s);
    base_->BeginSample(s);
  }

  std::vector<json> ObserveFrames(const torch::Tensor& gen, const torch::Tensor& gt,
                                  const FrameContext& ctx) override {
    auto out = model_->ObserveFrames(gen, gt, ctx);
    if (baseline_error_.empty()) {
      try {
        AddFrames(&out, base_->ObserveFrames(Repeated(gen.size(0)), gt, ctx));
      } catch (const std::exception& e) {
        baseline_error_ = e.what();
      }
    }
    return out;
  }

  std::vector<json> ObserveAcross(const std::vector<Metric*>& instances, const torch::Tensor& gen,
                                  const torch::Tensor& gt) override {
    std::vector<Metric*> models, bases;
    std::vector<torch::Tensor> firsts;
    for (Metric* m : instances) {
      auto* d = static_cast<StaticBaselined*>(m);
      models.push_back(d->model_.get());
      bases.push_back(d->base_.get());
      firsts.push_back(d->conditioning_);
    }
    // The model's frames first: when they throw, no state has changed (the caller then scores
    // one sample at a time). The baseline's frames are ground truth; should they fail, the
    // baseline is lost for these samples, never the model's scores.
    auto out = models[0]->ObserveAcross(models, gen, gt);
    try {
      auto base = bases[0]->ObserveAcross(bases, StackedFirsts(firsts), gt);
      for (size_t i = 0; i < out.size(); ++i)
        static_cast<StaticBaselined*>(instances[i])->AddFrame(&out[i], base.at(i));
    } catch (const std::exception& e) {
      for (Metric* m : instances) static_cast<StaticBaselined*>(m)->baseline_error_ = e.what();
    }
    return out;
  }

  json EndSample() override {
    json scores = model_->EndSample();
    if (baseline_error_.empty()) {
      try {
        const json base = base_->EndSample();
        AddSkillScores(&scores, base, config_);
        AddPairedGains(&scores);
      } catch (const std::exception& e) {
        baseline_error_ = e.what();
      }
    }
    if (!baseline_error_.empty()) scores["static_baseline_error"] = baseline_error_;
    state_ = model_->state();
    state_.Merge(Prefixed(base_->state()));
    state_.Merge(paired_sums_);
    return scores;
  }

  // The model's record with the baseline's beside it, under "static".
  json LastSample() const override {
    json m = model_->LastSample();
    if (m.is_object()) m["static"] = base_->LastSample();
    return m;
  }
  MetricState StateOfSample(const json& kept) const override {
    json model = kept, base = nullptr;
    if (kept.is_object() && kept.contains("static")) {
      base = kept["static"];
      model.erase("static");
    }
    MetricState s = model_->StateOfSample(model);
    if (!base.is_null()) s.Merge(Prefixed(base_->StateOfSample(base)));
    return s;
  }

  const MetricState& state() const override { return state_; }

  json Finalize(const MetricState& state) const override {
    const auto [model, base] = Split(state);
    json a = model_->Finalize(model);
    if (!base.sums.empty() || !base.arrays.empty())
      AddSkillScores(&a, base_->Finalize(base), config_);
    // A per-frame dB key's gain: the mean of the samples' paired gains (see AddPairedGains).
    for (const auto& [k, v] : state.sums) {
      const std::string p = kPairedPrefix, s = ":sum";
      if (k.rfind(p, 0) != 0 || !HasKeySuffix(k, s)) continue;
      const std::string key = k.substr(p.size(), k.size() - p.size() - s.size());
      if (!a.contains(key + "_gain")) continue;
      a.erase(key + "_gain_null_reason");
      PutRatio(&a, key + "_gain", v, state.Get(PairedSamplesKey(key)), kNoPairedFrame);
    }
    return a;
  }

 private:
  // The batch's conditioning frames stacked: the same tensor while the batch's samples are the
  // same (what metrics keep their work on a frame by: SSIM's moments, LPIPS's features).
  static torch::Tensor StackedFirsts(const std::vector<torch::Tensor>& firsts) {
    static std::mutex mu;
    static std::vector<torch::Tensor> last;  // held: their storage cannot be another frame's
    static std::vector<int64_t> versions;    // and their in-place write counts then
    static torch::Tensor stacked;
    std::lock_guard lock(mu);
    bool same = last.size() == firsts.size();
    for (size_t i = 0; same && i < firsts.size(); ++i)
      same = last[i].data_ptr() == firsts[i].data_ptr() && last[i].sizes() == firsts[i].sizes() &&
             versions[i] == firsts[i]._version();
    if (!same) {
      last = firsts;
      versions.clear();
      for (const auto& f : firsts) versions.push_back(f._version());
      stacked = torch::stack(firsts);
    }
    return stacked;
  }
  // The conditioning frame n times; the same tensor for every frame of the sample (metrics
  // keep what they computed of a frame they see again: SSIM's moments).
  const torch::Tensor& Repeated(int64_t n) {
    if (!repeated_.defined() || repeated_.size(0) != n)
      repeated_ = conditioning_.unsqueeze(0).expand({n, -1, -1, -1}).contiguous();
    return repeated_;
  }
  // The baseline's frame record beside the model's; for dB keys also the frame's paired gain.
  void AddFrame(json* frame, const json& base) {
    for (const auto& [k, v] : base.items()) {
      if (!(v.is_number() || v.is_null())) continue;
      const KeyInfo* info = Describe(k);
      if (info == nullptr) continue;
      (*frame)[k + "_static"] = v;
      if (info->kind != "dB") continue;
      auto& p = paired_[k];
      const auto m = frame->find(k);
      if (v.is_number() && m != frame->end() && m->is_number()) {
        p.first += m->get<double>() - v.get<double>();
        p.second += 1;
      }
    }
  }
  // The descriptor of a scorable frame key (null otherwise), looked up once per key.
  const KeyInfo* Describe(const std::string& key) {
    auto it = described_.find(key);
    if (it == described_.end()) {
      std::optional<KeyInfo> info;
      if (Scorable(config_, key)) info = DescribeKeyOf(config_, key);
      it = described_.emplace(key, info).first;
    }
    return it->second ? &*it->second : nullptr;
  }
  // K_gain of a dB key K that the frames carry (PSNR): the mean over the frames where both
  // the model and the baseline are finite of the frame's gain, not K - K_static. A frame the
  // baseline reproduces exactly has no finite PSNR; leaving it out of the baseline's mean but
  // not the model's would bias the difference of means upward.
  void AddPairedGains(json* scores) {
    for (const auto& [k, p] : paired_) {
      if (!scores->contains(k + "_gain")) continue;
      scores->erase(k + "_gain_null_reason");
      PutRatio(scores, k + "_gain", p.first, p.second, kNoPairedFrame);
      if (p.second > 0) {
        paired_sums_.Add(PairedSumKey(k), p.first / p.second);
        paired_sums_.Add(PairedSamplesKey(k), 1);
      }
    }
  }
  void AddFrames(std::vector<json>* frames, const std::vector<json>& base) {
    for (size_t i = 0; i < frames->size() && i < base.size(); ++i) AddFrame(&(*frames)[i], base[i]);
  }

  std::unique_ptr<Metric> model_, base_;
  json config_;
  torch::Tensor conditioning_, repeated_;
  std::string baseline_error_;
  std::map<std::string, std::optional<KeyInfo>> described_;
  std::map<std::string, std::pair<double, double>> paired_;  // dB key: the sample's gain sum, n
  MetricState paired_sums_, state_;                          // paired_sums_: the run's paired gains
};

}  // namespace

void AddSkillScores(json* scores, const json& baseline, const json& metric_config) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : scores->items()) {
    if ((v.is_number() || v.is_null()) && baseline.contains(k) && Scorable(metric_config, k))
      keys.push_back(k);
  }
  for (const auto& key : keys) {
    const json& b = baseline[key];
    const json m = (*scores)[key];
    (*scores)[key + "_static"] = b;
    const KeyInfo info = DescribeKeyOf(metric_config, key);
    const std::string derived = key + (info.kind == "dB" ? "_gain" : "_skill");
    if (!b.is_number() || !m.is_number()) {
      if (!b.is_number())
        (*scores)[key + "_static_null_reason"] = baseline.value(key + "_null_reason", "");
      (*scores)[derived] = nullptr;
      (*scores)[derived + "_null_reason"] =
          !m.is_number() ? "the model's score is undefined" : "the baseline's score is undefined";
      continue;
    }
    PutSkill(scores, key, info, m.get<double>(), b.get<double>());
  }
}

std::unique_ptr<Metric> WithStaticBaseline(std::unique_ptr<Metric> model,
                                           std::unique_ptr<Metric> baseline) {
  return std::make_unique<StaticBaselined>(std::move(model), std::move(baseline));
}

}  // namespace ncb
