// What `eval` keeps of each sample while it runs (eval_runner.h): its record for the report,
// in manifest order, and its line in OUT/samples.jsonl, written and flushed as it finishes so
// that a killed run keeps it. --resume reads the lines of the same run back.
#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/run/run_plan.h"
#include "core/logger.h"
#include "metrics/metric.h"

namespace ncb {

// Everything the batch loop measures and collects; the report is made from it.
struct RunResults {
  std::map<int, nlohmann::json> records;               // by manifest line: the report's order
  std::vector<std::map<int, MetricState>> per_sample;  // [metric][line]: the bootstrap's units
  std::vector<MetricState> resumed_states;             // [metric]: what kept samples add
  nlohmann::json sample_timing = nlohmann::json::array();
  std::vector<double> call_latency;  // per step() call (step mode) or per rollout() call
  std::string run_mode;              // "rollout" | "step" | "" (nothing rolled out)
  int64_t frames_scored = 0, frames_generated = 0;
  double scoring_wait_s = 0;  // the rollout loop's waits for the scoring thread
  int64_t heap_trims = 0;
  bool interrupted = false;  // Ctrl-C or SIGTERM
  size_t samples_selected = 0;
  size_t samples_resumed = 0;
};

class SampleRecords {
 public:
  // Opens OUT/samples.jsonl and writes the run's `identity` (whose sha256 is `run_hash`) to
  // OUT/run_identity.json. With `resume`, the "ok" lines of run `run_hash` are kept (a line a
  // kill cut short is dropped; a line of another run throws Error naming the first field of
  // the identity that differs from the earlier run's); the file is written again with them,
  // then appended to.
  SampleRecords(const std::filesystem::path& jsonl, const nlohmann::json& identity,
                const std::string& run_hash, bool resume, const Logger& log);

  const std::map<int, nlohmann::json>& kept() const { return kept_; }
  // A finished sample: its record goes to `results` and, stamped with the run's hash and
  // `distribution_kept` (what only samples.jsonl holds), to samples.jsonl.
  void Finish(int line, nlohmann::json record, RunResults* results,
              nlohmann::json distribution_kept = nullptr);

 private:
  std::filesystem::path path_;
  std::string run_hash_;
  const Logger& log_;
  std::map<int, nlohmann::json> kept_;
  std::ofstream out_;
};

nlohmann::json ErrorRecord(const std::string& id, const std::string& stage,
                           const std::string& message);

// The kept samples of a resumed run into `results`: their records, and each metric's state
// (FVD's from its distribution_kept features).
void AddKeptSamples(const RunPlan& plan, const SampleRecords& records, const std::string& jsonl,
                    RunResults* results);

// Manifest lines that do not parse: error records (shard 1 reports them).
void AddManifestErrors(const Manifest& manifest, RunResults* results);

}  // namespace ncb
