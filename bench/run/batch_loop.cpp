#include "bench/run/batch_loop.h"

#include <ATen/Parallel.h>
#include <malloc.h>
#include <torch/types.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "bench/run/intervals.h"
#include "core/errors.h"
#include "core/frame.h"
#include "core/interrupt.h"
#include "core/worker_thread.h"
#include "reports/frame_strip.h"

namespace ncb {
namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// Memory stays flat however many samples. Each batch opens video decoders whose buffers glibc
// keeps in its heap after they are freed, pinned there by the small records that outlive them,
// so RSS crept up with every sample (+17% over 240 samples). When RSS has grown kRssSlackMiB
// past its level after the first kWarmBatches batches (caches filled), the free pages go back to
// the system. (Trimming after every batch kept RSS flat too but made decoding 1.9x slower: each
// new decoder page-faults its buffers in again.)
constexpr double kRssSlackMiB = 24;
constexpr int64_t kWarmBatches = 4;

// One batch slot: a prepared sample and what it has scored so far.
struct Slot {
  PreparedSample prepared;
  std::vector<json> frames;
  std::vector<int64_t> strip_ks;
  FrameStrip strip;
  bool failed = false;
  json record;
};

// Ground-truth frame k of every live sample. Errors stay with their sample.
struct GroundTruth {
  std::vector<torch::Tensor> frames;
  std::vector<std::string> errors;
};

// One batch: samples of equal T, their metric instances (the plan's slots), the rollout.
class Batch {
 public:
  // `scorer`: the pipeline's thread (null with --no-pipeline).
  Batch(const BatchLoopContext& c, DeviceTimer* timer, WorkerThread* scorer)
      : c_(c), timer_(timer), scorer_(scorer), spec_(c.plan.checkpoint->spec()) {}

  // Takes up to batch_size samples of equal T from todo[*next...]; a sample whose ground truth
  // cannot be prepared is finished with its error. False when no sample could be taken.
  bool Prepare(const std::vector<const Sample*>& todo, size_t* next, bool* stop);
  // Rolls the batch out, scores it and finishes its samples; false when interrupted (the
  // batch is dropped).
  bool Run(bool* stop);

 private:
  void Begin();
  GroundTruth Decode();
  void Fail(Slot& sl, const std::string& stage, const std::string& message) {
    sl.record = ErrorRecord(sl.prepared.sample->id, stage, message);
    sl.failed = true;
  }
  std::vector<size_t> Live(int64_t k, const torch::Tensor& gen, const GroundTruth& gt);
  void Score(int64_t k, const torch::Tensor& gen, const GroundTruth& gt);
  void ScoreMetric(size_t i, const std::vector<size_t>& live, int64_t k, const torch::Tensor& gen,
                   const GroundTruth& gt, std::vector<json>* frames);
  void ScoreOne(size_t b, size_t i, int64_t k, const torch::Tensor& gen, const GroundTruth& gt,
                std::vector<json>* frames);
  bool RollOut();
  double LessRestarts(double dt);
  void FinishSample(Slot& sl, size_t b, bool* stop);
  json OkRecord(Slot& sl, const json& scores);
  // The metric instances of the batch slots: the plan's, or the context's own.
  std::vector<std::vector<std::unique_ptr<Metric>>>& Slots() const {
    return c_.metric_slots ? *c_.metric_slots : c_.plan.metric_slots;
  }
  std::string MetricName(size_t i) const { return Slots()[0][i]->info().name; }
  // A finished sample's record: to samples.jsonl and the results, or (no records file: the
  // counterfactual pass) to the results alone.
  void Finish(int line, json record, json kept = nullptr) {
    if (c_.records) {
      c_.records->Finish(line, std::move(record), c_.results, std::move(kept));
    } else {
      record["line"] = line;
      c_.results->records[line] = std::move(record);
    }
  }

  const BatchLoopContext& c_;
  DeviceTimer* timer_;
  WorkerThread* scorer_;
  const NcSpec& spec_;
  std::vector<std::unique_ptr<Slot>> slots_;
  int64_t T_ = 0;
  std::string stream_mode_;
  Clock::time_point call_t0_ = Clock::now();
  double restart_s0_ = 0;
};

bool Batch::Prepare(const std::vector<const Sample*>& todo, size_t* next, bool* stop) {
  while (*next < todo.size() && static_cast<int>(slots_.size()) < c_.plan.batch_size) {
    const Sample& s = *todo[*next];
    try {
      ScopedPhase phase(c_.phases, "ground_truth", 1);  // the first frame, the action log
      if (!c_.plan.modality.empty() && s.modality != c_.plan.modality) {
        throw FormatError("field \"modality\" is \"" + s.modality +
                          "\", but the checkpoint is a \"" + c_.plan.modality +
                          "\" model (its spec's modality)");
      }
      auto slot = std::make_unique<Slot>();
      slot->prepared = PrepareSample(s, spec_, c_.plan.align);
      if (c_.partners) {  // the counterfactual pass: another sample's conditioning
        const Sample& partner = *c_.partners->at(s.line);
        GiveConditioningOf(PrepareSample(partner, spec_, c_.plan.align), &slot->prepared);
      }
      if (!slots_.empty() && slot->prepared.num_frames != slots_[0]->prepared.num_frames) break;
      slots_.push_back(std::move(slot));
    } catch (const Error& e) {
      // The manifest line the sample came from, then what its footage or log says.
      const std::string where = At(c_.options.manifest, "line " + std::to_string(s.line));
      Finish(s.line, ErrorRecord(s.id, "ground_truth", where + ": " + e.what()));
      if (c_.options.fail_fast) *stop = true;
    }
    ++*next;
  }
  return !slots_.empty();
}

void Batch::Begin() {
  T_ = slots_[0]->prepared.num_frames;
  for (size_t b = 0; b < slots_.size(); ++b) {
    const auto& pr = slots_[b]->prepared;
    for (auto& m : Slots()[b])
      m->BeginSample({pr.sample->id, T_, pr.event_times, spec_.fps, pr.cursor, pr.first_frame,
                      pr.given_cursor});
    slots_[b]->strip_ks = StripFrames(T_, c_.options.strip_frames);
  }
}

GroundTruth Batch::Decode() {
  ScopedPhase phase(c_.phases, "ground_truth", static_cast<int64_t>(slots_.size()));
  GroundTruth gt{std::vector<torch::Tensor>(slots_.size()),
                 std::vector<std::string>(slots_.size())};
  for (size_t b = 0; b < slots_.size(); ++b) {
    if (slots_[b]->failed) continue;
    try {
      gt.frames[b] = NextGroundTruthFrame(slots_[b]->prepared, spec_, c_.plan.align);
    } catch (const Error& e) {
      gt.errors[b] = e.what();
    }
  }
  return gt;
}

// The samples whose frame k can be scored: ground truth decoded, generated frame valid.
std::vector<size_t> Batch::Live(int64_t k, const torch::Tensor& gen, const GroundTruth& gt) {
  std::vector<size_t> live;
  for (size_t b = 0; b < slots_.size(); ++b) {
    Slot& sl = *slots_[b];
    if (sl.failed) continue;
    if (!gt.errors[b].empty()) {
      Fail(sl, "ground_truth", gt.errors[b]);
    } else if (auto bad = ValidateFrame(gen[static_cast<int64_t>(b)], spec_.height, spec_.width)) {
      Fail(sl, "rollout",
           ContractError(At(c_.plan.checkpoint->where(), "sample " + sl.prepared.sample->id +
                                                             ", frame " + std::to_string(k) + ": " +
                                                             *bad))
               .what());
    } else {
      live.push_back(b);
    }
  }
  return live;
}

// Scores generated frame k of every live sample: each metric once over the whole batch where
// it is batchable (one kernel on the device), else once per sample.
void Batch::Score(int64_t k, const torch::Tensor& gen, const GroundTruth& gt) {
  const std::vector<size_t> live = Live(k, gen, gt);
  std::vector<json> frames(slots_.size(), json{{"index", k}});
  for (size_t i = 0; i < Slots()[0].size(); ++i) {
    std::vector<size_t> todo_b;
    for (size_t b : live) {
      if (!slots_[b]->failed) todo_b.push_back(b);
    }
    if (todo_b.empty()) break;
    ScopedPhase phase(c_.phases, "metric:" + MetricName(i), static_cast<int64_t>(todo_b.size()));
    ScoreMetric(i, todo_b, k, gen, gt, &frames);
  }
  for (size_t b : live) {
    Slot& sl = *slots_[b];
    if (sl.failed) continue;
    if (std::find(sl.strip_ks.begin(), sl.strip_ks.end(), k) != sl.strip_ks.end()) {
      ScopedPhase phase(c_.phases, "strips");
      sl.strip.Add(k, gen[static_cast<int64_t>(b)], gt.frames[b]);
    }
    sl.frames.push_back(std::move(frames[b]));
    ++c_.results->frames_scored;
  }
}

void Batch::ScoreOne(size_t b, size_t i, int64_t k, const torch::Tensor& gen, const GroundTruth& gt,
                     std::vector<json>* frames) {
  try {
    const FrameContext ctx{k, {slots_[b]->prepared.screen_text}};
    auto scores = Slots()[b][i]->ObserveFrames(gen[static_cast<int64_t>(b)].unsqueeze(0),
                                               gt.frames[b].unsqueeze(0), ctx);
    (*frames)[b].update(scores.at(0));
  } catch (const Error& e) {
    Fail(*slots_[b], "rollout", e.what());
  }
}

// Metric i on frame k of the samples `todo_b`, in chunks of metric_batch samples per call.
void Batch::ScoreMetric(size_t i, const std::vector<size_t>& todo_b, int64_t k,
                        const torch::Tensor& gen, const GroundTruth& gt,
                        std::vector<json>* frames) {
  const size_t step = Slots()[0][i]->batchable() ? c_.plan.metric_batch : 1;
  for (size_t c0 = 0; c0 < todo_b.size(); c0 += step) {
    const auto first = todo_b.begin() + static_cast<std::ptrdiff_t>(c0);
    const std::vector<size_t> chunk(
        first, first + static_cast<std::ptrdiff_t>(std::min(step, todo_b.size() - c0)));
    if (chunk.size() > 1) {
      std::vector<Metric*> instances;
      std::vector<torch::Tensor> g, t;
      for (size_t b : chunk) {
        instances.push_back(Slots()[b][i].get());
        g.push_back(gen[static_cast<int64_t>(b)]);
        t.push_back(gt.frames[b]);
      }
      try {
        auto scores = instances[0]->ObserveAcross(instances, torch::stack(g), torch::stack(t));
        for (size_t j = 0; j < chunk.size(); ++j) (*frames)[chunk[j]].update(scores.at(j));
        continue;
      } catch (const std::exception&) {
        // No state changed: score one sample at a time to find whose frame it was.
      }
    }
    for (size_t b : chunk) ScoreOne(b, i, k, gen, gt, frames);
  }
}

// The model's time less the seconds the adapter spent starting it again after a fault, which
// go to the phase "model_faults".
double Batch::LessRestarts(double dt) {
  const double now = c_.plan.checkpoint->restart_seconds(), r = now - restart_s0_;
  restart_s0_ = now;
  if (r <= 0) return dt;
  c_.phases->Add("model_faults", r);
  return std::max(0.0, dt - r);
}

// The frame loop of one batch; throws Error when the model fails (the caller fails the batch).
// Returns false when interrupted.
bool Batch::RollOut() {
  RunResults& res = *c_.results;
  call_t0_ = Clock::now();
  timer_->Start();
  auto stream = c_.plan.checkpoint->Rollout(MakeRequest([&] {
                                              std::vector<PreparedSample*> batch;
                                              for (auto& sl : slots_)
                                                batch.push_back(&sl->prepared);
                                              return batch;
                                            }()),
                                            c_.options.mode);
  const double start_s =
      LessRestarts(timer_->StopSeconds());  // init() in step mode, all of it in rollout mode
  stream_mode_ = stream->mode();
  res.run_mode = stream_mode_;
  c_.phases->Add("rollout", start_s);
  if (stream_mode_ != "step") res.call_latency.push_back(start_s);
  const auto B = static_cast<int64_t>(slots_.size());
  torch::Tensor prev_gen;
  GroundTruth prev_gt;
  for (int64_t k = 1; k <= T_; ++k) {
    if ((res.interrupted = Interrupted())) return false;
    GroundTruth gt;
    TaskResult<GroundTruth> worker;  // waits for the scorer if the model throws
    if (scorer_) {
      worker = scorer_->Submit([&, k] {
        torch::NoGradGuard no_grad_here;  // grad mode is per thread
        if (prev_gen.defined()) Score(k - 1, prev_gen, prev_gt);
        return Decode();
      });
    } else {
      gt = Decode();
    }
    call_t0_ = Clock::now();
    timer_->Start();
    auto gen = stream->Next();
    const double dt = LessRestarts(timer_->StopSeconds());
    if (scorer_) {
      const auto t_wait = Clock::now();
      gt = worker.get();
      res.scoring_wait_s += SecondsSince(t_wait);
    }
    c_.phases->Add("rollout", dt, B);
    if (stream_mode_ == "step") res.call_latency.push_back(dt);
    if (!gen) {
      throw ContractError(
          At(c_.plan.checkpoint->where(), "stream ended after " + std::to_string(k - 1) +
                                              " frames; expected " + std::to_string(T_)));
    }
    res.frames_generated += B;
    if (scorer_) {
      prev_gen = *gen;
      prev_gt = std::move(gt);
    } else {
      Score(k, *gen, gt);
    }
  }
  if (prev_gen.defined()) Score(T_, prev_gen, prev_gt);
  return true;
}

bool Batch::Run(bool* stop) {
  Begin();
  restart_s0_ = c_.plan.checkpoint->restart_seconds();
  bool finished = false;
  try {
    finished = RollOut();
  } catch (const Error& e) {
    // Time lost to the model's fault (a request that failed, timed out or crashed, and starting
    // the server again) is the model's, in its own phase.
    c_.phases->Add("model_faults", SecondsSince(call_t0_));
    restart_s0_ = c_.plan.checkpoint->restart_seconds();
    for (auto& sl : slots_) {
      if (!sl->failed) Fail(*sl, "rollout", e.what());
    }
    finished = !c_.results->interrupted;
  }
  if (!finished) {
    c_.log(LogLevel::kWarning, "interrupted: the " + std::to_string(slots_.size()) +
                                   " sample(s) in flight are dropped; writing what finished");
    return false;
  }
  for (size_t b = 0; b < slots_.size(); ++b) FinishSample(*slots_[b], b, stop);
  return true;
}

json Batch::OkRecord(Slot& sl, const json& scores) {
  const Sample& s = *sl.prepared.sample;
  json record = {{"id", s.id},
                 {"status", "ok"},
                 {"num_frames", T_},
                 {"seed", sl.prepared.seed},
                 {"prompt", sl.prepared.prompt},
                 {"rollout_mode", stream_mode_},
                 {"ground_truth_resized", sl.prepared.resized},
                 {"scores", scores},
                 {"frames", sl.frames}};
  if (!sl.strip.empty()) {
    char name[32];
    std::snprintf(name, sizeof name, "strips/%05d.jpg", s.line);
    try {
      ScopedPhase phase(c_.phases, "strips");
      sl.strip.Write(fs::path(c_.options.out_dir) / name);
      record["strip"] = {{"file", name},
                         {"frames", sl.strip.frames()},
                         {"rows", {"ground truth", "generated", "|generated - ground truth|"}},
                         {"thumb_width", kStripThumbWidth},
                         {"diff_full_scale", kStripDiffFullScale}};
    } catch (const Error& e) {
      c_.log(LogLevel::kWarning, e.what());
    }
  }
  return record;
}

// Closes the sample's metrics and writes its record: each metric's scores, and its own
// contribution to the metric states (what `ncbench merge` and the bootstrap need).
void Batch::FinishSample(Slot& sl, size_t b, bool* stop) {
  const Sample& s = *sl.prepared.sample;
  RunResults& res = *c_.results;
  if (sl.failed) {
    Finish(s.line, sl.record);
    if (c_.options.fail_fast) *stop = true;
    return;
  }
  const auto& metrics = Slots()[b];
  json scores = json::object(), kept = nullptr;
  std::vector<MetricState> contribution(metrics.size());
  try {
    for (size_t i = 0; i < metrics.size(); ++i) {
      ScopedPhase phase(c_.phases,
                        "metric:" + MetricName(i));  // e.g. OCR waits for its pool here
      auto& m = *metrics[i];
      const bool keep = m.info().scope != "distribution";
      MetricState before;
      if (keep) before = m.state();
      scores.update(m.EndSample());
      if (keep)
        contribution[i] = StateDifference(m.state(), before);
      else
        kept[m.info().name] = m.LastSample();
    }
  } catch (const std::exception& e) {  // e.g. Tesseract failing on a frame
    Finish(s.line, ErrorRecord(s.id, "metrics", e.what()));
    if (c_.options.fail_fast) *stop = true;
    return;
  }
  json record = OkRecord(sl, scores);
  json contributions = json::object();
  for (size_t i = 0; i < metrics.size(); ++i) {
    if (metrics[i]->info().scope == "distribution") continue;
    contributions[metrics[i]->info().name] = contribution[i].ToJson();
    res.per_sample[i][s.line] = std::move(contribution[i]);
  }
  record["metric_states"] = std::move(contributions);
  res.sample_timing.push_back(
      {{"id", s.id}, {"end_s", SecondsSince(c_.run_start)}, {"frames", T_}});
  if (sl.prepared.action_events > 0) {
    record["action_events"] = sl.prepared.action_events;
    record["action_events_after_last_frame"] = sl.prepared.action_events_after_t;
  }
  Finish(s.line, std::move(record), std::move(kept));
}

}  // namespace

void RunBatches(const BatchLoopContext& c, const std::vector<const Sample*>& todo,
                DeviceTimer* timer) {
  size_t next = 0;
  double rss_floor = 0;
  int64_t batches_done = 0;
  bool stop = false;
  // The pipeline's scorer: one thread for the whole run, so that what LibTorch keeps per thread
  // (its OpenMP team, cuDNN's plans) stays warm from frame to frame (core/worker_thread.h).
  std::unique_ptr<WorkerThread> scorer;
  if (c.options.pipeline) {
    scorer = std::make_unique<WorkerThread>();
    scorer->Submit([] { at::init_num_threads(); }).get();  // the run's --threads there too
  }
  // Ctrl-C (core/interrupt.h): the batch in flight is dropped, what finished is reported,
  // and the report says the run was interrupted.
  while (next < todo.size() && !stop && !(c.results->interrupted = Interrupted())) {
    auto batch = std::make_unique<Batch>(c, timer, scorer.get());
    if (!batch->Prepare(todo, &next, &stop)) continue;
    if (!batch->Run(&stop)) break;
    batch.reset();
    const double rss = CurrentRssMiB();
    if (++batches_done <= kWarmBatches) {
      rss_floor = std::max(rss_floor, rss);
    } else if (rss > rss_floor + kRssSlackMiB) {
      malloc_trim(0);
      ++c.results->heap_trims;
    }
  }
}

}  // namespace ncb
