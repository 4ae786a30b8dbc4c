// `ncbench eval` as a composition of its stages (eval_runner.h):
//   1. the plan (run_plan.h): options checked, metrics made, checkpoint opened, manifest read,
//      the run's identity computed;
//   2. the samples' records (sample_records.h): samples.jsonl, and what --resume keeps of it;
//   3. the batch loop (batch_loop.h): rollout and pipelined scoring;
//   4. aggregation, probes and the report (eval_report.h).
#include "bench/run/eval_runner.h"

#include <torch/cuda.h>
#include <torch/types.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "bench/run/batch_loop.h"
#include "bench/run/eval_report.h"
#include "bench/run/run_plan.h"
#include "bench/run/sample_records.h"
#include "core/errors.h"

namespace ncb {
namespace fs = std::filesystem;
using nlohmann::json;

torch::Device ParseDevice(const std::string& name) {
  torch::Device d(torch::kCPU);
  try {
    d = torch::Device(name);
  } catch (const c10::Error&) {
    throw Error("device '" + name + "'; expected cpu, cuda or cuda:N");
  }
  if (d.is_cuda() && !torch::cuda::is_available()) {
    throw Error("device '" + name +
                "' asked for, but this LibTorch sees no CUDA device "
                "(a CPU build, or no GPU on this machine)");
  }
  if (d.is_cuda() && d.has_index()) {  // CUDA is asked about on CUDA runs only
    const auto n = static_cast<int64_t>(torch::cuda::device_count());
    if (d.index() >= n) {
      throw Error("device '" + name + "' asked for, but this machine has " + std::to_string(n) +
                  " CUDA device" +
                  (n == 1 ? " (cuda:0)" : "s (cuda:0 to cuda:" + std::to_string(n - 1) + ")"));
    }
  }
  return d;
}

std::string DefaultCacheDir() {
  if (const char* d = std::getenv("NCBENCH_CACHE_DIR"); d && *d) return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d)
    return (fs::path(d) / "ncbench").string();
  if (const char* d = std::getenv("HOME"); d && *d)
    return (fs::path(d) / ".cache" / "ncbench").string();
  return "";
}

RunReport RunEval(const EvalOptions& opt, const Logger& log) {
  EvalOutcome out;
  out.run_start = std::chrono::steady_clock::now();
  torch::NoGradGuard no_grad;
  PhaseTimes phases;
  RunPlan plan = PlanRun(opt, log, &phases);

  const fs::path jsonl = fs::path(opt.out_dir) / "samples.jsonl";
  SampleRecords records(jsonl, plan.identity, plan.run_hash, opt.resume, log);
  RunResults& results = out.results;
  results.per_sample.resize(plan.metrics.size());
  results.resumed_states.resize(plan.metrics.size());
  if (opt.shard_index == 1)
    AddManifestErrors(plan.manifest, &results);  // unparsable lines go with shard 1
  AddKeptSamples(plan, records, jsonl.string(), &results);

  const std::vector<const Sample*> todo = SamplesToRun(plan, opt, records.kept());
  results.samples_selected = todo.size();
  DeviceTimer timer(plan.device);
  RunBatches({opt, plan, log, &phases, &records, &results, out.run_start, nullptr, nullptr}, todo,
             &timer);

  {
    ScopedPhase phase(&phases, "aggregate");
    out.metrics = AggregateMetrics(opt, plan, &results);
  }
  out.probes = RunProbes(opt, plan, results, log, &phases);
  return WriteEvalReport(opt, plan, std::move(out), &phases, timer);
}

}  // namespace ncb
