#include "bench/run/counterfactual_pass.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>

#include "bench/run/batch_loop.h"
#include "core/errors.h"
#include "core/json_path.h"
#include "core/output_keys.h"
#include "core/throughput.h"

namespace ncb {
using nlohmann::json;

namespace {

constexpr const char* kGivenLog = "_given_log";

// A metric that reads the cursor log, scored against the log the model was given
// (SampleInfo::given_cursor): its keys measured against the log (Metric::cursor_log_keys)
// under KEY_given_log; no per-frame records.
class OnGivenLog : public Metric {
 public:
  explicit OnGivenLog(std::unique_ptr<Metric> inner) : inner_(std::move(inner)) {
    info_ = inner_->info();
    info_.name += kGivenLog;
  }
  const MetricInfo& info() const override { return info_; }
  json options() const override { return inner_->options(); }
  std::vector<std::string> incidental_options() const override {
    return inner_->incidental_options();
  }
  void BeginSample(const SampleInfo& s) override {
    SampleInfo given = s;
    given.cursor = s.given_cursor;
    inner_->BeginSample(given);
  }
  std::vector<json> ObserveFrames(const torch::Tensor& gen, const torch::Tensor& gt,
                                  const FrameContext& ctx) override {
    inner_->ObserveFrames(gen, gt, ctx);
    return std::vector<json>(static_cast<size_t>(gen.size(0)), json::object());
  }
  json EndSample() override {
    json out = json::object();
    const json scores = inner_->EndSample();
    const auto suffixes = inner_->cursor_log_keys();
    for (const auto& [k, v] : scores.items()) {
      const bool on_log = std::any_of(suffixes.begin(), suffixes.end(),
                                      [&](const std::string& s) { return HasKeySuffix(k, s); });
      if (on_log && (v.is_number() || v.is_null())) out[k + kGivenLog] = v;
    }
    return out;
  }
  const MetricState& state() const override { return inner_->state(); }
  json Finalize(const MetricState& st) const override { return inner_->Finalize(st); }

 private:
  std::unique_ptr<Metric> inner_;
  MetricInfo info_;
};

}  // namespace

const Sample* RunDataset::SampleAt(int line) const {
  const auto it = by_line_.find(line);
  return it == by_line_.end() ? nullptr : it->second;
}

std::vector<json> RunDataset::ScoredSamples() const {
  std::vector<json> out;
  for (const auto& [line, rec] : results_.records) {
    const Sample* s = SampleAt(line);
    if (rec.value("status", "") != "ok" || !s) continue;
    out.push_back({{"id", rec["id"]},
                   {"line", line},
                   {"modality", s->modality},
                   {"num_frames", rec.value("num_frames", int64_t{0})},
                   {"scores", ObjectOr(rec, "scores")}});
  }
  return out;
}

const json& RunDataset::MetricConfigs() const { return ArrayOr(plan_.head.config, "metrics"); }

std::map<int, json> RunDataset::RolloutWith(const std::map<int, int>& partner) {
  std::vector<std::vector<std::unique_ptr<Metric>>> slots(static_cast<size_t>(plan_.batch_size));
  for (auto& slot : slots) {
    for (const auto& name : plan_.metrics) {
      auto m = CreateMetric(name, plan_.OptionsOf(name), plan_.env);
      const bool cursor = !m->cursor_log_keys().empty();
      slot.push_back(std::move(m));
      if (cursor)
        slot.push_back(
            std::make_unique<OnGivenLog>(CreateMetric(name, plan_.OptionsOf(name), plan_.env)));
    }
  }
  std::map<int, const Sample*> partners;
  std::vector<const Sample*> todo;
  for (const auto& [line, other] : partner) {
    const Sample* s = SampleAt(line);
    const Sample* p = SampleAt(other);
    if (!s || !p)
      throw Error("counterfactual pass: no manifest sample at line " +
                  std::to_string(s ? other : line));
    partners[line] = p;
    todo.push_back(s);
  }
  RunResults results;
  results.per_sample.resize(slots[0].size());
  PhaseTimes phases;  // the probe's own phase holds the time
  DeviceTimer timer(plan_.device);
  EvalOptions options = options_;
  options.strip_frames = 0;  // the run's strips stay the true rollout's
  RunBatches({options, plan_, log_, &phases, nullptr, &results, std::chrono::steady_clock::now(),
              &slots, &partners},
             todo, &timer);
  for (auto& [line, rec] : results.records) {
    if (rec.value("status", "") != "ok") continue;
    rec["partner"] = SampleAt(partner.at(line))->id;
  }
  return results.records;
}

}  // namespace ncb
