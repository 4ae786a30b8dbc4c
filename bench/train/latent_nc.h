// The project's own learned reference NC: a small convolutional latent model in the
// ncbench.nc/1 format, trained with LibTorch on recorded CLI clips.
//
// Model (TorchScript source compiled by LibTorch, so training and the saved checkpoint run
// the same code):
//   h_0 = E(avgpool_8(x_0)) + P(prompt)                 conv encoder of the first frame; the
//                                                        prompt as a 64-bin character histogram
//                                                        through a linear map, added per channel
//   h_t = h_{t-1} + 0.1 * tanh(F(h_{t-1}))               residual convolutional transition
//   x_t = clamp(x_0 + upsample_bilinear(G(h_t)), 0, 1)   the change from the first frame,
//                                                        decoded at 1/8 resolution
// Training rolls the model out open-loop from each clip's first frame (as ncbench evaluates
// it) and minimises the mean squared error of G(h_t) against avgpool_8(x_t) - avgpool_8(x_0),
// with Adam. The model is deterministic: the seed argument is ignored.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/logger.h"

namespace ncb {

struct LatentTrainOptions {
  std::string manifest;                         // training clips (recorded CLI tapes)
  std::filesystem::path out_dir;                // latent-step<N>.pt per saved step
  std::vector<int> save_steps = {0, 100, 400};  // the largest is the training length
  int channels = 8;
  int max_frames = 64;  // frames per clip per step (BPTT length)
  double learning_rate = 3e-3;
  uint64_t seed = 1;
  int threads = 0;  // 0: LibTorch's default
};

struct LatentTrainResult {
  std::vector<std::filesystem::path> checkpoints;
  std::vector<double> loss;  // per step, mean over clips
  double seconds = 0;
};

LatentTrainResult TrainLatentNc(const LatentTrainOptions& options,
                                const Logger& log = NullLogger());

}  // namespace ncb
