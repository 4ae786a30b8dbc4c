#include "bench/run/run_plan.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <filesystem>

#include "bench/run/intervals.h"
#include "core/errors.h"
#include "core/hashing.h"
#include "metrics/baselines/static_baseline.h"
#include "probes/probe.h"

namespace ncb {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void CheckOptions(const EvalOptions& opt) {
  if (opt.batch_size < 1) throw Error("--batch-size must be at least 1");
  if (opt.warmup_steps < 0) throw Error("--warmup-steps must be at least 0");
  if (opt.threads < 0) throw Error("--threads must be at least 0");
  if (opt.metric_batch < 0) throw Error("--metric-batch must be at least 0");
  if (opt.baselines != "static" && opt.baselines != "none")
    throw Error("--baselines " + opt.baselines + ": expected static or none");
  if (opt.shard_count < 1 || opt.shard_index < 1 || opt.shard_index > opt.shard_count) {
    throw Error("--shard " + std::to_string(opt.shard_index) + "/" +
                std::to_string(opt.shard_count) + ": expected i/N with 1 <= i <= N");
  }
  // Metrics and probes first: an unknown name should fail before minutes of model loading.
  for (const auto& [name, o] : opt.metric_options) {
    if (std::find(opt.metrics.begin(), opt.metrics.end(), name) == opt.metrics.end()) {
      throw Error("options were given for metric '" + name + "', which is not in --metrics");
    }
  }
  const auto probe_names = ProbeNames();
  for (const auto& entry : opt.probe_options) {
    if (std::find(probe_names.begin(), probe_names.end(), entry.first) == probe_names.end())
      throw Error("options were given for an unknown probe '" + entry.first + "'");
  }
}

// One instance of metric `name`, with its static baseline unless --baselines none.
std::unique_ptr<Metric> MakeMetric(const EvalOptions& opt, const RunPlan& plan,
                                   const std::string& name) {
  auto m = CreateMetric(name, plan.OptionsOf(name), plan.env);
  if (opt.baselines == "none") return m;
  return WithStaticBaseline(std::move(m), CreateMetric(name, plan.OptionsOf(name), plan.env));
}

// Slot 0's metrics. A metric whose weights or detector file is missing is reported
// unavailable, with the reason; every other metric still runs.
void MakeFirstSlot(const EvalOptions& opt, const Logger& log, RunPlan* plan) {
  plan->metric_slots.resize(1);
  for (const auto& name : opt.metrics) {
    try {
      plan->metric_slots[0].push_back(MakeMetric(opt, *plan, name));
      plan->metrics.push_back(name);
    } catch (const MissingError& e) {
      log(LogLevel::kWarning, std::string("metric ") + name + " is unavailable: " + e.what());
      plan->unavailable[name] = e.what();
    }
  }
}

// config.metrics: each running metric's descriptor, options and the request it came from.
json MetricConfig(const RunPlan& plan) {
  json config = json::array();
  for (size_t i = 0; i < plan.metrics.size(); ++i) {
    const Metric& m = *plan.metric_slots[0][i];
    config.push_back(
        {{"name", m.info().name},
         {"version", m.info().version},
         {"unit", m.info().unit},
         {"direction", m.info().direction},
         {"scope", m.info().scope},
         {"reference", m.info().reference},
         {"options", m.options()},
         {"requested", {{"name", plan.metrics[i]}, {"options", plan.OptionsOf(plan.metrics[i])}}}});
    if (const auto p = m.preprocessing(); !p.is_null()) config.back()["preprocessing"] = p;
    if (auto k = m.incidental_options(); !k.empty()) config.back()["incidental_options"] = k;
    config.back()["outputs"] = DescribeOutputs(m);
    config.back()["capabilities"] = {{"batchable", m.batchable()},
                                     {"device_kernels", m.device_kernels()}};
    if (const auto v = DescribeViews(m); !v.empty()) config.back()["views"] = v;
  }
  return config;
}

json DescribeBaselines(const std::string& baselines) {
  if (baselines == "none") return json::array();
  return {{{"name", "static"},
           {"frames", "the conditioning frame, repeated for k = 1..T (no model call)"},
           {"keys",
            "KEY_static: the baseline's score; KEY_skill = (KEY - KEY_static) / (ideal - "
            "KEY_static), ideal 0 for lower-is-better keys, else 1; KEY_gain = KEY - KEY_static "
            "for keys in dB"},
           {"state", std::string("under \"") + kStaticStatePrefix + "\" keys of metric_states"}}};
}

json ConfigBlock(const EvalOptions& opt, const RunPlan& plan) {
  const NcSpec& spec = plan.checkpoint->spec();
  const AlignOptions& align = plan.align;
  json intervals = DescribeBootstrap(opt.bootstrap);
  intervals["seed"] = "run seed + fnv1a64(metric name)";
  return {
      {"metrics", MetricConfig(plan)},
      {"alignment",
       {{"fps", spec.fps},
        {"fps_resample", "nearest-earlier: floor(k * src_fps / ckpt_fps)"},
        {"height", spec.height},
        {"width", spec.width},
        {"resize", align.resize},
        {"generated_frame_k_vs_ground_truth_frame_k", "k = 1..T, frame 0 conditions the model"}}},
      {"caption_style", align.caption_style},
      {"max_frames", align.max_frames},
      {"max_samples", opt.max_samples},
      {"batch_size", plan.batch_size},
      {"rollout_mode", RolloutModeName(opt.mode)},
      {"warmup_steps", opt.warmup_steps},
      {"seed_rule", "(seed + fnv1a64(sample id)) mod 2^31"},
      {"intervals", intervals},
      {"baselines", DescribeBaselines(opt.baselines)},
      {"strip_frames", opt.strip_frames},
      {"render", {{"font_px", align.render.font_px}, {"theme", align.render.theme}}}};
}

// The report's blocks the plan decides (RunPlan::head).
RunReport ReportHead(const EvalOptions& opt, const RunPlan& plan) {
  RunReport head;
  head.context = {{"seed", opt.seed}};
  head.checkpoint = plan.checkpoint->Describe();
  head.dataset = {
      {"manifest", opt.manifest},
      {"sha256", plan.manifest_sha},
      {"samples_in_manifest", plan.manifest.samples.size() + plan.manifest.errors.size()}};
  head.config = ConfigBlock(opt, plan);
  head.metrics_unavailable = plan.unavailable;
  return head;
}

}  // namespace

const char* RolloutModeName(RolloutMode m) { return m == RolloutMode::kStep ? "step" : "rollout"; }

json RunPlan::OptionsOf(const std::string& metric) const {
  auto it = metric_options.find(metric);
  return it == metric_options.end() ? json::object() : it->second;
}

RunPlan PlanRun(const EvalOptions& opt, const Logger& log, PhaseTimes* phases) {
  RunPlan plan;
  plan.device = ParseDevice(opt.device);
  CheckOptions(opt);
  plan.metric_batch = static_cast<size_t>(opt.metric_batch > 0    ? opt.metric_batch
                                          : plan.device.is_cuda() ? 1 << 20
                                                                  : 1);
  if (opt.threads > 0) at::set_num_threads(opt.threads);
  ResetPeakDeviceMemory(plan.device);
  plan.manifest_sha = Sha256File(opt.manifest);
  plan.env = MetricEnv{plan.manifest_sha, opt.cache_dir, fs::path(opt.manifest).parent_path()};
  plan.metric_options = opt.metric_options;
  // Probes are made here, so that an unknown name or a bad option fails before the model is
  // loaded.
  for (const auto& p : opt.probes) {
    auto it = opt.probe_options.find(p);
    plan.probes.push_back(
        CreateProbe(p, it == opt.probe_options.end() ? json::object() : it->second));
  }
  MakeFirstSlot(opt, log, &plan);

  {
    ScopedPhase phase(phases, "checkpoint_load");
    plan.checkpoint = OpenCheckpoint(opt.checkpoint, plan.device, opt.checkpoint_options);
    SynchronizeDevice(plan.device);
  }
  const NcSpec& spec = plan.checkpoint->spec();
  log(LogLevel::kInfo, "checkpoint " + spec.name + ": " + std::to_string(spec.width) + "x" +
                           std::to_string(spec.height) + " at " + NumText(spec.fps) + " fps");

  plan.manifest = ReadManifest(opt.manifest);
  plan.align = opt.align;
  plan.align.device = plan.device;
  plan.align.run_seed = opt.seed;
  plan.batch_size = std::min(opt.batch_size, plan.checkpoint->max_batch());
  while (static_cast<int>(plan.metric_slots.size()) < plan.batch_size) {
    std::vector<std::unique_ptr<Metric>> ms;
    for (const auto& name : plan.metrics) ms.push_back(MakeMetric(opt, plan, name));
    plan.metric_slots.push_back(std::move(ms));
  }
  plan.head = ReportHead(opt, plan);
  if (plan.head.checkpoint.value("adapter", "") != "videos") {
    plan.modality = spec.modality;
    for (const auto& p : plan.probes) p->Check(spec);
  }
  plan.identity = {{"run", RunIdentity(plan.head)}, {"shard", {opt.shard_index, opt.shard_count}}};
  plan.run_hash = Sha256Hex(plan.identity.dump());
  return plan;
}

std::vector<const Sample*> SamplesToRun(const RunPlan& plan, const EvalOptions& opt,
                                        const std::map<int, json>& done) {
  std::vector<const Sample*> todo;
  const auto& samples = plan.manifest.samples;
  for (size_t j = 0; j < samples.size(); ++j) {
    if (opt.max_samples > 0 && static_cast<int64_t>(j) >= opt.max_samples) break;
    if (static_cast<int>(j % static_cast<size_t>(opt.shard_count)) == opt.shard_index - 1) {
      if (!done.count(samples[j].line)) todo.push_back(&samples[j]);
    }
  }
  return todo;
}

}  // namespace ncb
