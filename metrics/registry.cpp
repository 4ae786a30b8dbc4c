// The explicit, reviewable list of metrics. A new metric adds one line here.
#include <functional>
#include <map>

#include "bench/core/errors.h"
#include "metrics/metric.h"

namespace ncb {

std::unique_ptr<Metric> MakePsnrMetric(const nlohmann::json& options);
std::unique_ptr<Metric> MakeSsimMetric(const nlohmann::json& options);

namespace {
using Factory = std::function<std::unique_ptr<Metric>(const nlohmann::json&)>;
const std::map<std::string, Factory>& Registry() {
  static const std::map<std::string, Factory> r = {
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

std::unique_ptr<Metric> CreateMetric(const std::string& name, const nlohmann::json& options) {
  auto it = Registry().find(name);
  if (it == Registry().end()) {
    std::string known;
    for (const auto& n : MetricNames()) known += (known.empty() ? "" : ", ") + n;
    throw Error("unknown metric '" + name + "'; available: " + known);
  }
  return it->second(options.is_null() ? nlohmann::json::object() : options);
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

}  // namespace ncb
