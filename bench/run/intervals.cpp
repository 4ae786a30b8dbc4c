#include "bench/run/intervals.h"

#include <map>
#include <string>

#include "core/stats.h"
#include "reports/report.h"

namespace ncb {
using nlohmann::json;

json DescribeBootstrap(const BootstrapOptions& o) {
  return {{"level", o.level},
          {"replicates", o.replicates},
          {"seed", o.seed},
          {"method",
           "percentile bootstrap over samples (each replicate re-finalizes the summed per-sample "
           "metric states); rates over frames: Wilson score interval"},
          {"rng", "SplitMix64, index = next() mod n"}};
}

MetricState StateDifference(const MetricState& after, const MetricState& before) {
  MetricState d;
  for (const auto& [k, v] : after.sums) d.sums[k] = v - before.Get(k);
  for (const auto& [k, v] : after.arrays) {
    auto& out = d.arrays[k];
    out = v;
    if (auto it = before.arrays.find(k);
        it != before.arrays.end() && it->second.size() == v.size()) {
      for (size_t i = 0; i < v.size(); ++i) out[i] -= it->second[i];
    }
  }
  return d;
}

namespace {

// Every numeric leaf that is not a count (by the metric's descriptors): dotted key -> value.
void Leaves(const json& j, const json& metric, const std::string& prefix,
            std::map<std::string, double>* out) {
  for (const auto& [k, v] : j.items()) {
    if (k == "ci95" || k == "ci95_method") continue;
    if (v.is_object()) {
      Leaves(v, metric, prefix + k + ".", out);
    } else if (v.is_number() && !DescribeKeyOf(metric, k).count()) {
      (*out)[prefix + k] = v.get<double>();
    }
  }
}

}  // namespace

void AddBootstrapIntervals(json* aggregate, const std::vector<MetricState>& per_sample,
                           const std::function<json(const MetricState&)>& finalize,
                           const BootstrapOptions& o, const json& metric) {
  if (o.replicates <= 0 || per_sample.size() < 2 || !aggregate->is_object()) return;
  std::map<std::string, double> point;
  Leaves(*aggregate, metric, "", &point);
  const json& have = aggregate->contains("ci95") ? (*aggregate)["ci95"] : json::object();
  std::map<std::string, std::vector<double>> draws;
  for (const auto& [k, v] : point) {
    if (!have.contains(k)) draws[k].reserve(static_cast<size_t>(o.replicates));
  }
  if (draws.empty()) return;
  SplitMix64 rng(o.seed);
  for (int r = 0; r < o.replicates; ++r) {
    const auto counts = ResampleCounts(per_sample.size(), &rng);
    MetricState st;
    for (size_t i = 0; i < per_sample.size(); ++i) {
      if (counts[i] == 0) continue;
      const double w = counts[i];
      for (const auto& [k, v] : per_sample[i].sums) st.sums[k] += w * v;
      for (const auto& [k, v] : per_sample[i].arrays) {
        auto& a = st.arrays[k];
        if (a.empty()) a.assign(v.size(), 0.0);
        if (a.size() != v.size()) continue;
        for (size_t j = 0; j < v.size(); ++j) a[j] += w * v[j];
      }
    }
    std::map<std::string, double> rep;
    Leaves(finalize(st), metric, "", &rep);
    for (auto& [k, d] : draws) {
      if (auto it = rep.find(k); it != rep.end()) d.push_back(it->second);
    }
  }
  const double tail = (1 - o.level) / 2;
  for (const auto& [k, d] : draws) {
    if (d.size() < static_cast<size_t>(o.replicates) / 2) continue;  // mostly undefined
    (*aggregate)["ci95"][k] = {Quantile(d, tail), Quantile(d, 1 - tail)};
    (*aggregate)["ci95_method"][k] = "bootstrap";
  }
}

}  // namespace ncb
