// `ncbench eval --throughput-only`: a checkpoint's own rollout speed, without ground truth.
//
// For each batch size and each mode the checkpoint offers (rollout; step where it has
// init/step), one untimed warm-up rollout of the same shape, then `repeats` timed rollouts of
// T frames: frames/s (B*T over the rollout's wall time, median over repeats), the latency of
// every step() call (or of each rollout() call), and the peak device memory. The inputs are the
// first sample of --dataset when one is given, otherwise a mid-grey first frame, the prompt
// "throughput" and all-zero actions: a model's speed must not depend on them, and the report
// says which were used. A batch size that fails (out of memory, a contract error) is recorded
// with its error; the sweep goes on.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/checkpoint/checkpoint.h"
#include "core/logger.h"
#include "reports/run_report.h"

namespace ncb {

struct ThroughputOptions {
  std::string checkpoint;
  std::string manifest;  // optional: take the first frame and prompt of its first sample
  std::string device = "cpu";
  std::vector<int> batch_sizes = {1, 2, 4};
  int64_t frames = 16;  // T per rollout
  int repeats = 3;      // timed rollouts per (batch size, mode)
  int threads = 0;      // LibTorch intra-op threads; 0: its default (physical cores)
  int64_t seed = 0;
  std::string out_dir;  // report.json goes here
  std::vector<std::string> command_line;
  CheckpointOptions checkpoint_options;  // --process-timeout
};

// Runs the sweep, writes OUT/report.json and returns it.
RunReport RunThroughput(const ThroughputOptions& options, const Logger& log = NullLogger());

// The sweep as a Markdown table (batch size, mode, frames/s, latency percentiles, memory).
std::string ThroughputTable(const nlohmann::json& report);

}  // namespace ncb
