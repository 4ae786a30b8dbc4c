// Stage 2 of `eval` (eval_runner.h): the samples in batches of equal length, rolled out and
// scored frame by frame.
//
// Per batch: each sample is prepared (ground truth opened, first frame, action log), the
// checkpoint rolls the batch out, and every generated frame k is scored against ground-truth
// frame k by each metric. The pipeline: while the model makes frame k, a second thread scores
// frame k-1 and decodes ground-truth frame k (--no-pipeline: in turn); the metrics see the
// same calls in the same order either way. A failure stays with its sample; time lost to the
// model's faults goes to the phase "model_faults". Memory stays flat: the loop holds one frame
// per sample, and gives free heap pages back to the system when RSS grows.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <vector>

#include "bench/run/eval_runner.h"
#include "bench/run/run_plan.h"
#include "bench/run/sample_records.h"
#include "core/logger.h"
#include "core/throughput.h"

namespace ncb {

struct BatchLoopContext {
  const EvalOptions& options;
  RunPlan& plan;
  const Logger& log;
  PhaseTimes* phases;
  SampleRecords* records;
  RunResults* results;
  std::chrono::steady_clock::time_point run_start;  // for the per-sample timeline
  // The counterfactual pass (counterfactual_pass.h): its own metric instances (null: the
  // plan's), and each sample's partner, whose conditioning it is rolled out with (null: none).
  // Without `records`, finished samples go to `results` alone.
  std::vector<std::vector<std::unique_ptr<Metric>>>* metric_slots = nullptr;
  const std::map<int, const Sample*>* partners = nullptr;
};

// Runs `todo` (manifest order) in batches; stops early on Ctrl-C (results->interrupted: the
// batch in flight is dropped) or at the first failure with --fail-fast.
void RunBatches(const BatchLoopContext& context, const std::vector<const Sample*>& todo,
                DeviceTimer* timer);

}  // namespace ncb
