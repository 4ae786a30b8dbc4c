#include "bench/run/eval_report.h"

#include <filesystem>

#include "bench/run/counterfactual_pass.h"
#include "bench/run/merge.h"
#include "core/errors.h"
#include "probes/probe.h"
#include "reports/report.h"

namespace ncb {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json HarnessBlock(const EvalOptions& opt, const RunPlan& plan, const RunResults& r,
                  double harness_s, double total_s) {
  json batched = json::array();
  for (size_t i = 0; i < plan.metrics.size(); ++i) {
    if (plan.metric_slots[0][i]->batchable()) batched.push_back(plan.metrics[i]);
  }
  return {
      {"wall_s", harness_s},
      {"share_of_wall", total_s > 0 ? harness_s / total_s : 0.0},
      {"heap_trims", r.heap_trims},
      {"samples_resumed", r.samples_resumed},
      {"pipeline",
       opt.pipeline ? "while the model makes frame k, a second thread scores frame k-1 and decodes "
                      "ground-truth frame k"
                    : "sequential (--no-pipeline)"},
      {"waiting_for_scoring_s", r.scoring_wait_s},
      {"metric_batch", static_cast<int64_t>(std::min<size_t>(
                           plan.metric_batch, static_cast<size_t>(plan.batch_size)))},
      {"batched_metrics", batched}};
}

json ThroughputBlock(const EvalOptions& opt, const RunPlan& plan, const EvalOutcome& o,
                     const PhaseTimes& phases, const DeviceTimer& timer) {
  const RunResults& r = o.results;
  const double total_s = SecondsSince(o.run_start);
  const double rollout_s = phases.Seconds("rollout");
  // The model's time (loading, rolling out, its faults), not the harness's.
  const double model_s =
      rollout_s + phases.Seconds("checkpoint_load") + phases.Seconds("model_faults");
  const auto peak_device = PeakDeviceMemoryBytes(plan.device);
  const bool step = r.run_mode == "step";
  return {
      {"device", DescribeDevice(plan.device)},
      {"threads", DescribeThreads()},
      {"wall_s", total_s},
      {"phases", phases.ToJson()},
      {"rollout",
       {{"mode", r.run_mode.empty() ? json(nullptr) : json(r.run_mode)},
        {"batch_size", plan.batch_size},
        {"frames", r.frames_generated},
        {"frames_scored", r.frames_scored},
        {"wall_s", rollout_s},
        {"frames_per_s", rollout_s > 0 ? static_cast<double>(r.frames_generated) / rollout_s : 0.0},
        {"timer", timer.method()},
        {"latency", SummarizeLatency(r.call_latency, step ? opt.warmup_steps : 1,
                                     step ? "step" : "rollout_call")
                        .ToJson()}}},
      {"harness", HarnessBlock(opt, plan, r, total_s - model_s, total_s)},
      {"memory",
       {{"peak_rss_mib", PeakRssMiB()},
        {"peak_device_mib", peak_device
                                ? json(static_cast<double>(*peak_device) / (1024.0 * 1024.0))
                                : json(nullptr)}}},
      {"timeline", r.sample_timing}};
}

}  // namespace

MetricResults AggregateMetrics(const EvalOptions& opt, const RunPlan& plan, RunResults* results) {
  MetricResults out;
  for (size_t i = 0; i < plan.metrics.size(); ++i) {
    MetricState merged;
    for (const auto& slot : plan.metric_slots) merged.Merge(slot[i]->state());
    merged.Merge(results->resumed_states[i]);
    const auto& m = *plan.metric_slots[0][i];
    std::vector<MetricState> units;  // in manifest order, kept and new samples alike
    for (auto& [line, st] : results->per_sample[i]) units.push_back(std::move(st));
    out.aggregates[m.info().name] = AggregateMetric(m, merged, units, opt.bootstrap, opt.seed);
    out.states[m.info().name] = merged.ToJson();
  }
  return out;
}

ProbeResults RunProbes(const EvalOptions& opt, RunPlan& plan, const RunResults& results,
                       const Logger& log, PhaseTimes* phases) {
  ProbeResults out;
  if (opt.shard_index != 1) return out;  // the probes run in shard 1 only
  const bool interrupted = results.interrupted;
  RunDataset dataset(opt, plan, results, log);
  for (const auto& probe : plan.probes) {
    const std::string& name = probe->name();
    if (interrupted) {
      out.probes[name] = {{"probe", name}, {"error", "not run: the run was interrupted"}};
      continue;
    }
    ScopedPhase phase(phases, "probe:" + name);
    try {
      out.probes[name] =
          probe->Run({*plan.checkpoint, opt.seed, opt.mode, plan.batch_size, log, &dataset});
    } catch (const Error& e) {
      log(LogLevel::kWarning, "probe " + name + ": " + e.what());
      out.probes[name] = {{"probe", name}, {"error", e.what()}};
    }
  }
  return out;
}

RunReport WriteEvalReport(const EvalOptions& opt, const RunPlan& plan, EvalOutcome o,
                          PhaseTimes* phases, const DeviceTimer& timer) {
  RunReport report = plan.head;
  report.context = MakeContext({opt.command_line, plan.device.str(), opt.seed});
  report.checkpoint = plan.checkpoint->Describe();  // after the run: the process's restarts
  for (auto& [line, rec] : o.results.records) report.samples.push_back(std::move(rec));
  report.metric_states = std::move(o.metrics.states);
  report.aggregates = std::move(o.metrics.aggregates);
  report.probes = std::move(o.probes.probes);
  report.Complete();
  if (o.results.interrupted) {
    const size_t errors = opt.shard_index == 1 ? plan.manifest.errors.size() : 0;
    report.summary.interrupted = true;
    report.summary.samples_not_run =
        static_cast<int64_t>(o.results.samples_selected + o.results.samples_resumed + errors) -
        report.summary.samples_total;
  }
  if (opt.shard_count > 1) {
    report.shard = {{"index", opt.shard_index},
                    {"count", opt.shard_count},
                    {"rule",
                     "the j-th sample of the manifest (0-based, after --max-samples) when j mod "
                     "count = index - 1; "
                     "unparsable manifest lines and the probes in shard 1"},
                    {"samples_selected", o.results.samples_selected}};
  }
  // The report's own cost: a first serialisation, timed, stands for the write below.
  json j;
  {
    ScopedPhase phase(phases, "report_write");
    j = report.ToJson();
    (void)j.dump(2, ' ', false, json::error_handler_t::replace);
  }
  report.throughput = ThroughputBlock(opt, plan, o, *phases, timer);
  j["throughput"] = report.throughput;
  WriteJsonAtomic(fs::path(opt.out_dir) / "report.json", j);
  return report;
}

}  // namespace ncb
