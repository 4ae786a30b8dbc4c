// The static baseline and skill (docs/report.md#baselines-and-skill).
//
// A checkpoint that only repeats its conditioning frame already scores well on terminal
// footage, where most pixels never change. So every metric of a run (unless --baselines none)
// is scored twice on the same samples by the same code: on the model's frames, and on the
// conditioning frame repeated (no model call: the ground truth is decoded anyway). Beside each
// of the metric's keys K the scores and aggregates then carry
//   K_static  the static baseline's value,
//   K_skill   (K - K_static) / (ideal - K_static): 0 copies, 1 is ideal, below 0 is worse than
//             copying; ideal is 0 for lower-is-better keys (LPIPS, FVD, distances), else 1,
//   K_gain    for keys in dB (PSNR): the gain in dB, K - K_static; for a per-frame dB key
//             (psnr, psnr_changed) paired by frame: per sample the mean over frames where both
//             are finite of the frame's difference, over the dataset the mean of the samples'
//             gains (a frame the baseline reproduces exactly has no finite PSNR and would
//             otherwise leave the baseline's mean only),
// and the per-frame records K_static, the baseline's curve. The baseline's sufficient
// statistics live in the metric's own state under "static:" keys, so shards merge, --resume
// keeps them, and the bootstrap draws the same samples for model, baseline and skill (paired
// intervals).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>

#include "metrics/metric.h"

namespace ncb {

// The prefix of the baseline's keys in a metric state.
inline constexpr const char* kStaticStatePrefix = "static:";

// `model` scored as before, with `baseline` (a second instance of the same metric, from the
// same factory and options) scoring the sample's conditioning frame against the same ground
// truth. The result has the model's name, version and options.
std::unique_ptr<Metric> WithStaticBaseline(std::unique_ptr<Metric> model,
                                           std::unique_ptr<Metric> baseline);

// Adds K_static and K_skill (or K_gain) to `scores` for every top-level key K that both
// `scores` and `baseline` have and that `metric_config` ({name, unit, direction, outputs})
// calls a quantity with a direction. A skill that is not defined (the baseline already ideal,
// a score undefined) is null with K_skill_null_reason.
void AddSkillScores(nlohmann::json* scores, const nlohmann::json& baseline,
                    const nlohmann::json& metric_config);

}  // namespace ncb
