#include "bench/run/eval_runner.h"

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <malloc.h>
#include <future>

#include "bench/core/errors.h"
#include "bench/core/frame.h"
#include "bench/core/hashing.h"
#include "bench/core/interrupt.h"
#include "bench/run/merge.h"
#include "bench/throughput/throughput.h"
#include "datasets/manifest.h"
#include "metrics/metric.h"
#include "reports/frame_strip.h"
#include "reports/report.h"

namespace ncb {
namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

torch::Device ParseDevice(const std::string& name) {
  torch::Device d(torch::kCPU);
  try {
    d = torch::Device(name);
  } catch (const c10::Error&) {
    throw Error("device '" + name + "'; expected cpu, cuda or cuda:N");
  }
  if (d.is_cuda() && !torch::cuda::is_available()) {
    throw Error("device '" + name + "' asked for, but this LibTorch sees no CUDA device "
                "(a CPU build, or no GPU on this machine)");
  }
  return d;
}

std::string DefaultCacheDir() {
  if (const char* d = std::getenv("NCBENCH_CACHE_DIR"); d && *d) return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d) return (fs::path(d) / "ncbench").string();
  if (const char* d = std::getenv("HOME"); d && *d) return (fs::path(d) / ".cache" / "ncbench").string();
  return "";
}

namespace {

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

const char* ModeName(RolloutMode m) {
  switch (m) {
    case RolloutMode::kRollout: return "rollout";
    case RolloutMode::kStep: return "step";
  }
  return "?";
}

// One batch slot: a prepared sample and its own metric instances.
struct Slot {
  PreparedSample prepared;
  std::vector<json> frames;
  std::vector<int64_t> strip_ks;
  FrameStrip strip;
  bool failed = false;
  json record;
};

constexpr double kRssSlackMiB = 24;
constexpr int64_t kWarmBatches = 4;

// The finished samples of an earlier run in samples.jsonl, by manifest line: its "ok" lines
// of run `run_hash` (failed samples are tried again). A line that does not parse is the one
// a kill cut short, and is dropped; a line of another run stops the run.
std::map<int, json> ReadFinishedSamples(const fs::path& path, const std::string& run_hash) {
  std::map<int, json> out;
  std::ifstream in(path);
  if (!in) return out;  // nothing to resume: a fresh run
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    json rec = json::parse(line, nullptr, false);
    if (rec.is_discarded() || !rec.is_object()) continue;
    if (!rec.contains("run") || rec["run"] != run_hash) {
      throw Error(At(path.string() + ":" + std::to_string(n),
                     "is a sample of another run (another checkpoint, dataset, metric, option or seed); "
                     "--resume continues only the same run: use another --out, or drop --resume to start over"));
    }
    if (rec.value("status", "") == "ok" && rec.contains("line") && rec["line"].is_number_integer()) {
      const int at = rec["line"].get<int>();  // before the move: json's operator= takes its argument by value
      out[at] = std::move(rec);
    }
  }
  return out;
}

json ErrorRecord(const std::string& id, const std::string& stage, const std::string& message) {
  return {{"id", id}, {"status", "error"}, {"stage", stage}, {"error", message}};
}

}  // namespace

json RunEval(const EvalOptions& opt, const Logger& log) {
  const auto t_start = Clock::now();
  const torch::Device device = ParseDevice(opt.device);
  torch::NoGradGuard no_grad;
  if (opt.batch_size < 1) throw Error("--batch-size must be at least 1");
  if (opt.warmup_steps < 0) throw Error("--warmup-steps must be at least 0");
  if (opt.threads < 0) throw Error("--threads must be at least 0");
  if (opt.metric_batch < 0) throw Error("--metric-batch must be at least 0");
  if (opt.shard_count < 1 || opt.shard_index < 1 || opt.shard_index > opt.shard_count) {
    throw Error("--shard " + std::to_string(opt.shard_index) + "/" + std::to_string(opt.shard_count) +
                ": expected i/N with 1 <= i <= N");
  }
  const size_t metric_batch = static_cast<size_t>(opt.metric_batch > 0 ? opt.metric_batch : device.is_cuda() ? 1 << 20 : 1);
  if (opt.threads > 0) at::set_num_threads(opt.threads);
  ResetPeakDeviceMemory(device);
  PhaseTimes phases;

  // Metrics and probes first: an unknown name should fail before minutes of model loading.
  for (const auto& [name, o] : opt.metric_options) {
    if (std::find(opt.metrics.begin(), opt.metrics.end(), name) == opt.metrics.end()) {
      throw Error("options were given for metric '" + name + "', which is not in --metrics");
    }
  }
  for (const auto& p : opt.probes) {
    if (p != "arithmetic") throw Error("unknown probe '" + p + "'; available: arithmetic");
  }
  const std::string manifest_sha = Sha256File(opt.manifest);
  const MetricEnv env{manifest_sha, opt.cache_dir, fs::path(opt.manifest).parent_path()};
  auto options_of = [&](const std::string& name) {
    auto it = opt.metric_options.find(name);
    return it == opt.metric_options.end() ? nlohmann::json::object() : it->second;
  };
  // A metric whose weights or detector file is missing is reported unavailable, with the
  // reason; every other metric still runs.
  std::vector<std::string> active;
  json unavailable = json::object();
  std::vector<std::vector<std::unique_ptr<Metric>>> metric_slots(1);
  for (const auto& name : opt.metrics) {
    try {
      metric_slots[0].push_back(CreateMetric(name, options_of(name), env));
      active.push_back(name);
    } catch (const MissingError& e) {
      log(LogLevel::kWarning, std::string("metric ") + name + " is unavailable: " + e.what());
      unavailable[name] = e.what();
    }
  }
  auto make_metrics = [&] {
    std::vector<std::unique_ptr<Metric>> ms;
    for (const auto& name : active) ms.push_back(CreateMetric(name, options_of(name), env));
    return ms;
  };

  const auto t_load0 = Clock::now();
  auto ckpt = OpenCheckpoint(opt.checkpoint, device, opt.checkpoint_options);
  SynchronizeDevice(device);
  phases.Add("checkpoint_load", Seconds(t_load0, Clock::now()));
  const NcSpec& spec = ckpt->spec();
  log(LogLevel::kInfo, "checkpoint " + spec.name + ": " + std::to_string(spec.width) + "x" +
                           std::to_string(spec.height) + " at " + NumText(spec.fps) + " fps");

  const Manifest manifest = ReadManifest(opt.manifest);
  AlignOptions align = opt.align;
  align.device = device;
  align.run_seed = opt.seed;
  const int batch_size = std::min(opt.batch_size, ckpt->max_batch());
  while (static_cast<int>(metric_slots.size()) < batch_size) metric_slots.push_back(make_metrics());
  const RolloutMode mode = opt.mode;

  fs::create_directories(opt.out_dir);
  // What a sample's result depends on: samples.jsonl's lines carry its hash, and --resume
  // keeps only lines of the same run.
  json run_key = {{"dataset", manifest_sha}, {"seed", opt.seed}, {"shard", {opt.shard_index, opt.shard_count}},
                  {"mode", ModeName(opt.mode)}, {"max_frames", align.max_frames}, {"resize", align.resize},
                  {"caption_style", align.caption_style}, {"font_px", align.render.font_px},
                  {"theme", align.render.theme}, {"strip_frames", opt.strip_frames}};
  run_key["checkpoint"] = ckpt->Describe();
  if (run_key["checkpoint"].contains("sha256")) run_key["checkpoint"].erase("path");  // the content names it
  run_key["checkpoint"].erase("restarts");   // the process adapter's: not what scores depend on
  run_key["checkpoint"].erase("timeout_s");
  for (const auto& m : metric_slots[0]) {
    run_key["metrics"].push_back({m->info().name, m->info().version, m->options()});
  }
  const std::string run_hash = Sha256Hex(run_key.dump());
  const fs::path jsonl_path = fs::path(opt.out_dir) / "samples.jsonl";
  const std::map<int, json> resumed = opt.resume ? ReadFinishedSamples(jsonl_path, run_hash) : std::map<int, json>{};
  if (!resumed.empty()) {
    log(LogLevel::kInfo, "resuming: " + std::to_string(resumed.size()) + " finished sample(s) kept from " + jsonl_path.string());
  }
  // The kept lines are written again (a line cut short by a kill is dropped), then appended to.
  {
    std::ofstream tmp(jsonl_path.string() + ".tmp", std::ios::trunc);
    for (const auto& [line, rec] : resumed) tmp << rec.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
    if (!tmp) throw Error(At(jsonl_path.string(), "cannot write"));
  }
  fs::rename(jsonl_path.string() + ".tmp", jsonl_path);
  std::ofstream jsonl(jsonl_path, std::ios::app);

  // Records by manifest line, so the report's order is the manifest's whatever the batching.
  std::map<int, json> records;
  // Manifest lines that do not parse belong to shard 1.
  for (const auto& e : opt.shard_index == 1 ? manifest.errors : std::vector<ManifestError>{}) {
    records[e.line] = ErrorRecord(e.id.empty() ? "line " + std::to_string(e.line) : e.id,
                                  "manifest", e.message);
    records[e.line]["line"] = e.line;
  }
  // `kept`: what only samples.jsonl holds (the distribution-level metrics' per-sample records).
  auto finish = [&](int line, json rec, json kept = nullptr) {
    rec["line"] = line;  // the manifest's line: the order of the report, and of merged shards
    json stamped = rec;
    stamped["run"] = run_hash;
    if (!kept.is_null()) stamped["distribution_kept"] = std::move(kept);
    jsonl << stamped.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
    jsonl.flush();
    if (rec["status"] != "ok") log(LogLevel::kWarning, rec["id"].get<std::string>() + ": " + rec["error"].get<std::string>());
    records[line] = std::move(rec);
  };

  // Per metric, each scored sample's own contribution to its state: the bootstrap's units.
  // Distribution-level metrics (FVD) keep no per-sample copies of their feature moments.
  std::vector<std::map<int, MetricState>> per_sample(active.size());  // by manifest line
  std::vector<MetricState> resumed_states(active.size());
  for (const auto& [line, stamped] : resumed) {
    json rec = stamped;
    rec.erase("run");
    const json kept = rec.contains("distribution_kept") ? rec["distribution_kept"] : json::object();
    rec.erase("distribution_kept");
    for (size_t i = 0; i < active.size(); ++i) {
      const Metric& m = *metric_slots[0][i];
      const std::string& name = m.info().name;
      const bool distribution = m.info().scope == "distribution";
      const auto& ms = distribution ? kept : ObjectOr(rec, "metric_states");
      if (!ms.contains(name)) {
        throw Error(At(jsonl_path.string(), "the kept sample " + rec["id"].dump() + " has no " +
                                                (distribution ? "distribution_kept" : "metric state") + " of " + name));
      }
      try {
        const MetricState st = distribution ? m.StateOfSample(ms[name]) : MetricState::FromJson(ms[name]);
        resumed_states[i].Merge(st);
        if (!distribution) per_sample[i][line] = st;
      } catch (const std::exception& e) {
        throw Error(At(jsonl_path.string(), "the kept sample " + rec["id"].dump() + ": " + e.what()));
      }
    }
    records[line] = std::move(rec);
  }
  json sample_timing = json::array();
  DeviceTimer timer(device);
  std::vector<double> call_latency;  // per step() call (step mode) or per rollout() call
  std::string run_mode;
  int64_t frames_scored = 0, frames_generated = 0;
  double scoring_wait_s = 0;  // the rollout loop's waits for the scoring thread
  bool stop = false;
  std::vector<const Sample*> todo;
  for (size_t j = 0; j < manifest.samples.size(); ++j) {
    if (opt.max_samples > 0 && static_cast<int64_t>(j) >= opt.max_samples) break;
    if (static_cast<int>(j % static_cast<size_t>(opt.shard_count)) == opt.shard_index - 1) {
      if (!resumed.count(manifest.samples[j].line)) todo.push_back(&manifest.samples[j]);
    }
  }

  size_t next = 0;
  double rss_floor = 0;
  int64_t batches_done = 0, trims = 0;
  // Ctrl-C (bench/core/interrupt.h): the batch in flight is dropped, what finished is
  // reported, and the report says the run was interrupted.
  bool interrupted = false;
  while (next < todo.size() && !stop && !(interrupted = Interrupted())) {
    // Prepare up to batch_size samples of equal T.
    std::vector<std::unique_ptr<Slot>> slots;
    while (next < todo.size() && static_cast<int>(slots.size()) < batch_size) {
      const Sample& s = *todo[next];
      try {
        ScopedPhase phase(&phases, "ground_truth", 1);  // the first frame, the action log
        auto slot = std::make_unique<Slot>();
        slot->prepared = PrepareSample(s, spec, align);
        if (!slots.empty() && slot->prepared.num_frames != slots[0]->prepared.num_frames) break;
        slots.push_back(std::move(slot));
      } catch (const Error& e) {
        finish(s.line, ErrorRecord(s.id, "ground_truth", e.what()));
        if (opt.fail_fast) stop = true;
      }
      ++next;
    }
    if (slots.empty()) continue;

    std::vector<PreparedSample*> batch;
    for (auto& sl : slots) batch.push_back(&sl->prepared);
    const int64_t T = batch[0]->num_frames;
    for (size_t b = 0; b < slots.size(); ++b) {
      const auto& pr = slots[b]->prepared;
      for (auto& m : metric_slots[b]) m->BeginSample({pr.sample->id, T, pr.event_times, spec.fps, pr.cursor});
      slots[b]->strip_ks = StripFrames(T, opt.strip_frames);
    }
    std::string stream_mode;
    // Ground-truth frame k of every live sample. Errors stay with their sample.
    struct GroundTruth {
      std::vector<torch::Tensor> frames;
      std::vector<std::string> errors;
    };
    auto decode = [&] {
      ScopedPhase phase(&phases, "ground_truth", static_cast<int64_t>(slots.size()));
      GroundTruth gt{std::vector<torch::Tensor>(slots.size()), std::vector<std::string>(slots.size())};
      for (size_t b = 0; b < slots.size(); ++b) {
        if (slots[b]->failed) continue;
        try {
          gt.frames[b] = NextGroundTruthFrame(slots[b]->prepared, spec, align);
        } catch (const Error& e) {
          gt.errors[b] = e.what();
        }
      }
      return gt;
    };
    auto fail = [&](Slot& sl, const std::string& stage, const std::string& message) {
      sl.record = ErrorRecord(sl.prepared.sample->id, stage, message);
      sl.failed = true;
    };
    // Scores generated frame k of every live sample: each metric once over the whole batch
    // where it is batchable (one kernel on the device), else once per sample.
    auto score = [&](int64_t k, const torch::Tensor& gen, const GroundTruth& gt) {
      std::vector<size_t> live;
      for (size_t b = 0; b < slots.size(); ++b) {
        Slot& sl = *slots[b];
        if (sl.failed) continue;
        if (!gt.errors[b].empty()) {
          fail(sl, "ground_truth", gt.errors[b]);
        } else if (auto bad = ValidateFrame(gen[static_cast<int64_t>(b)], spec.height, spec.width)) {
          fail(sl, "rollout", ContractError(At(ckpt->where(), "sample " + sl.prepared.sample->id + ", frame " +
                                                                   std::to_string(k) + ": " + *bad)).what());
        } else {
          live.push_back(b);
        }
      }
      std::vector<json> frames(slots.size(), json{{"index", k}});
      auto one = [&](size_t b, size_t i) {
        try {
          const FrameContext ctx{k, {slots[b]->prepared.screen_text}};
          auto scores = metric_slots[b][i]->ObserveFrames(gen[static_cast<int64_t>(b)].unsqueeze(0),
                                                         gt.frames[b].unsqueeze(0), ctx);
          frames[b].update(scores.at(0));
        } catch (const Error& e) {
          fail(*slots[b], "rollout", e.what());
        }
      };
      for (size_t i = 0; i < active.size(); ++i) {
        std::vector<size_t> todo_b;
        for (size_t b : live) {
          if (!slots[b]->failed) todo_b.push_back(b);
        }
        if (todo_b.empty()) break;
        ScopedPhase phase(&phases, "metric:" + active[i], static_cast<int64_t>(todo_b.size()));
        const size_t step = metric_slots[0][i]->batchable() ? metric_batch : 1;
        for (size_t c0 = 0; c0 < todo_b.size(); c0 += step) {
          const auto first = todo_b.begin() + static_cast<std::ptrdiff_t>(c0);
          const std::vector<size_t> chunk(first, first + static_cast<std::ptrdiff_t>(std::min(step, todo_b.size() - c0)));
          if (chunk.size() > 1) {
            std::vector<Metric*> instances;
            std::vector<torch::Tensor> g, t;
            for (size_t b : chunk) {
              instances.push_back(metric_slots[b][i].get());
              g.push_back(gen[static_cast<int64_t>(b)]);
              t.push_back(gt.frames[b]);
            }
            try {
              auto scores = instances[0]->ObserveAcross(instances, torch::stack(g), torch::stack(t));
              for (size_t j = 0; j < chunk.size(); ++j) frames[chunk[j]].update(scores.at(j));
              continue;
            } catch (const std::exception&) {
              // No state changed: score one sample at a time to find whose frame it was.
            }
          }
          for (size_t b : chunk) one(b, i);
        }
      }
      for (size_t b : live) {
        Slot& sl = *slots[b];
        if (sl.failed) continue;
        if (std::find(sl.strip_ks.begin(), sl.strip_ks.end(), k) != sl.strip_ks.end()) {
          ScopedPhase phase(&phases, "strips");
          sl.strip.Add(k, gen[static_cast<int64_t>(b)], gt.frames[b]);
        }
        sl.frames.push_back(std::move(frames[b]));
        ++frames_scored;
      }
    };
    // Time lost to the model's faults (a request that failed, timed out or crashed, and starting
    // the server again) goes to the phase "model_faults", not to the rollout or the harness.
    auto call_t0 = Clock::now();
    double restart_s0 = ckpt->restart_seconds();
    auto less_restarts = [&](double dt) {
      const double r = ckpt->restart_seconds() - restart_s0;
      restart_s0 = ckpt->restart_seconds();
      if (r <= 0) return dt;
      phases.Add("model_faults", r);
      return std::max(0.0, dt - r);
    };
    try {
      call_t0 = Clock::now();
      timer.Start();
      auto stream = ckpt->Rollout(MakeRequest(batch), mode);
      const double start_s = less_restarts(timer.StopSeconds());  // init() in step mode, all of it in rollout mode
      stream_mode = stream->mode();
      run_mode = stream_mode;
      phases.Add("rollout", start_s);
      if (stream_mode != "step") call_latency.push_back(start_s);
      const auto B = static_cast<int64_t>(slots.size());
      // The pipeline: while the model makes frame k, a second thread scores frame k-1 and
      // then decodes ground-truth frame k (--no-pipeline: decode, make, score in turn). The
      // metrics see the same calls in the same order either way.
      torch::Tensor prev_gen;
      GroundTruth prev_gt;
      for (int64_t k = 1; k <= T; ++k) {
        if ((interrupted = Interrupted())) break;
        GroundTruth gt;
        std::future<GroundTruth> worker;
        if (opt.pipeline) {
          worker = std::async(std::launch::async, [&, k] {
            at::init_num_threads();  // the run's --threads, not OpenMP's default, on this thread too
            torch::NoGradGuard no_grad_here;  // grad mode is per thread
            if (prev_gen.defined()) score(k - 1, prev_gen, prev_gt);
            return decode();
          });
        } else {
          gt = decode();
        }
        call_t0 = Clock::now();
        timer.Start();
        auto gen = stream->Next();
        const double dt = less_restarts(timer.StopSeconds());
        if (opt.pipeline) {
          const auto t_wait = Clock::now();
          gt = worker.get();
          scoring_wait_s += Seconds(t_wait, Clock::now());
        }
        phases.Add("rollout", dt, B);
        if (stream_mode == "step") call_latency.push_back(dt);
        if (!gen) {
          throw ContractError(At(ckpt->where(), "stream ended after " + std::to_string(k - 1) +
                                                     " frames; expected " + std::to_string(T)));
        }
        frames_generated += B;
        if (opt.pipeline) {
          prev_gen = *gen;
          prev_gt = std::move(gt);
        } else {
          score(k, *gen, gt);
        }
      }
      if (prev_gen.defined() && !interrupted) score(T, prev_gen, prev_gt);
    } catch (const Error& e) {
      phases.Add("model_faults", Seconds(call_t0, Clock::now()));
      restart_s0 = ckpt->restart_seconds();
      for (auto& sl : slots) {
        if (!sl->failed) {
          sl->record = ErrorRecord(sl->prepared.sample->id, "rollout", e.what());
          sl->failed = true;
        }
      }
    }
    if (interrupted) {
      log(LogLevel::kWarning, "interrupted: the " + std::to_string(slots.size()) +
                                  " sample(s) in flight are dropped; writing what finished");
      break;
    }
    for (size_t b = 0; b < slots.size(); ++b) {
      Slot& sl = *slots[b];
      const Sample& s = *sl.prepared.sample;
      if (sl.failed) {
        finish(s.line, sl.record);
        if (opt.fail_fast) stop = true;
        continue;
      }
      json scores = json::object(), kept = nullptr;
      std::vector<MetricState> contribution(active.size());
      try {
        for (size_t i = 0; i < active.size(); ++i) {
          ScopedPhase phase(&phases, "metric:" + active[i]);  // e.g. OCR waits for its pool here
          auto& m = *metric_slots[b][i];
          const bool keep = m.info().scope != "distribution";
          MetricState before;
          if (keep) before = m.state();
          scores.update(m.EndSample());
          if (keep) contribution[i] = StateDifference(m.state(), before);
          else kept[m.info().name] = m.LastSample();
        }
      } catch (const std::exception& e) {  // e.g. Tesseract failing on a frame
        finish(s.line, ErrorRecord(s.id, "metrics", e.what()));
        if (opt.fail_fast) stop = true;
        continue;
      }
      json record = {{"id", s.id},
                     {"status", "ok"},
                     {"num_frames", T},
                     {"seed", sl.prepared.seed},
                     {"prompt", sl.prepared.prompt},
                     {"rollout_mode", stream_mode},
                     {"ground_truth_resized", sl.prepared.resized},
                     {"scores", scores},
                     {"frames", sl.frames}};
      if (!sl.strip.empty()) {
        char name[32];
        std::snprintf(name, sizeof name, "strips/%05d.jpg", s.line);
        try {
          ScopedPhase phase(&phases, "strips");
          sl.strip.Write(fs::path(opt.out_dir) / name);
          record["strip"] = {{"file", name},
                             {"frames", sl.strip.frames()},
                             {"rows", {"ground truth", "generated", "|generated - ground truth|"}},
                             {"thumb_width", kStripThumbWidth},
                             {"diff_full_scale", kStripDiffFullScale}};
        } catch (const Error& e) {
          log(LogLevel::kWarning, e.what());
        }
      }
      // Each sample's contribution to the metric states: what `ncbench merge` needs for the
      // bootstrap over samples of several shards.
      json contributions = json::object();
      for (size_t i = 0; i < active.size(); ++i) {
        if (metric_slots[b][i]->info().scope == "distribution") continue;
        contributions[metric_slots[b][i]->info().name] = contribution[i].ToJson();
        per_sample[i][s.line] = std::move(contribution[i]);
      }
      record["metric_states"] = std::move(contributions);
      sample_timing.push_back({{"id", s.id}, {"end_s", Seconds(t_start, Clock::now())}, {"frames", T}});
      if (sl.prepared.action_events > 0) {
        record["action_events"] = sl.prepared.action_events;
        record["action_events_after_last_frame"] = sl.prepared.action_events_after_t;
      }
      finish(s.line, record, std::move(kept));
    }
    // Memory stays flat however many samples. Each batch opens video decoders whose buffers
    // glibc keeps in its heap after they are freed, pinned there by the small records that
    // outlive them, so RSS crept up with every sample (+17% over 240 samples). When RSS has
    // grown kRssSlackMiB past its level after the first kWarmBatches batches (caches filled),
    // the free pages go back to the system. (Trimming after every batch kept RSS flat too but
    // made decoding 1.9x slower: each new decoder page-faults its buffers in again.)
    slots.clear();
    const double rss = CurrentRssMiB();
    if (++batches_done <= kWarmBatches) {
      rss_floor = std::max(rss_floor, rss);
    } else if (rss > rss_floor + kRssSlackMiB) {
      malloc_trim(0);
      ++trims;
    }
  }

  // Aggregates from the merged sufficient statistics of every slot.
  const auto t_aggregate0 = Clock::now();
  json aggregates = json::object(), states = json::object(), metric_config = json::array();
  for (size_t i = 0; i < active.size(); ++i) {
    MetricState merged;
    for (auto& slot : metric_slots) merged.Merge(slot[i]->state());
    merged.Merge(resumed_states[i]);
    const auto& m = *metric_slots[0][i];
    std::vector<MetricState> units;  // in manifest order, kept and new samples alike
    for (auto& [line, st] : per_sample[i]) units.push_back(std::move(st));
    aggregates[m.info().name] = AggregateMetric(m, merged, units, opt.bootstrap, opt.seed);
    states[m.info().name] = merged.ToJson();
    metric_config.push_back({{"name", m.info().name}, {"version", m.info().version},
                             {"unit", m.info().unit}, {"direction", m.info().direction},
                             {"scope", m.info().scope}, {"reference", m.info().reference},
                             {"options", m.options()},
                             {"requested", {{"name", active[i]}, {"options", options_of(active[i])}}}});
    if (const auto p = m.preprocessing(); !p.is_null()) metric_config.back()["preprocessing"] = p;
  }
  phases.Add("aggregate", Seconds(t_aggregate0, Clock::now()));
  // Probes: the same checkpoint, rolled out from prompts ncbench makes itself.
  json probes = json::object();
  int64_t probes_failed = 0;
  for (const auto& name : opt.shard_index == 1 ? opt.probes : std::vector<std::string>{}) {
    if (interrupted) {
      probes[name] = {{"probe", name}, {"error", "not run: the run was interrupted"}};
      ++probes_failed;
      continue;
    }
    ScopedPhase phase(&phases, "probe:" + name);
    ArithmeticProbeOptions po = opt.arithmetic;
    po.seed = opt.seed;
    po.mode = opt.mode;
    po.batch_size = batch_size;
    try {
      probes[name] = RunArithmeticProbe(*ckpt, po, log);
    } catch (const Error& e) {
      log(LogLevel::kWarning, "probe " + name + ": " + e.what());
      probes[name] = {{"probe", name}, {"error", e.what()}};
      ++probes_failed;
    }
  }

  json samples = json::array();
  int64_t ok = 0;
  for (auto& [line, rec] : records) {
    ok += rec["status"] == "ok";
    samples.push_back(std::move(rec));
  }

  json report;
  report["schema"] = kReportSchema;
  report["context"] = MakeContext({opt.command_line, device.str(), opt.seed});
  report["checkpoint"] = ckpt->Describe();
  report["dataset"] = {{"manifest", opt.manifest},
                       {"sha256", manifest_sha},
                       {"samples_in_manifest", manifest.samples.size() + manifest.errors.size()}};
  report["config"] = {
      {"metrics", metric_config},
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
      {"batch_size", batch_size},
      {"rollout_mode", ModeName(opt.mode)},
      {"warmup_steps", opt.warmup_steps},
      {"seed_rule", "(seed + fnv1a64(sample id)) mod 2^31"},
      {"intervals", [&] {
         auto d = DescribeBootstrap(opt.bootstrap);
         d["seed"] = "run seed + fnv1a64(metric name)";
         return d;
       }()},
      {"strip_frames", opt.strip_frames},
      {"render", {{"font_px", align.render.font_px}, {"theme", align.render.theme}}}};
  report["samples"] = std::move(samples);
  report["metric_states"] = states;
  for (const auto& [name, why] : unavailable.items()) aggregates[name] = {{"unavailable", why}};
  report["aggregates"] = aggregates;
  if (!unavailable.empty()) report["metrics_unavailable"] = unavailable;
  if (!probes.empty()) report["probes"] = probes;
  if (opt.shard_count > 1) {
    report["shard"] = {{"index", opt.shard_index},
                       {"count", opt.shard_count},
                       {"rule", "the j-th sample of the manifest (0-based, after --max-samples) when j mod count = index - 1; "
                                "unparsable manifest lines and the probes in shard 1"},
                       {"samples_selected", todo.size()}};
  }
  report["summary"] = {{"samples_total", report["samples"].size()},
                       {"samples_ok", ok},
                       {"samples_failed", static_cast<int64_t>(report["samples"].size()) - ok},
                       {"probes_failed", probes_failed},
                       {"metrics_unavailable", unavailable.size()}};
  if (interrupted) {
    report["summary"]["interrupted"] = true;
    report["summary"]["samples_not_run"] =
        static_cast<int64_t>(todo.size() + resumed.size() + (opt.shard_index == 1 ? manifest.errors.size() : 0)) -
        static_cast<int64_t>(report["samples"].size());
  }
  // The report's own cost: a first serialisation, timed, stands for the write below.
  {
    ScopedPhase phase(&phases, "report_write");
    (void)report.dump(2, ' ', false, json::error_handler_t::replace);  // as WriteReport does
  }
  const double total_s = Seconds(t_start, Clock::now());
  const double rollout_s = phases.Seconds("rollout"), load_s = phases.Seconds("checkpoint_load");
  const double model_s = rollout_s + load_s + phases.Seconds("model_faults");  // the model's time, not the harness's
  const auto peak_device = PeakDeviceMemoryBytes(device);
  report["throughput"] = {
      {"device", DescribeDevice(device)},
      {"threads", DescribeThreads()},
      {"wall_s", total_s},
      {"phases", phases.ToJson()},
      {"rollout",
       {{"mode", run_mode.empty() ? json(nullptr) : json(run_mode)},
        {"batch_size", batch_size},
        {"frames", frames_generated},
        {"frames_scored", frames_scored},
        {"wall_s", rollout_s},
        {"frames_per_s", rollout_s > 0 ? static_cast<double>(frames_generated) / rollout_s : 0.0},
        {"timer", timer.method()},
        {"latency", SummarizeLatency(call_latency, run_mode == "step" ? opt.warmup_steps : 1,
                                     run_mode == "step" ? "step" : "rollout_call").ToJson()}}},
      {"harness",
       {{"wall_s", total_s - model_s},
        {"share_of_wall", total_s > 0 ? (total_s - model_s) / total_s : 0.0},
        {"heap_trims", trims},
        {"samples_resumed", resumed.size()},
        {"pipeline", opt.pipeline ? "while the model makes frame k, a second thread scores frame k-1 and decodes "
                                    "ground-truth frame k"
                                  : "sequential (--no-pipeline)"},
        {"waiting_for_scoring_s", scoring_wait_s},
        {"metric_batch", static_cast<int64_t>(std::min<size_t>(metric_batch, static_cast<size_t>(batch_size)))},
        {"batched_metrics", [&] {
           json names = json::array();
           for (size_t i = 0; i < active.size(); ++i) {
             if (metric_slots[0][i]->batchable()) names.push_back(active[i]);
           }
           return names;
         }()}}},
      {"memory",
       {{"peak_rss_mib", PeakRssMiB()},
        {"peak_device_mib", peak_device ? json(static_cast<double>(*peak_device) / (1024.0 * 1024.0)) : json(nullptr)}}},
      {"timeline", sample_timing}};
  WriteJsonAtomic(fs::path(opt.out_dir) / "report.json", report);
  return report;
}

}  // namespace ncb
