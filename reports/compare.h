// `ncbench compare BASE.json NEW.json`: the per-sample paired difference of two runs.
//
// Samples are paired by id (scored in both runs). For every per-sample score both reports
// carry (every numeric per-sample key its metrics do not call a count) the comparison gives
// the mean of NEW - BASE over the pairs, a 95% paired bootstrap interval (percentile,
// seeded) and a two-sided bootstrap p-value: the share of replicates whose centred mean
// difference is at least as far from 0 as the observed one ((1 + count) / (1 + replicates)).
// A change is significant when p < alpha and the interval excludes 0; it is a regression
// when it is significant and in the worse direction of the score.
//
// Reports of different datasets, metric versions or options, or frame alignment refuse to
// compare (Error listing every difference) unless allow_mismatch is set; the differences are
// then recorded in the result.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ncb {

// One --fail-on clause: KEY<T (fails when a significant change of KEY is below T) or KEY>T.
struct Gate {
  std::string key;
  char op = '<';
  double threshold = 0;
};
// "KEY<-0.005,OTHER>0.01" (per-sample score keys) -> gates; throws Error naming the clause on
// bad syntax.
std::vector<Gate> ParseGates(const std::string& spec);

struct CompareOptions {
  int replicates = 10000;
  uint64_t seed = 0;
  double alpha = 0.05;
  bool allow_mismatch = false;
  std::vector<Gate> fail_on;
};

// The differences that make two reports incomparable (empty: comparable).
std::vector<std::string> Incompatibilities(const nlohmann::json& base, const nlohmann::json& neu);

// Schema "ncbench.compare/1": {base, new, pairs, only_in_base, only_in_new, mismatches,
// options, scores: [{key, direction, n, base_mean, new_mean, delta, ci95, p_value,
// significant, change: "regression"|"improvement"|"none", base_aggregate, new_aggregate}],
// gates: [{gate, key, delta, significant, failed}], failed}.
nlohmann::json Compare(const nlohmann::json& base, const nlohmann::json& neu,
                       const CompareOptions& options);

std::string CompareMarkdown(const nlohmann::json& comparison);
std::string CompareHtml(const nlohmann::json& comparison);

}  // namespace ncb
