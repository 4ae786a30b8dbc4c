// The explicit, reviewable list of probes. A new probe adds one line here.
#include <functional>
#include <map>

#include "core/errors.h"
#include "probes/probe.h"

namespace ncb {

std::unique_ptr<Probe> MakeArithmeticProbe(const nlohmann::json& options);
std::unique_ptr<Probe> MakeCounterfactualProbe(const nlohmann::json& options);

namespace {
using Factory = std::function<std::unique_ptr<Probe>(const nlohmann::json&)>;
const std::map<std::string, Factory>& Registry() {
  static const std::map<std::string, Factory> r = {
      {"arithmetic", MakeArithmeticProbe},
      {"counterfactual", MakeCounterfactualProbe},
  };
  return r;
}
}  // namespace

std::vector<std::string> ProbeNames() {
  std::vector<std::string> names;
  for (const auto& [name, f] : Registry()) names.push_back(name);
  return names;
}

std::unique_ptr<Probe> CreateProbe(const std::string& name, const nlohmann::json& options) {
  auto it = Registry().find(name);
  if (it == Registry().end()) {
    std::string known;
    for (const auto& n : ProbeNames()) known += (known.empty() ? "" : ", ") + n;
    throw Error("unknown probe '" + name + "'; available: " + known);
  }
  return it->second(options.is_null() ? nlohmann::json::object() : options);
}

}  // namespace ncb
