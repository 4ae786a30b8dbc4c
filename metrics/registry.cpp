// The explicit, reviewable list of metrics. A new metric adds one line here.
#include <algorithm>
#include <functional>
#include <map>

#include "core/errors.h"
#include "metrics/metric.h"
#include "metrics/selection/frame_selection.h"

namespace ncb {

std::unique_ptr<Metric> MakePsnrMetric(const nlohmann::json& options, const MetricEnv& env);
std::unique_ptr<Metric> MakeSsimMetric(const nlohmann::json& options, const MetricEnv& env);
std::unique_ptr<Metric> MakeCursorMetric(const nlohmann::json& options, const MetricEnv& env);
std::unique_ptr<Metric> MakeFvdMetric(const nlohmann::json& options, const MetricEnv& env);
std::unique_ptr<Metric> MakeLpipsMetric(const nlohmann::json& options, const MetricEnv& env);
std::unique_ptr<Metric> MakeOcrMetric(const nlohmann::json& options, const MetricEnv& env);

namespace {
using Factory = std::function<std::unique_ptr<Metric>(const nlohmann::json&, const MetricEnv&)>;
const std::map<std::string, Factory>& Registry() {
  static const std::map<std::string, Factory> r = {
      {"cursor", MakeCursorMetric}, {"fvd", MakeFvdMetric},   {"lpips", MakeLpipsMetric},
      {"ocr", MakeOcrMetric},       {"psnr", MakePsnrMetric}, {"ssim", MakeSsimMetric},
  };
  return r;
}
// The base metric's options under a frame selection (+W or _all): FVD then subsamples/pads
// each clip's selected frames to 16 uniformly (its default takes the first 16).
nlohmann::json SelectedBaseOptions(const std::string& base, const nlohmann::json& options) {
  nlohmann::json o = options.is_null() ? nlohmann::json::object() : options;
  if (base == "fvd" && !o.contains("clip")) o["clip"] = "uniform";
  return o;
}
}  // namespace

std::vector<std::string> MetricNames() {
  std::vector<std::string> names;
  for (const auto& [name, f] : Registry()) names.push_back(name);
  return names;
}

std::string MetricHelp() {
  std::string all, decoded, windowed;
  for (const auto& n : MetricNames()) {
    all += (all.empty() ? "" : ", ") + n;
    if (n != "ocr") windowed += (windowed.empty() ? "" : ", ") + n + "+W";
    if (n != "ocr" && n != "cursor") decoded += (decoded.empty() ? "" : ", ") + n + "_all";
  }
  return "Metrics: " + all + " (fvd.detector=r3d18 names it fvd_r3d18). " +
         "On the GUIWorld decode (3 fps, 256 px short side, first 5 s): " + decoded + ". " +
         "On the W frames after each action event (the paper's +15): " + windowed +
         ", e.g. ssim+15";
}

std::unique_ptr<Metric> CreateMetric(const std::string& name, const nlohmann::json& options,
                                     const MetricEnv& env) {
  // "<metric>+<W>": the metric on the action windows of W frames (selection/frame_selection.h);
  // its options may add "window_offset".
  if (const auto plus = name.find('+'); plus != std::string::npos) {
    const std::string base = name.substr(0, plus), w = name.substr(plus + 1);
    if (w.empty() || w.size() > 4 || !std::all_of(w.begin(), w.end(), ::isdigit) ||
        std::stoi(w) < 1) {
      throw Error("metric '" + name +
                  "': the action window after '+' must be a number of frames, e.g. ssim+15");
    }
    if (base == "ocr")
      throw Error("metric '" + name +
                  "': ocr has its own frame selection (ocr.k); no action windows");
    nlohmann::json o = SelectedBaseOptions(base, options);
    const int64_t offset = o.value("window_offset", int64_t{-1});
    o.erase("window_offset");
    return WithActionWindow(CreateMetric(base, o, env), std::stoi(w), offset);
  }
  // "<metric>_all": the metric on the GUIWorld decode (selection/frame_selection.h); its
  // options may add decode_fps, decode_size, decode_max_s.
  if (name.size() > 4 && name.compare(name.size() - 4, 4, "_all") == 0 &&
      Registry().count(name.substr(0, name.size() - 4))) {
    const std::string base = name.substr(0, name.size() - 4);
    if (base == "ocr" || base == "cursor") {
      throw Error("metric '" + name + "': " + base +
                  " reads the full-size frames; it has no _all decode");
    }
    nlohmann::json o = SelectedBaseOptions(base, options);
    DecodeOptions d;
    d.fps = o.value("decode_fps", d.fps);
    d.size = o.value("decode_size", d.size);
    d.max_s = o.value("decode_max_s", d.max_s);
    for (const char* k : {"decode_fps", "decode_size", "decode_max_s"}) o.erase(k);
    if (!(d.fps > 0) || d.size < 0 || !(d.max_s > 0)) {
      throw Error("metric '" + name +
                  "': decode_fps and decode_max_s must be > 0, decode_size >= 0");
    }
    return WithDecode(CreateMetric(base, o, env), d);
  }
  auto it = Registry().find(name);
  if (it == Registry().end()) {
    std::string known;
    for (const auto& n : MetricNames()) known += (known.empty() ? "" : ", ") + n;
    throw Error("unknown metric '" + name + "'; available: " + known);
  }
  return it->second(options.is_null() ? nlohmann::json::object() : options, env);
}

std::vector<nlohmann::json> Metric::ObserveAcross(const std::vector<Metric*>&, const torch::Tensor&,
                                                  const torch::Tensor&) {
  throw Error("metric " + info().name + " scores one sample at a time (it is not batchable)");
}

MetricState Metric::StateOfSample(const nlohmann::json&) const {
  throw Error("metric " + info().name + " keeps no per-sample record to resume from");
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

void MetricState::AddArray(const std::string& key, const std::vector<double>& v) {
  auto& a = arrays[key];
  if (a.empty()) a.assign(v.size(), 0.0);
  if (a.size() != v.size()) {
    throw Error("metric state '" + key + "': cannot merge arrays of " + std::to_string(a.size()) +
                " and " + std::to_string(v.size()) + " values (different feature extractors?)");
  }
  for (size_t i = 0; i < v.size(); ++i) a[i] += v[i];
}

nlohmann::json MetricState::ToJson() const {
  nlohmann::json j = sums;
  for (const auto& [k, v] : arrays) j[k] = v;
  return j;
}

MetricState MetricState::FromJson(const nlohmann::json& j) {
  MetricState s;
  for (const auto& [k, v] : j.items()) {
    if (v.is_array()) {
      s.arrays[k] = v.get<std::vector<double>>();
    } else {
      s.sums[k] = v.get<double>();
    }
  }
  return s;
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
