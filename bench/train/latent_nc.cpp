#include "bench/train/latent_nc.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "bench/checkpoint/nc_spec.h"
#include "bench/checkpoint/reference_checkpoints.h"
#include "bench/rollout/rollout.h"
#include "core/errors.h"
#include "core/throughput.h"
#include "datasets/manifest.h"

namespace ncb {
namespace {

constexpr int kPool = 8;
constexpr int kPromptBins = 64;

// The model's methods (ncbench.nc/1: rollout, init, step) plus predict_low, which training
// calls. Pooling is a strided convolution with a constant 1/64 kernel, so only conv2d and
// upsample_bilinear2d are needed.
const char* kSource = R"(
def pool(self, x: Tensor) -> Tensor:
    return torch.conv2d(x, self.pool_k, None, [8, 8], [0, 0], [1, 1], 3)

def prompt_code(self, prompts: List[str]) -> Tensor:
    rows: List[Tensor] = []
    for p in prompts:
        v = torch.zeros([64])
        for c in p:
            v[ord(c) % 64] += 1.0
        rows.append(v / float(max(1, len(p))))
    e = torch.stack(rows).to(self.prompt_w.device)
    return torch.matmul(e, self.prompt_w.t()).unsqueeze(-1).unsqueeze(-1)

def start(self, x0_low: Tensor, prompts: List[str]) -> Tensor:
    z = torch.relu(torch.conv2d(x0_low, self.enc1_w, self.enc1_b, [1, 1], [1, 1]))
    return torch.conv2d(z, self.enc2_w, self.enc2_b, [1, 1], [1, 1]) + self.prompt_code(prompts)

def advance(self, h: Tensor) -> Tensor:
    u = torch.relu(torch.conv2d(h, self.tr1_w, self.tr1_b, [1, 1], [1, 1]))
    return h + 0.1 * torch.tanh(torch.conv2d(u, self.tr2_w, self.tr2_b, [1, 1], [1, 1]))

def decode(self, h: Tensor) -> Tensor:
    return torch.conv2d(h, self.dec_w, self.dec_b, [1, 1], [1, 1])

def predict_low(self, x0_low: Tensor, prompts: List[str], num_frames: int) -> Tensor:
    h = self.start(x0_low, prompts)
    out: List[Tensor] = []
    for t in range(num_frames):
        h = self.advance(h)
        out.append(self.decode(h))
    return torch.stack(out, 1)

def render(self, first_frame: Tensor, delta: Tensor) -> Tensor:
    up = torch.upsample_bilinear2d(delta, [first_frame.size(2), first_frame.size(3)], False, None, None)
    return torch.clamp(first_frame + up, 0.0, 1.0)

def rollout(self, first_frame: Tensor, prompts: List[str], actions: Tensor, num_frames: int, seed: int) -> Tensor:
    d = self.predict_low(self.pool(first_frame), prompts, num_frames)
    frames: List[Tensor] = []
    for t in range(num_frames):
        frames.append(self.render(first_frame, d[:, t]))
    return torch.stack(frames, 1)

def init(self, first_frame: Tensor, prompts: List[str], seed: int) -> Tuple[Tensor, Tensor]:
    return (self.start(self.pool(first_frame), prompts), first_frame)

def step(self, state: Tuple[Tensor, Tensor], action: Tensor) -> Tuple[Tuple[Tensor, Tensor], Tensor]:
    h = self.advance(state[0])
    return ((h, state[1]), self.render(state[1], self.decode(h)))
)";

struct Clip {
  std::string prompt;
  torch::Tensor low;  // [T+1, 3, h, w]: frames 0..T pooled
};

// The spec every saved checkpoint carries (each renamed by its step).
NcSpec LatentSpec() {
  NcSpec spec;
  spec.name = "latent-nc";
  spec.modality = "cli";
  spec.height = 408;
  spec.width = 640;
  spec.fps = 15;
  return spec;
}

// Every clip's first max_frames + 1 frames, pooled with `pool_k`.
std::vector<Clip> PoolClips(const Manifest& manifest, const LatentTrainOptions& o,
                            const NcSpec& spec, const torch::Tensor& pool_k) {
  AlignOptions align;
  align.max_frames = o.max_frames;
  auto pool = [&](const torch::Tensor& x) {
    const std::vector<int64_t> stride = {kPool, kPool}, pad = {0, 0}, dil = {1, 1};
    return torch::conv2d(x.unsqueeze(0), pool_k, torch::Tensor(), stride, pad, dil, 3).squeeze(0);
  };
  std::vector<Clip> clips;
  for (const auto& s : manifest.samples) {
    auto p = PrepareSample(s, spec, align);
    std::vector<torch::Tensor> frames = {pool(p.first_frame)};
    for (int64_t k = 1; k <= p.num_frames; ++k)
      frames.push_back(pool(NextGroundTruthFrame(p, spec, align)));
    clips.push_back({p.prompt, torch::stack(frames)});
  }
  return clips;
}

// The untrained model: `c` latent channels, weights drawn from torch's seeded generator, and
// kSource's methods.
torch::jit::Module BuildLatentModule(int c, const torch::Tensor& pool_k) {
  auto param = [&](std::vector<int64_t> shape, double scale) {
    return torch::randn(shape) * scale;
  };
  auto fan = [](int in, int k) { return std::sqrt(2.0 / (in * k * k)); };
  torch::jit::Module m("ncbench_latent_nc");
  m.register_buffer("pool_k", pool_k);
  m.register_parameter("enc1_w", param({c, 3, 3, 3}, fan(3, 3)), false);
  m.register_parameter("enc1_b", torch::zeros({c}), false);
  m.register_parameter("enc2_w", param({c, c, 3, 3}, fan(c, 3)), false);
  m.register_parameter("enc2_b", torch::zeros({c}), false);
  m.register_parameter("prompt_w", param({c, kPromptBins}, 0.1), false);
  m.register_parameter("tr1_w", param({c, c, 3, 3}, fan(c, 3)), false);
  m.register_parameter("tr1_b", torch::zeros({c}), false);
  m.register_parameter("tr2_w", param({c, c, 3, 3}, fan(c, 3)), false);
  m.register_parameter("tr2_b", torch::zeros({c}), false);
  m.register_parameter("dec_w", param({3, c, 3, 3}, 0.1), false);
  m.register_parameter("dec_b", torch::zeros({3}), false);
  m.define(kSource);
  return m;
}

// Runs every clip forward and backward, accumulating the gradients of the mean loss over
// clips, and returns that loss.
double AccumulateGradients(torch::jit::Module& m, const std::vector<Clip>& clips) {
  double total = 0;
  for (const auto& clip : clips) {
    const int64_t T = clip.low.size(0) - 1;
    const auto x0 = clip.low.narrow(0, 0, 1);
    const auto target = (clip.low.narrow(0, 1, T) - x0).unsqueeze(0);  // [1,T,3,h,w]
    c10::List<std::string> prompts;
    prompts.push_back(clip.prompt);
    auto pred = m.run_method("predict_low", x0, prompts, T).toTensor();
    auto loss = torch::mse_loss(pred, target) / static_cast<double>(clips.size());
    loss.backward();
    total += loss.item<double>();
  }
  return total;
}

}  // namespace

LatentTrainResult TrainLatentNc(const LatentTrainOptions& o, const Logger& log) {
  const auto t0 = std::chrono::steady_clock::now();
  if (o.save_steps.empty()) throw Error("train: no steps to save");
  if (o.threads > 0) torch::set_num_threads(o.threads);
  torch::manual_seed(o.seed);
  const NcSpec spec = LatentSpec();

  // Every clip's first max_frames + 1 frames, pooled: a few MB for the whole set.
  const Manifest manifest = ReadManifest(o.manifest);
  for (const auto& e : manifest.errors)
    throw Error(At(o.manifest + ":" + std::to_string(e.line), e.message));
  const auto pool_k = torch::full({3, 1, kPool, kPool}, 1.0 / (kPool * kPool));
  const std::vector<Clip> clips = PoolClips(manifest, o, spec, pool_k);
  if (clips.empty()) throw Error(At(o.manifest, "has no samples to train on"));
  log(LogLevel::kInfo, "training on " + std::to_string(clips.size()) + " clips from " + o.manifest);

  torch::jit::Module m = BuildLatentModule(o.channels, pool_k);
  std::vector<torch::Tensor> params;
  for (const auto& p : m.parameters()) {
    p.set_requires_grad(true);
    params.push_back(p);
  }
  torch::optim::Adam adam(params, torch::optim::AdamOptions(o.learning_rate));

  LatentTrainResult result;
  const int last = *std::max_element(o.save_steps.begin(), o.save_steps.end());
  auto save = [&](int step) {
    NcSpec s = spec;
    s.name = "latent-nc-step" + std::to_string(step);
    const auto path = o.out_dir / ("latent-step" + std::to_string(step) + ".pt");
    std::filesystem::create_directories(o.out_dir);
    torch::jit::ExtraFilesMap extra{{kSpecFile, s.ToJson().dump()}};
    m.save(path.string(), extra);
    result.checkpoints.push_back(path);
    log(LogLevel::kInfo, "saved " + path.string());
  };
  for (int step = 0; step <= last; ++step) {
    if (std::find(o.save_steps.begin(), o.save_steps.end(), step) != o.save_steps.end()) save(step);
    if (step == last) break;
    adam.zero_grad();
    const double total = AccumulateGradients(m, clips);
    adam.step();
    result.loss.push_back(total);
    if (step % 25 == 0 || step + 1 == last) {
      log(LogLevel::kInfo, "step " + std::to_string(step + 1) + "/" + std::to_string(last) +
                               ": loss " + std::to_string(total) + " (" +
                               std::to_string(SecondsSince(t0)) + " s)");
    }
  }
  result.seconds = SecondsSince(t0);
  return result;
}

}  // namespace ncb
