#include "probes/counterfactual/probe.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/errors.h"
#include "core/hashing.h"
#include "core/output_keys.h"
#include "core/stats.h"

namespace ncb {
using nlohmann::json;

namespace {

constexpr const char* kGivenLog = "_given_log";

// A score worth comparing: a quantity with a direction (not a count, a note, or a property of
// the ground truth alone), and not one of the static baseline's keys.
bool Compared(const json& configs, const std::string& key) {
  return BaselineKeyBase(key).empty() && DescribeKeyIn(configs, key).directed();
}

// Partners: a derangement of the samples of each modality (by manifest line).
std::map<int, int> Partners(const std::vector<json>& samples, uint64_t seed, json* pairs,
                            json* alone) {
  std::map<std::string, std::vector<const json*>> by_modality;
  for (const auto& s : samples) by_modality[s.value("modality", "")].push_back(&s);
  SplitMix64 rng(seed);
  std::map<int, int> partner;
  for (const auto& [modality, group] : by_modality) {
    if (group.size() < 2) {
      for (const json* s : group) alone->push_back((*s)["id"]);
      continue;
    }
    const auto perm = Derangement(group.size(), &rng);
    for (size_t i = 0; i < group.size(); ++i) {
      const json& s = *group[i];
      const json& p = *group[perm[i]];
      partner[s["line"].get<int>()] = p["line"].get<int>();
      pairs->push_back({{"id", s["id"]}, {"partner", p["id"]}, {"modality", modality}});
    }
  }
  return partner;
}

// The paired comparison of one key over the samples both runs scored.
json PairedKey(const std::vector<double>& t, const std::vector<double>& c,
               const std::string& direction, uint64_t seed) {
  const size_t n = t.size();
  std::vector<double> d(n);
  double st = 0, sc = 0, sd = 0;
  int64_t better = 0, equal = 0;
  for (size_t i = 0; i < n; ++i) {
    d[i] = t[i] - c[i];
    st += t[i];
    sc += c[i];
    sd += d[i];
    if (t[i] == c[i])
      ++equal;
    else if (direction == "lower_is_better" ? t[i] < c[i] : t[i] > c[i])
      ++better;
  }
  const double nn = static_cast<double>(n);
  json out = {{"direction", direction},
              {"n", n},
              {"true_mean", st / nn},
              {"counterfactual_mean", sc / nn},
              {"difference", sd / nn},
              {"share_better_under_true", static_cast<double>(better) / nn},
              {"share_equal", static_cast<double>(equal) / nn}};
  if (n >= 2) {
    SplitMix64 rng(seed);
    std::vector<double> reps;
    for (int r = 0; r < 1000; ++r) {
      const auto counts = ResampleCounts(n, &rng);
      double s = 0;
      for (size_t i = 0; i < n; ++i) s += counts[i] * d[i];
      reps.push_back(s / nn);
    }
    out["ci95"] = {Quantile(reps, 0.025), Quantile(reps, 0.975)};
  } else {
    out["ci95"] = nullptr;
  }
  return out;
}

class CounterfactualProbe : public Probe {
 public:
  const std::string& name() const override { return name_; }

  json Run(const ProbeContext& ctx) override {
    if (!ctx.dataset)
      throw Error(
          "counterfactual probe: it rolls the run's own samples out again; only `eval` "
          "has them");
    const auto samples = ctx.dataset->ScoredSamples();
    const uint64_t seed = static_cast<uint64_t>(ctx.seed) + Fnv1a64("counterfactual");
    json pairs = json::array(), alone = json::array();
    const auto partner = Partners(samples, seed, &pairs, &alone);
    if (partner.empty())
      throw Error("counterfactual probe: no modality has two scored samples to swap");
    ctx.log(LogLevel::kInfo, "counterfactual probe: rolling " + std::to_string(partner.size()) +
                                 " samples out again with another sample's conditioning");
    const auto cf = ctx.dataset->RolloutWith(partner);
    return Summarise(samples, cf, ctx.dataset->MetricConfigs(), seed, pairs, alone);
  }

 private:
  static json Summarise(const std::vector<json>& samples, const std::map<int, json>& cf,
                        const json& configs, uint64_t seed, const json& pairs, const json& alone) {
    std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> keys, given;
    std::vector<std::string> order;
    json failed = json::array();
    for (const auto& s : samples) {
      auto it = cf.find(s["line"].get<int>());
      if (it == cf.end()) continue;
      const json& rec = it->second;
      if (rec.value("status", "") != "ok") {
        failed.push_back({{"id", s["id"]}, {"error", rec.value("error", "")}});
        continue;
      }
      const json& ts = s["scores"];
      const json& cs = rec["scores"];
      for (const auto& [k, v] : cs.items()) {
        if (!v.is_number()) continue;
        if (HasKeySuffix(k, kGivenLog)) {  // the true run's rollout was given its own log
          const std::string base = k.substr(0, k.size() - std::string(kGivenLog).size());
          if (ts.contains(base) && ts[base].is_number() && Compared(configs, base)) {
            given[base].first.push_back(ts[base].get<double>());
            given[base].second.push_back(v.get<double>());
          }
          continue;
        }
        if (!ts.contains(k) || !ts[k].is_number() || !Compared(configs, k)) continue;
        if (!keys.count(k)) order.push_back(k);
        keys[k].first.push_back(ts[k].get<double>());
        keys[k].second.push_back(v.get<double>());
      }
    }
    json out_keys = json::object();
    for (const auto& k : order) {
      out_keys[k] = PairedKey(keys[k].first, keys[k].second, DescribeKeyIn(configs, k).direction,
                              seed + Fnv1a64(k));
    }
    json out_given = json::object();
    for (const auto& [k, v] : given) {
      json g = PairedKey(v.first, v.second, DescribeKeyIn(configs, k).direction,
                         seed + Fnv1a64(k + kGivenLog));
      g["what"] =
          "true_mean: the true rollout against its own log; counterfactual_mean: the "
          "counterfactual rollout against the log it was given (the partner's)";
      out_given[k] = std::move(g);
    }
    return {{"probe", "counterfactual"},
            {"version", 1},
            {"rule",
             "each scored sample rolled out again with the conditioning of another sample of its "
             "modality (a derangement: Sattolo's algorithm, SplitMix64 seeded with run seed + "
             "fnv1a64(\"counterfactual\")); CLI: the partner's caption; GUI: the partner's action "
             "tensor cut or padded with no-event rows to the sample's T; scored against the "
             "sample's own ground truth and log"},
            {"difference",
             "true - counterfactual, per sample; 95% percentile bootstrap over "
             "samples (1000 replicates, seed + fnv1a64(key))"},
            {"samples", pairs.size() - failed.size()},
            {"pairs", pairs},
            {"not_swapped", alone},
            {"samples_failed", failed},
            {"keys", out_keys},
            {"given_log", out_given}};
  }

  std::string name_ = "counterfactual";
};

}  // namespace

std::unique_ptr<Probe> MakeCounterfactualProbe(const json& options) {
  if (!options.empty())
    throw Error("counterfactual probe: it takes no options, got " + options.dump());
  return std::make_unique<CounterfactualProbe>();
}

}  // namespace ncb
