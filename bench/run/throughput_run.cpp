#include "bench/run/throughput_run.h"

#include <ATen/Parallel.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iomanip>
#include <sstream>

#include "bench/checkpoint/checkpoint.h"
#include "bench/rollout/rollout.h"
#include "bench/run/eval_runner.h"
#include "bench/run/run_plan.h"
#include "core/errors.h"
#include "core/stats.h"
#include "core/throughput.h"
#include "datasets/manifest.h"
#include "reports/markdown_table.h"
#include "reports/report.h"

namespace ncb {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Inputs {
  torch::Tensor first_frame;  // [3,H,W] on the device
  std::string prompt;
  json source;
};

Inputs MakeInputs(const ThroughputOptions& o, const NcSpec& spec, const torch::Device& device) {
  if (!o.manifest.empty()) {
    const Manifest m = ReadManifest(o.manifest);
    if (m.samples.empty())
      throw Error(At(o.manifest, "no valid sample to take the first frame from"));
    AlignOptions align;
    align.device = device;
    align.run_seed = o.seed;
    PreparedSample p = PrepareSample(m.samples[0], spec, align);
    return {p.first_frame,
            p.prompt,
            {{"first_frame", "sample " + m.samples[0].id + " of " + o.manifest},
             {"prompt", p.prompt},
             {"actions", "zeros"}}};
  }
  return {torch::full({3, spec.height, spec.width}, 0.5f, torch::TensorOptions().device(device)),
          "throughput",
          {{"first_frame", "mid-grey (0.5)"}, {"prompt", "throughput"}, {"actions", "zeros"}}};
}

// One timed rollout of T frames; returns its seconds and appends per-call latencies.
double TimedRollout(Checkpoint& ckpt, const RolloutRequest& r, RolloutMode mode, DeviceTimer& timer,
                    std::vector<double>* latency) {
  double total = 0;
  timer.Start();
  auto stream = ckpt.Rollout(r, mode);
  const double start = timer.StopSeconds();
  total += start;
  if (mode == RolloutMode::kRollout && latency) latency->push_back(start);
  for (int64_t k = 0; k < r.num_frames; ++k) {
    timer.Start();
    auto f = stream->Next();
    const double dt = timer.StopSeconds();
    total += dt;
    if (!f)
      throw ContractError("stream ended after " + std::to_string(k) + " of " +
                          std::to_string(r.num_frames) + " frames");
    if (mode == RolloutMode::kStep && latency) latency->push_back(dt);
  }
  return total;
}

void CheckOptions(const ThroughputOptions& o) {
  if (o.frames < 1) throw Error("--frames must be at least 1");
  if (o.repeats < 1) throw Error("--repeats must be at least 1");
  if (o.batch_sizes.empty()) throw Error("--batch-sizes: give at least one");
  for (int b : o.batch_sizes) {
    if (b < 1)
      throw Error("--batch-sizes: " + std::to_string(b) + " is not a batch size (expected >= 1)");
  }
}

// One row of the sweep: batch size `b` in `mode`, a warm-up and `repeats` timed rollouts. An
// error (out of memory, a contract error) is the row's, and the sweep goes on.
json SweepRow(const ThroughputOptions& o, Checkpoint& ckpt, const Inputs& in, int b,
              RolloutMode mode, DeviceTimer& timer, PhaseTimes* phases, const Logger& log) {
  const NcSpec& spec = ckpt.spec();
  const torch::Device device = in.first_frame.device();
  const std::string mode_name = RolloutModeName(mode);
  json row = {{"batch_size", b}, {"mode", mode_name}, {"frames", o.frames}, {"repeats", o.repeats}};
  if (b > ckpt.max_batch()) {
    row["error"] = "the adapter takes batches of at most " + std::to_string(ckpt.max_batch());
    return row;
  }
  try {
    RolloutRequest r;
    for (int i = 0; i < b; ++i) {
      r.ids.push_back("throughput-" + std::to_string(i));
      r.prompts.push_back(in.prompt);
    }
    r.first_frame =
        in.first_frame.unsqueeze(0).expand({b, 3, spec.height, spec.width}).contiguous();
    r.actions = torch::zeros({b, o.frames, spec.action_dim});
    r.num_frames = o.frames;
    r.seed = o.seed;
    ResetPeakDeviceMemory(device);
    {
      ScopedPhase phase(phases, "warmup");
      TimedRollout(ckpt, r, mode, timer, nullptr);
    }
    std::vector<double> seconds, latency;
    {
      ScopedPhase phase(phases, "rollout", static_cast<int64_t>(b) * o.frames * o.repeats);
      for (int rep = 0; rep < o.repeats; ++rep)
        seconds.push_back(TimedRollout(ckpt, r, mode, timer, &latency));
    }
    json fps = json::array();
    std::vector<double> fps_v;
    for (double s : seconds) {
      fps_v.push_back(static_cast<double>(b * o.frames) / s);
      fps.push_back(fps_v.back());
    }
    row["wall_s"] = seconds;
    row["frames_per_s_runs"] = fps;
    row["frames_per_s"] = Quantile(fps_v, 0.5);
    row["latency"] =
        SummarizeLatency(latency, 0, mode == RolloutMode::kStep ? "step" : "rollout_call").ToJson();
    const auto peak = PeakDeviceMemoryBytes(device);
    row["peak_device_mib"] =
        peak ? json(static_cast<double>(*peak) / (1024.0 * 1024.0)) : json(nullptr);
    log(LogLevel::kInfo, "batch " + std::to_string(b) + ", " + mode_name + ": " +
                             Fixed(row["frames_per_s"].get<double>(), 1) + " frames/s");
  } catch (const std::exception& e) {  // c10::Error for out-of-memory, ContractError, ...
    row["error"] = e.what();
    log(LogLevel::kWarning, "batch " + std::to_string(b) + ", " + mode_name + ": " + e.what());
  }
  return row;
}

}  // namespace

RunReport RunThroughput(const ThroughputOptions& o, const Logger& log) {
  const auto t_start = std::chrono::steady_clock::now();
  const torch::Device device = ParseDevice(o.device);
  torch::NoGradGuard no_grad;
  CheckOptions(o);
  if (o.threads > 0) at::set_num_threads(o.threads);
  PhaseTimes phases;
  std::unique_ptr<Checkpoint> ckpt;
  {
    ScopedPhase phase(&phases, "checkpoint_load");
    ckpt = OpenCheckpoint(o.checkpoint, device, o.checkpoint_options);
    SynchronizeDevice(device);
  }
  const Inputs in = MakeInputs(o, ckpt->spec(), device);
  std::vector<RolloutMode> modes = {RolloutMode::kRollout};
  if (ckpt->can_step()) modes.push_back(RolloutMode::kStep);

  DeviceTimer timer(device);
  json sweep = json::array();
  for (int b : o.batch_sizes) {
    for (RolloutMode mode : modes)
      sweep.push_back(SweepRow(o, *ckpt, in, b, mode, timer, &phases, log));
  }

  RunReport report;
  report.kind = RunReport::Kind::kThroughput;
  report.context = MakeContext({o.command_line, device.str(), o.seed});
  report.checkpoint = ckpt->Describe();
  report.config = {
      {"frames", o.frames},
      {"repeats", o.repeats},
      {"batch_sizes", o.batch_sizes},
      {"inputs", in.source},
      {"warmup", "one untimed rollout of the same batch size and mode before the timed ones"},
      {"frames_per_s",
       "batch size x frames / wall time of a whole rollout (init or rollout() "
       "call included), median over repeats"}};
  report.throughput = {{"device", DescribeDevice(device)},
                       {"threads", DescribeThreads()},
                       {"wall_s", SecondsSince(t_start)},
                       {"phases", phases.ToJson()},
                       {"timer", timer.method()},
                       {"sweep", sweep},
                       {"memory", {{"peak_rss_mib", PeakRssMiB()}}}};
  if (!o.out_dir.empty()) WriteJsonAtomic(fs::path(o.out_dir) / "report.json", report.ToJson());
  return report;
}

std::string ThroughputTable(const json& r) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(2);
  const auto& t = r.at("throughput");
  out << "device: " << t["device"].value("name", "?") << " (" << t["device"].value("type", "?")
      << "), " << t["threads"].value("intra_op", 0) << " LibTorch threads; timer "
      << t.value("timer", "?") << "\n\n";
  MarkdownTable table({{"batch", true},
                       {"mode"},
                       {"frames/s", true},
                       {"latency unit"},
                       {"p50 ms", true},
                       {"p95 ms", true},
                       {"p99 ms", true},
                       {"peak device MiB", true}});
  for (const auto& row : t.at("sweep")) {
    const std::string batch = row["batch_size"].dump(), mode = row["mode"].get<std::string>();
    if (row.contains("error")) {
      table.Row({batch, mode, "error: " + row["error"].get<std::string>()});
      continue;
    }
    const auto& l = row["latency"];
    const json& dev = row["peak_device_mib"];
    table.Row({batch, mode, Fixed(row["frames_per_s"].get<double>(), 2),
               l["unit"].get<std::string>(), Fixed(l["p50_ms"].get<double>(), 2),
               Fixed(l["p95_ms"].get<double>(), 2), Fixed(l["p99_ms"].get<double>(), 2),
               dev.is_null() ? "-" : Fixed(dev.get<double>(), 2)});
  }
  out << table.str();
  out << "\npeak host RSS " << t["memory"]["peak_rss_mib"].get<double>() << " MiB\n";
  return out.str();
}

}  // namespace ncb
