// 95% intervals for every aggregate of a run: a percentile bootstrap over samples.
//
// Each replicate draws the run's scored samples with replacement (seeded, SplitMix64),
// sums their per-sample metric states with the drawn multiplicities and finalizes them with
// the metric's own Finalize, so the interval is that of exactly the statistic the report
// shows (a pooled PSNR, a mean of sample means, a histogram median). Keys that already carry
// an interval (the Wilson intervals of rates) keep it; counts get none.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <vector>

#include "metrics/metric.h"

namespace ncb {

struct BootstrapOptions {
  int replicates = 1000;  // 0: no intervals
  uint64_t seed = 0;
  double level = 0.95;
};

// The report's description of the procedure (config.intervals).
nlohmann::json DescribeBootstrap(const BootstrapOptions& o);

// Adds aggregate["ci95"][key] = [low, high] and aggregate["ci95_method"][key] = "bootstrap"
// for every numeric key of `aggregate` that `metric` (its config.metrics entry, with the
// outputs descriptors) does not call a count (nested objects give dotted keys, e.g.
// "ceiling.gt_vs_reference_char_accuracy"). A key that is null in a replicate is left out of
// that replicate; with fewer than two scored samples no interval is given.
void AddBootstrapIntervals(nlohmann::json* aggregate, const std::vector<MetricState>& per_sample,
                           const std::function<nlohmann::json(const MetricState&)>& finalize,
                           const BootstrapOptions& options, const nlohmann::json& metric);

// The part of `after` that is not in `before` (a sample's contribution to a metric's state).
MetricState StateDifference(const MetricState& after, const MetricState& before);

}  // namespace ncb
