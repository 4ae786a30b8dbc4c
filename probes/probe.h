// The probe interface: a capability test that rolls the checkpoint out from prompts and first
// frames ncbench makes itself (not from the dataset), and reports under probes.<name>.
//
// A probe is a folder under probes/ and one line in probes/registry.cpp. `eval --probes NAME`
// makes it from its options (the CLI's probe flags, JSON), before the model is loaded, so that
// a bad option fails at once; it runs after the dataset's samples, on shard 1 only.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/checkpoint/checkpoint.h"
#include "core/logger.h"

namespace ncb {

// The run's own dataset, for probes that roll its samples out again with changed conditioning
// (the counterfactual probe). `eval` provides it (bench/run/counterfactual_pass.h).
class DatasetRollouts {
 public:
  virtual ~DatasetRollouts() = default;
  // The records of the samples the run scored ("ok"), in manifest order: id, line, modality,
  // num_frames, scores.
  virtual std::vector<nlohmann::json> ScoredSamples() const = 0;
  // config.metrics of the run: how to read the score keys (core/output_keys.h).
  virtual const nlohmann::json& MetricConfigs() const = 0;
  // Rolls every sample `line` of `partner` out again with the conditioning of the sample
  // partner[line] (its prompt; its action tensor cut, or padded with rows of no event, to the
  // sample's own T) and scores it against its own ground truth and log with the run's metrics
  // (no baselines). Metrics that read the cursor log also score the rollout against the log it
  // was given, under KEY_given_log. Returns each sample's record ({"status": "ok", "scores"}
  // or an error record) by line.
  virtual std::map<int, nlohmann::json> RolloutWith(const std::map<int, int>& partner) = 0;
};

// What a probe gets from the run.
struct ProbeContext {
  Checkpoint& checkpoint;
  int64_t seed = 0;
  RolloutMode mode = RolloutMode::kRollout;
  int batch_size = 1;
  const Logger& log;
  DatasetRollouts* dataset = nullptr;  // null outside `eval`
};

class Probe {
 public:
  virtual ~Probe() = default;
  virtual const std::string& name() const = 0;
  // The report's probes.<name>. Throws Error when the probe cannot run at all; failures of
  // single problems are recorded inside the result.
  virtual nlohmann::json Run(const ProbeContext& context) = 0;
  // Once the checkpoint is loaded, before anything is rolled out: throws Error when its spec
  // cannot take the probe's options (`eval` stops there, as for a bad option).
  virtual void Check(const NcSpec& spec) const { (void)spec; }
};

// The probes ncbench knows (registry.cpp), and a factory. An unknown name or option throws
// Error listing what is accepted.
std::vector<std::string> ProbeNames();
std::unique_ptr<Probe> CreateProbe(const std::string& name,
                                   const nlohmann::json& options = nlohmann::json::object());

}  // namespace ncb
