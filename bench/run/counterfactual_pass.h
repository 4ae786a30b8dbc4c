// The run's dataset for the counterfactual probe (probes/counterfactual/probe.h): the samples
// the run scored, and a second pass of the batch loop (batch_loop.h) that rolls them out with
// another sample's conditioning, scored by fresh instances of the run's metrics (no baselines,
// nothing written to samples.jsonl; its time is the probe's phase).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "bench/run/eval_runner.h"
#include "bench/run/run_plan.h"
#include "bench/run/sample_records.h"
#include "core/logger.h"
#include "probes/probe.h"

namespace ncb {

class RunDataset : public DatasetRollouts {
 public:
  RunDataset(const EvalOptions& options, RunPlan& plan, const RunResults& results,
             const Logger& log)
      : options_(options), plan_(plan), results_(results), log_(log) {
    for (const auto& s : plan.manifest.samples) by_line_[s.line] = &s;
  }

  std::vector<nlohmann::json> ScoredSamples() const override;
  const nlohmann::json& MetricConfigs() const override;
  std::map<int, nlohmann::json> RolloutWith(const std::map<int, int>& partner) override;

 private:
  const Sample* SampleAt(int line) const;

  const EvalOptions& options_;
  RunPlan& plan_;
  const RunResults& results_;
  const Logger& log_;
  std::map<int, const Sample*> by_line_;  // the manifest's samples by line
};

}  // namespace ncb
