// The report model: one type for what `eval`, `merge` and `eval --throughput-only` make.
//
// report.json (docs/report.md) is RunReport::ToJson(); every view (console summary, HTML,
// compare, table) reads that serialisation. The three producers fill the blocks that are
// theirs and call Complete(), the one place that derives the summary and marks unavailable
// metrics, so a report's counts and its exit code mean the same whoever made it.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace ncb {

inline constexpr const char* kReportSchema = "ncbench.report/1";

// The counts of a run: `summary` in report.json.
struct RunSummary {
  int64_t samples_total = 0;
  int64_t samples_ok = 0;
  int64_t samples_failed = 0;
  int64_t probes_failed = 0;
  int64_t metrics_unavailable = 0;
  // An interrupted run (Ctrl-C, SIGTERM) writes what finished; samples_not_run did not run.
  bool interrupted = false;
  int64_t samples_not_run = 0;

  nlohmann::json ToJson() const;
};

struct RunReport {
  enum class Kind { kEval, kThroughput };
  Kind kind = Kind::kEval;
  nlohmann::json context;     // provenance (MakeContext)
  nlohmann::json checkpoint;  // Checkpoint::Describe()
  nlohmann::json dataset;     // manifest, sha256, samples_in_manifest (eval and merge)
  nlohmann::json config;      // metrics (with their descriptors), alignment, ... or the sweep's
  nlohmann::json samples = nlohmann::json::array();  // records in manifest order
  nlohmann::json aggregates = nlohmann::json::object();
  nlohmann::json metric_states = nlohmann::json::object();
  nlohmann::json metrics_unavailable = nlohmann::json::object();  // name -> why
  nlohmann::json probes = nlohmann::json::object();               // name -> result or error
  nlohmann::json shard;                                           // null unless `eval --shard i/N`
  nlohmann::json merged_from;                                     // null unless `merge`
  nlohmann::json throughput;                                      // core/throughput.h's block
  RunSummary summary;                                             // derived by Complete()

  // Derives the summary from the samples, probes and unavailable metrics (keeping
  // `interrupted` and `samples_not_run`, which only the run knows) and gives every
  // unavailable metric its aggregate {"unavailable": why}.
  void Complete();
  // The process's exit status for this report: 130 interrupted; 3 when a sample, a probe or
  // (--throughput-only) a batch size failed; 0 otherwise.
  int ExitCode() const;
  nlohmann::json ToJson() const;
  // The model of a report.json of any producer (the inverse of ToJson). Throws Error naming
  // `path` when `j` is not an "ncbench.report/1" report or lacks a block its kind has (Check).
  static RunReport FromJson(const nlohmann::json& j, const std::string& path);
  // Those checks alone, without copying the blocks; returns the report's kind.
  static Kind Check(const nlohmann::json& j, const std::string& path);
};

// What makes two reports the same run, in one definition: everything a sample's scores
// depend on (the checkpoint's content, the dataset, the metrics with versions and options,
// alignment, rollout mode, seed, unavailable metrics); not paths where a hash names the
// content, timeouts, restart counts, batch sizes or timings. `eval --resume` keeps the
// samples.jsonl lines whose hash of it (with the shard) matches; `merge` requires it
// equal across shards, and with it how the run was cut and summarised (shard count,
// max_samples, intervals).
nlohmann::json RunIdentity(const RunReport& report);

}  // namespace ncb
