// `ncbench eval`: one checkpoint, one dataset, a set of metrics -> one report.
//
// The runner streams: per batch it holds the current frame of each sample, never a clip or a
// dataset. Per-sample failures (bad ground truth, a malformed action log, a contract breach
// in the checkpoint's output) become error records in the report; the run goes on unless
// fail_fast. Each finished sample is also appended, flushed, to samples.jsonl.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/checkpoint/checkpoint.h"
#include "bench/rollout/rollout.h"
#include "bench/run/intervals.h"
#include "core/logger.h"
#include "reports/run_report.h"

namespace ncb {

struct EvalOptions {
  std::string checkpoint;  // torchscript:PATH | videos:DIR | process:COMMAND | PATH
  CheckpointOptions checkpoint_options;
  std::string manifest;
  std::vector<std::string> metrics = {"psnr", "ssim"};
  std::map<std::string, nlohmann::json> metric_options;  // by metric name, e.g. ocr -> {"psm": 6}
  // The baselines every metric is also scored on (metrics/baselines/static_baseline.h):
  // "static" (the conditioning frame repeated) or "none".
  std::string baselines = "static";
  std::string cache_dir;            // on-disk caches (ground-truth OCR); empty: none
  std::vector<std::string> probes;  // "arithmetic" (probes/registry.cpp)
  std::map<std::string, nlohmann::json>
      probe_options;  // by probe name, e.g. arithmetic -> {"problems": 100}
  std::string out_dir;
  std::string device = "cpu";
  int64_t seed = 0;
  int batch_size = 1;
  RolloutMode mode = RolloutMode::kRollout;
  int threads = 0;           // LibTorch intra-op threads; 0: its default (physical cores)
  int64_t warmup_steps = 3;  // step() calls excluded from the latency percentiles
  bool pipeline = true;  // score and decode ground truth while the model computes (docs/report.md)
  // Samples per call of a batchable metric (PSNR, SSIM, LPIPS); 0: every sample of the batch
  // on CUDA, one on the CPU (where one frame already fills the threads, and larger working
  // sets run slower: SSIM over 4 frames at 640x408 took 3.3x as long as 4 calls of one).
  int metric_batch = 0;
  int64_t max_samples = 0;  // 0 = all
  // --shard i/N: this process scores the j-th sample (0-based, manifest order, after
  // max_samples) when j mod N == i - 1; `ncbench merge` joins the N reports (bench/run/merge.h).
  int shard_index = 1, shard_count = 1;
  // Keep the samples OUT/samples.jsonl already holds from an earlier run of the same
  // configuration (a killed or interrupted one) and score only the rest (docs/report.md).
  bool resume = false;
  bool fail_fast = false;
  AlignOptions align;    // device and seed are filled from the fields above
  int strip_frames = 4;  // frames per sample in OUT/strips/*.jpg (reports/frame_strip.h); 0: none
  BootstrapOptions bootstrap;  // its seed is the run seed
  std::vector<std::string> command_line;
};

// Runs the evaluation and writes OUT/report.json and OUT/samples.jsonl; returns the report.
// Throws only for run-level problems (checkpoint cannot be opened, unknown metric or probe,
// bad device). A probe that cannot run records its error under probes.<name>.error.
RunReport RunEval(const EvalOptions& options, const Logger& log = NullLogger());

// The default cache folder: $NCBENCH_CACHE_DIR, else $XDG_CACHE_HOME/ncbench, else
// ~/.cache/ncbench; empty when none of them is set.
std::string DefaultCacheDir();

// "cpu", "cuda", "cuda:N" -> device; throws Error when CUDA is asked for but absent.
torch::Device ParseDevice(const std::string& name);

}  // namespace ncb
