// Stage 1 of `eval` (eval_runner.h): everything a run decides before its first rollout. The
// options are checked, the metrics made (those whose weights are missing are set aside as
// unavailable), the checkpoint opened, the manifest read, and the run's identity computed
// once (RunIdentity, reports/run_report.h, over the report blocks the plan fills): the hash
// every samples.jsonl line carries and --resume compares.
#pragma once

#include <torch/types.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/checkpoint/checkpoint.h"
#include "bench/rollout/rollout.h"
#include "bench/run/eval_runner.h"
#include "core/logger.h"
#include "core/throughput.h"
#include "datasets/manifest.h"
#include "metrics/metric.h"
#include "probes/probe.h"
#include "reports/run_report.h"

namespace ncb {

struct RunPlan {
  torch::Device device = torch::kCPU;
  std::unique_ptr<Checkpoint> checkpoint;
  Manifest manifest;
  std::string manifest_sha;
  MetricEnv env;
  std::vector<std::string> metrics;                       // the metrics that run, as requested
  nlohmann::json unavailable = nlohmann::json::object();  // the others: name -> why
  std::map<std::string, nlohmann::json> metric_options;   // as given, by requested name
  // One instance of every running metric per batch slot; slot 0's describe them.
  std::vector<std::vector<std::unique_ptr<Metric>>> metric_slots;
  AlignOptions align;       // device and run seed filled in
  int batch_size = 1;       // --batch-size, capped by the checkpoint's max_batch
  size_t metric_batch = 1;  // samples per call of a batchable metric
  // The report's blocks decided before the first rollout: checkpoint, dataset, config (the
  // metrics' descriptors and options, alignment, ...), context.seed, metrics_unavailable.
  RunReport head;
  // The modality every sample must have: the checkpoint's ("" for a videos: replay, which
  // plays back footage of either).
  std::string modality;
  // RunIdentity(head) with the shard ({"run", "shard": [index, count]}), and its sha256.
  nlohmann::json identity;
  std::string run_hash;

  // The requested probes, in order, made from their options before the checkpoint is loaded
  // and checked against its spec after (Probe::Check); RunProbes runs these.
  std::vector<std::unique_ptr<Probe>> probes;

  // The options given for `metric` ({} when none).
  nlohmann::json OptionsOf(const std::string& metric) const;
};

// Checks the options, makes the metrics, opens the checkpoint (phase "checkpoint_load") and
// reads the manifest. Throws Error for run-level problems: a bad option, an unknown metric or
// probe, a checkpoint that cannot be opened.
RunPlan PlanRun(const EvalOptions& options, const Logger& log, PhaseTimes* phases);

// "rollout" or "step": the mode's name in the report and in the run's identity.
const char* RolloutModeName(RolloutMode mode);

// The manifest samples this shard scores, in manifest order, after --max-samples, less the
// manifest lines `done` holds already (--resume).
std::vector<const Sample*> SamplesToRun(const RunPlan& plan, const EvalOptions& options,
                                        const std::map<int, nlohmann::json>& done);

}  // namespace ncb
