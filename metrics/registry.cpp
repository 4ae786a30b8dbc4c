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
std::unique_ptr<Metric> MakePsnrChangedMetric(const nlohmann::json& options, const MetricEnv& env);
std::unique_ptr<Metric> MakeSsimChangedMetric(const nlohmann::json& options, const MetricEnv& env);
std::unique_ptr<Metric> MakeLpipsChangedMetric(const nlohmann::json& options, const MetricEnv& env);
// Their option tables (MetricOption), beside each factory.
const std::vector<MetricOption>& PsnrOptions();
const std::vector<MetricOption>& SsimOptionTable();
const std::vector<MetricOption>& CursorOptions();
const std::vector<MetricOption>& FvdOptions();
const std::vector<MetricOption>& LpipsOptions();
const std::vector<MetricOption>& OcrOptionTable();
const std::vector<MetricOption>& ChangedRegionOptionTable();
const std::vector<MetricOption>& LpipsChangedOptions();

namespace {
using Factory = std::function<std::unique_ptr<Metric>(const nlohmann::json&, const MetricEnv&)>;
struct Entry {
  Factory make;
  const std::vector<MetricOption>& (*options)();
};
const std::map<std::string, Entry>& Registry() {
  static const std::map<std::string, Entry> r = {
      {"cursor", {MakeCursorMetric, CursorOptions}},
      {"fvd", {MakeFvdMetric, FvdOptions}},
      {"lpips", {MakeLpipsMetric, LpipsOptions}},
      {"ocr", {MakeOcrMetric, OcrOptionTable}},
      {"psnr", {MakePsnrMetric, PsnrOptions}},
      {"ssim", {MakeSsimMetric, SsimOptionTable}},
      {"psnr_changed", {MakePsnrChangedMetric, ChangedRegionOptionTable}},
      {"ssim_changed", {MakeSsimChangedMetric, ChangedRegionOptionTable}},
      {"lpips_changed", {MakeLpipsChangedMetric, LpipsChangedOptions}},
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
  const nlohmann::json o = options.is_null() ? nlohmann::json::object() : options;
  CheckOptions(name, o, it->second.options());
  return it->second.make(o, env);
}

std::string MetricOptionHelp() {
  std::string out;
  for (const auto& [name, entry] : Registry()) {
    std::string opts;
    for (const auto& o : entry.options()) {
      opts += (opts.empty() ? "" : ", ") + o.key + " (" + o.type;
      if (!o.default_value.is_null()) opts += " " + o.default_value.dump();
      opts += std::string(o.names_metric ? ", in the name" : "") + ")";
    }
    out += (out.empty() ? "" : "; ") + name + ": " + opts;
  }
  return out;
}

const std::vector<MetricOption>& MetricOptionTable(const std::string& name) {
  auto it = Registry().find(name);
  if (it == Registry().end()) throw Error("unknown metric '" + name + "'");
  return it->second.options();
}

std::vector<nlohmann::json> Metric::ObserveAcross(const std::vector<Metric*>&, const torch::Tensor&,
                                                  const torch::Tensor&) {
  throw Error("metric " + info().name + " scores one sample at a time (it is not batchable)");
}

MetricState Metric::StateOfSample(const nlohmann::json&) const {
  throw Error("metric " + info().name + " keeps no per-sample record to resume from");
}

nlohmann::json DescribeOutputs(const Metric& metric) {
  std::vector<OutputKey> keys = metric.outputs();
  for (const char* count : {"samples", "frames", "samples_excluded", "*_frames"})
    keys.push_back({count, "count", "", false});
  nlohmann::json out = nlohmann::json::array();
  for (const auto& k : keys) {
    nlohmann::json o = {{"key", k.key}, {"kind", k.kind}};
    if (!k.direction.empty()) o["direction"] = k.direction;
    if (k.primary) o["primary"] = true;
    out.push_back(o);
  }
  return out;
}

nlohmann::json DescribeViews(const Metric& metric) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& v : metric.views())
    out.push_back({{"kind", v.kind}, {"key", v.key}, {"title", v.title}, {"unit", v.unit}});
  return out;
}

namespace {

bool HasType(const nlohmann::json& v, const std::string& type) {
  if (type == "number") return v.is_number();
  if (type == "integer") return v.is_number_integer();
  if (type == "boolean") return v.is_boolean();
  if (type == "string") return v.is_string();
  if (type == "array") {
    if (!v.is_array()) return false;
    for (const auto& x : v) {
      if (!x.is_number()) return false;
    }
    return true;
  }
  return false;
}

std::string NumberText(const nlohmann::json& v) { return v.dump(); }

}  // namespace

void CheckOptions(const std::string& metric, const nlohmann::json& options,
                  const std::vector<MetricOption>& table) {
  if (!options.is_object()) throw Error(metric + ": options must be a JSON object");
  for (const auto& [key, value] : options.items()) {
    const auto it = std::find_if(table.begin(), table.end(),
                                 [&key = key](const MetricOption& o) { return o.key == key; });
    if (it == table.end()) {
      std::string list;
      for (const auto& o : table) list += (list.empty() ? "" : ", ") + o.key;
      throw Error(metric + ": unknown option '" + key + "'; known: " + list);
    }
    if (!HasType(value, it->type)) {
      const std::string what = it->type == "array"     ? "an array of numbers"
                               : it->type == "integer" ? "an integer"
                                                       : "a " + it->type;
      throw Error(metric + ": option " + key + " must be " + what + ", got " + value.dump());
    }
  }
}

std::string NameSuffix(const nlohmann::json& values, const std::vector<MetricOption>& table) {
  std::string suffix;
  for (const auto& o : table) {
    if (!o.names_metric || !values.contains(o.key)) continue;
    const nlohmann::json& v = values[o.key];
    if (v == o.default_value) continue;
    if (v.is_string()) {
      suffix += "_" + v.get<std::string>();
    } else if (v.is_boolean()) {
      suffix += (v.get<bool>() ? "_" : "_no_") + o.key;
    } else if (v.is_array()) {
      std::string joined;
      for (const auto& x : v) joined += (joined.empty() ? "" : "-") + NumberText(x);
      suffix += "_" + o.key + joined;
    } else {
      suffix += "_" + o.key + NumberText(v);
    }
  }
  return suffix;
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
