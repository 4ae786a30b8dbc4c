// The counterfactual probe (`eval --probes counterfactual`): does the model follow the
// conditioning it is given? Each scored sample is rolled out a second time with another
// sample's conditioning, and scored against its own ground truth:
//   - partners: a seeded derangement within each modality (Sattolo's algorithm, one cycle, so no
//     sample keeps its own; SplitMix64 seeded with run seed + fnv1a64("counterfactual"));
//   - CLI samples get the partner's caption; GUI samples the partner's action tensor, cut or
//     padded with rows of no event to their own T (docs/report.md#the-counterfactual-probe).
// Per score key both runs have: the mean under the true and under the counterfactual
// conditioning, their paired difference (true - counterfactual) with a 95% percentile
// bootstrap interval over samples, and the share of samples that score better (strictly) under
// their true conditioning. A model that ignores its conditioning has a difference of exactly 0.
// For metrics that read the cursor log, also the counterfactual rollout against the log it was
// given (KEY_given_log): a model that follows its actions puts the cursor where they say.
// Cost: one more rollout and scoring of every sample.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>

#include "probes/probe.h"

namespace ncb {

std::unique_ptr<Probe> MakeCounterfactualProbe(const nlohmann::json& options);

}  // namespace ncb
