// Stages 3 and 4 of `eval` (eval_runner.h): aggregation (each metric's merged state, its
// aggregate and 95% intervals), the probes, and the report itself (docs/report.md).
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>

#include "bench/run/eval_runner.h"
#include "bench/run/run_plan.h"
#include "bench/run/sample_records.h"
#include "core/logger.h"
#include "core/throughput.h"
#include "reports/run_report.h"

namespace ncb {

struct MetricResults {
  nlohmann::json aggregates = nlohmann::json::object();  // by metric name
  nlohmann::json states = nlohmann::json::object();      // the merged sufficient statistics
};

// Every running metric's state merged over the batch slots and the kept samples, its
// aggregate (Finalize) and bootstrap intervals over the samples in manifest order.
MetricResults AggregateMetrics(const EvalOptions& options, const RunPlan& plan,
                               RunResults* results);

struct ProbeResults {
  nlohmann::json probes = nlohmann::json::object();  // by probe name
};

// The probes (shard 1 only): the same checkpoint rolled out from prompts ncbench makes, or
// (counterfactual) the run's own scored samples again, with another sample's conditioning.
// A probe that cannot run, or did not because the run was interrupted, records its error.
ProbeResults RunProbes(const EvalOptions& options, RunPlan& plan, const RunResults& results,
                       const Logger& log, PhaseTimes* phases);

struct EvalOutcome {
  RunResults results;
  MetricResults metrics;
  ProbeResults probes;
  std::chrono::steady_clock::time_point run_start;
};

// The report of the run (the plan's head completed), written to OUT/report.json and returned.
RunReport WriteEvalReport(const EvalOptions& options, const RunPlan& plan, EvalOutcome outcome,
                          PhaseTimes* phases, const DeviceTimer& timer);

}  // namespace ncb
