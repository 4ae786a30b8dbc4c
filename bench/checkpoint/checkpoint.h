// The one seam between ncbench and the model under test.
//
// A Checkpoint rolls out a batch open-loop: given the first frame, the prompts and the
// per-frame actions, it yields the T frames that follow the first frame, one time step at a
// time, as float32 RGB [B,3,H,W] in [0,1]. Adapters:
//   torchscript:PATH  a TorchScript archive of the ncbench.nc/1 contract (torchscript_checkpoint)
//   videos:DIR        pre-rendered rollouts, one video or frame folder per sample id
//   process:COMMAND   a model served by the user's program over stdin/stdout
//                     (ncbench.nc-process/1, process_checkpoint.cpp)
// Nothing else in ncbench knows the model.
#pragma once

#include <torch/types.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bench/checkpoint/nc_spec.h"

namespace ncb {

struct RolloutRequest {
  std::vector<std::string> ids;      // sample ids, one per batch element
  torch::Tensor first_frame;         // [B,3,H,W] float32 in [0,1]
  std::vector<std::string> prompts;  // B captions
  torch::Tensor actions;             // [B,T,action_dim] float32
  int64_t num_frames = 0;            // T
  int64_t seed = 0;
};

// kRollout: one rollout() call for all T frames (the default); kStep: init() then one step()
// per frame (the checkpoint must offer both).
enum class RolloutMode { kRollout, kStep };

// Frames of a rollout, one time step per call: [B,3,H,W], or nullopt after T steps.
class FrameStream {
 public:
  virtual ~FrameStream() = default;
  virtual std::optional<torch::Tensor> Next() = 0;
  // "rollout" (one call for all T frames) or "step" (init + one step per frame).
  virtual std::string mode() const = 0;
};

class Checkpoint {
 public:
  virtual ~Checkpoint() = default;
  virtual const NcSpec& spec() const = 0;
  // Provenance for the report: adapter, path, sha256, spec, methods.
  virtual nlohmann::json Describe() const = 0;
  // How errors about this checkpoint begin ("m.pt", "process server 'python3 srv.py'"): the
  // adapter's own messages and the runner's checks of its frames name it the same way.
  virtual std::string where() const = 0;
  // Seconds spent starting the model again after a fault (the process adapter's restarts),
  // counted since the checkpoint was opened; the runner reports them apart from the rollout.
  virtual double restart_seconds() const { return 0; }
  // Largest batch the adapter takes (videos: 1).
  virtual int max_batch() const { return 1 << 20; }
  virtual bool can_step() const { return false; }
  // Starts a rollout. Contract violations throw ContractError naming the checkpoint.
  virtual std::unique_ptr<FrameStream> Rollout(const RolloutRequest& request, RolloutMode mode) = 0;
};

struct CheckpointOptions {
  double process_timeout_s = 600;  // process: the longest wait for one reply (or the handshake)
};

// Opens "torchscript:PATH", "videos:DIR", "process:COMMAND", or a bare PATH (a directory means
// videos, a file TorchScript). Models are placed on `device`.
std::unique_ptr<Checkpoint> OpenCheckpoint(const std::string& uri, const torch::Device& device,
                                           const CheckpointOptions& options = {});

std::unique_ptr<Checkpoint> OpenTorchScriptCheckpoint(const std::string& path,
                                                      const torch::Device& device);
std::unique_ptr<Checkpoint> OpenVideosCheckpoint(const std::string& dir,
                                                 const torch::Device& device);
// Starts `command` with /bin/sh -c and reads its handshake; throws ContractError when it breaks
// the protocol, MissingError when it cannot be started.
std::unique_ptr<Checkpoint> OpenProcessCheckpoint(const std::string& command,
                                                  const torch::Device& device, double timeout_s);

}  // namespace ncb
