// The explicit, reviewable list of metrics. A new metric adds one line here.
#include <algorithm>
#include <functional>
#include <map>

#include "bench/core/errors.h"
#include "metrics/metric.h"

namespace ncb {

std::unique_ptr<Metric> MakePsnrMetric(const nlohmann::json& options, const MetricEnv& env);
std::unique_ptr<Metric> MakeSsimMetric(const nlohmann::json& options, const MetricEnv& env);
std::unique_ptr<Metric> MakeOcrMetric(const nlohmann::json& options, const MetricEnv& env);

namespace {
using Factory = std::function<std::unique_ptr<Metric>(const nlohmann::json&, const MetricEnv&)>;
const std::map<std::string, Factory>& Registry() {
  static const std::map<std::string, Factory> r = {
      {"ocr", MakeOcrMetric},
      {"psnr", MakePsnrMetric},
      {"ssim", MakeSsimMetric},
  };
  return r;
}
}  // namespace

std::vector<std::string> MetricNames() {
  std::vector<std::string> names;
  for (const auto& [name, f] : Registry()) names.push_back(name);
  return names;
}

std::unique_ptr<Metric> CreateMetric(const std::string& name, const nlohmann::json& options,
                                     const MetricEnv& env) {
  auto it = Registry().find(name);
  if (it == Registry().end()) {
    std::string known;
    for (const auto& n : MetricNames()) known += (known.empty() ? "" : ", ") + n;
    throw Error("unknown metric '" + name + "'; available: " + known);
  }
  return it->second(options.is_null() ? nlohmann::json::object() : options, env);
}

void CheckOptionKeys(const std::string& metric, const nlohmann::json& options,
                     const std::vector<std::string>& known) {
  if (!options.is_object()) throw Error(metric + ": options must be a JSON object");
  for (const auto& [key, value] : options.items()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    throw Error(metric + ": unknown option '" + key + "'; known: " + list);
  }
}

void PutScore(nlohmann::json* out, const std::string& key, double value, bool defined,
              const std::string& null_reason) {
  if (defined) {
    (*out)[key] = value;
  } else {
    (*out)[key] = nullptr;
    (*out)[key + "_null_reason"] = null_reason;
  }
}

void PutRatio(nlohmann::json* out, const std::string& key, double numerator, double denominator,
              const std::string& null_reason) {
  PutScore(out, key, denominator > 0 ? numerator / denominator : 0, denominator > 0, null_reason);
}

}  // namespace ncb
