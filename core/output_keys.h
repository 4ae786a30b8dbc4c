// How a key of a report's scores is read: from the descriptors a metric carries in the report
// (config.metrics[].outputs: OutputKey in metrics/metric.h). The views (reports/) and the
// baselines (metrics/baselines/) read keys the same way, through this one matcher.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

namespace ncb {

struct KeyInfo {
  // "count", "note", "data" (a property of the ground truth alone, no direction: the changed
  // share of pixels), or a quantity ("ratio", "dB", "px", "")
  std::string kind;
  std::string direction;  // "higher_is_better" | "lower_is_better" ("" for counts and notes)
  bool count() const { return kind == "count"; }
  // A quantity with a direction: what a baseline, a skill and a paired comparison mean
  // something for (not a count, a note, or a property of the ground truth alone).
  bool directed() const {
    return !count() && kind != "note" && kind != "data" && !direction.empty();
  }
};

// The key a static-baseline key is derived from: "ssim" for "ssim_static", "ssim_skill" or
// "psnr_gain" (metrics/baselines/static_baseline.h); "" for any other key.
std::string BaselineKeyBase(const std::string& key);
// Whether `key` is longer than `suffix` and ends with it ("ssim_skill", "_skill"): a key
// derived from another by a suffix.
bool HasKeySuffix(const std::string& key, const std::string& suffix);

// The best descriptor of `key` among one metric's outputs ({name, unit, direction, outputs}):
// how well it matches (0: none; the key itself over a "*SUFFIX" pattern, a longer suffix over
// a shorter) and what it says.
std::pair<size_t, KeyInfo> BestOutputOf(const nlohmann::json& metric_config,
                                        const std::string& key);
// Fills what a descriptor left open: a key no descriptor names is one of a metric's main keys
// and takes the unit and direction of the metric (of `metrics`, an array of configs) whose
// name it starts with.
KeyInfo CompleteKeyInfo(KeyInfo info, const nlohmann::json& metrics, const std::string& key);
// Both, within one metric's config. Nested keys ("ceiling.gt_vs_reference_char_accuracy") are
// read by their last part.
KeyInfo DescribeKeyOf(const nlohmann::json& metric_config, const std::string& key);
// The same over every metric of a run (config.metrics), the best match winning.
KeyInfo DescribeKeyIn(const nlohmann::json& metric_configs, const std::string& key);
std::string LastKeyPart(const std::string& key);

}  // namespace ncb
