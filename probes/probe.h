// The probe interface: a capability test that rolls the checkpoint out from prompts and first
// frames ncbench makes itself (not from the dataset), and reports under probes.<name>.
//
// A probe is a folder under probes/ and one line in probes/registry.cpp. `eval --probes NAME`
// makes it from its options (the CLI's probe flags, JSON), before the model is loaded, so that
// a bad option fails at once; it runs after the dataset's samples, on shard 1 only.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/checkpoint/checkpoint.h"
#include "core/logger.h"

namespace ncb {

// What a probe gets from the run.
struct ProbeContext {
  Checkpoint& checkpoint;
  int64_t seed = 0;
  RolloutMode mode = RolloutMode::kRollout;
  int batch_size = 1;
  const Logger& log;
};

class Probe {
 public:
  virtual ~Probe() = default;
  virtual const std::string& name() const = 0;
  // The report's probes.<name>. Throws Error when the probe cannot run at all; failures of
  // single problems are recorded inside the result.
  virtual nlohmann::json Run(const ProbeContext& context) = 0;
};

// The probes ncbench knows (registry.cpp), and a factory. An unknown name or option throws
// Error listing what is accepted.
std::vector<std::string> ProbeNames();
std::unique_ptr<Probe> CreateProbe(const std::string& name,
                                   const nlohmann::json& options = nlohmann::json::object());

}  // namespace ncb
