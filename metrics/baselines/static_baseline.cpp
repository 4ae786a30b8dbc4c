#include "metrics/baselines/static_baseline.h"

#include <cmath>
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
    else
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
  json preprocessing() const override { return model_->preprocessing(); }
  std::vector<OutputView> views() const override { return model_->views(); }
  bool batchable() const override { return model_->batchable(); }
  bool device_kernels() const override { return model_->device_kernels(); }
  bool reads_cursor_log() const override { return model_->reads_cursor_log(); }

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
      auto base = bases[0]->ObserveAcross(bases, torch::stack(firsts), gt);
      for (size_t i = 0; i < out.size(); ++i) AddFrame(&out[i], base.at(i));
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
      } catch (const std::exception& e) {
        baseline_error_ = e.what();
      }
    }
    if (!baseline_error_.empty()) scores["static_baseline_error"] = baseline_error_;
    state_ = model_->state();
    state_.Merge(Prefixed(base_->state()));
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
    return a;
  }

 private:
  // The conditioning frame n times; the same tensor for every frame of the sample (metrics
  // keep what they computed of a frame they see again: SSIM's moments).
  const torch::Tensor& Repeated(int64_t n) {
    if (!repeated_.defined() || repeated_.size(0) != n)
      repeated_ = conditioning_.unsqueeze(0).expand({n, -1, -1, -1}).contiguous();
    return repeated_;
  }
  void AddFrame(json* frame, const json& base) const {
    for (const auto& [k, v] : base.items()) {
      if ((v.is_number() || v.is_null()) && Scorable(config_, k)) (*frame)[k + "_static"] = v;
    }
  }
  void AddFrames(std::vector<json>* frames, const std::vector<json>& base) const {
    for (size_t i = 0; i < frames->size() && i < base.size(); ++i) AddFrame(&(*frames)[i], base[i]);
  }

  std::unique_ptr<Metric> model_, base_;
  json config_;
  torch::Tensor conditioning_, repeated_;
  std::string baseline_error_;
  MetricState state_;
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
