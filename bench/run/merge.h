// `ncbench merge`: the reports of `eval --shard i/N` (i = 1..N) -> the report one process
// would have written for the whole dataset.
//
// Samples are joined in manifest order; every metric's aggregate is finalized from the sum
// of the shards' metric states (FVD's feature moments, PSNR's pooled MSE, OCR's edit counts),
// and its bootstrap interval re-drawn over the joined per-sample states with the run's seed,
// so the intervals are those of a single run. Sums taken in another order can differ in the
// last bits: a merged aggregate equals the single-process one to about 1e-12 relative.
// Shards of different configurations (checkpoint, dataset, metrics and their options,
// alignment, seed, shard count) are refused, naming the first field that differs.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/run/intervals.h"
#include "metrics/metric.h"
#include "reports/run_report.h"

namespace ncb {

struct MergeOptions {
  std::vector<std::string> shards;  // report.json files, or the folders holding them
  std::string out_dir;              // gets report.json, samples.jsonl and the shards' strips/
  std::vector<std::string> command_line;
};

// Merges, writes OUT/report.json and OUT/samples.jsonl, copies the strips; returns the report.
RunReport MergeShards(const MergeOptions& options);

// A metric's aggregate as every report gives it: Finalize over the run's merged state plus
// the bootstrap intervals over the per-sample states (seeded by the run seed and the name).
nlohmann::json AggregateMetric(const Metric& metric, const MetricState& merged,
                               const std::vector<MetricState>& per_sample,
                               const BootstrapOptions& bootstrap, int64_t run_seed);

}  // namespace ncb
