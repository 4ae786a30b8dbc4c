// The `torchscript` adapter: ncbench.nc/1 archives saved with torch.jit.save.
#include <torch/script.h>

#include <sstream>

#include "bench/checkpoint/checkpoint.h"
#include "core/errors.h"
#include "core/hashing.h"

namespace ncb {
namespace {

// Shortens a framework exception (TorchScript tracebacks run to pages) to its first lines.
std::string Brief(const std::string& what) {
  std::istringstream in(what);
  std::string line, out;
  for (int i = 0; i < 6 && std::getline(in, line); ++i) out += (i ? " | " : "") + line;
  return out;
}

std::string Shape(const at::Tensor& t) {
  std::ostringstream s;
  s << t.sizes();
  return s.str();
}

class TorchScriptCheckpoint : public Checkpoint {
 public:
  TorchScriptCheckpoint(const std::string& path, const torch::Device& device)
      : path_(path), device_(device) {
    torch::jit::ExtraFilesMap extra{{kSpecFile, ""}};
    try {
      module_ = torch::jit::load(path, device, extra);
    } catch (const std::exception& e) {
      throw ContractError(
          At(path, "cannot be loaded as a TorchScript archive: " + Brief(e.what())));
    }
    module_.eval();
    const std::string& spec_text = extra[kSpecFile];
    if (spec_text.empty()) {
      throw ContractError(At(path, std::string("the archive has no extra file ") + kSpecFile +
                                       " (save it with torch.jit.save(m, path, _extra_files={'" +
                                       kSpecFile + "': json.dumps(spec)}))"));
    }
    nlohmann::json spec_json;
    try {
      spec_json = nlohmann::json::parse(spec_text);
    } catch (const std::exception& e) {
      throw ContractError(At(path, std::string(kSpecFile) + " is not valid JSON: " + e.what()));
    }
    spec_ = NcSpec::FromJson(spec_json, path);
    RequireMethod("rollout", {"first_frame", "prompts", "actions", "num_frames", "seed"}, true);
    const bool has_init = RequireMethod("init", {"first_frame", "prompts", "seed"}, false);
    const bool has_step = RequireMethod("step", {"state", "action"}, false);
    if (has_init != has_step) {
      throw ContractError(
          At(path, "has only one of init/step; the contract needs both or neither"));
    }
    can_step_ = has_init && has_step;
    sha256_ = Sha256File(path);
  }

  const NcSpec& spec() const override { return spec_; }
  bool can_step() const override { return can_step_; }
  nlohmann::json Describe() const override {
    nlohmann::json methods = {"rollout"};
    if (can_step_) methods.insert(methods.end(), {"init", "step"});
    return {{"adapter", "torchscript"},
            {"path", path_},
            {"sha256", sha256_},
            {"spec", spec_.ToJson()},
            {"methods", methods}};
  }

  std::unique_ptr<FrameStream> Rollout(const RolloutRequest& r, RolloutMode mode) override;

  const std::string& path() const { return path_; }
  std::string where() const override { return path_; }
  torch::jit::Module& module() { return module_; }
  const torch::Device& device() const { return device_; }

 private:
  // Checks that `name` exists with the contract's argument count; returns whether it exists.
  bool RequireMethod(const std::string& name, const std::vector<std::string>& args, bool required) {
    auto m = module_.find_method(name);
    if (!m) {
      if (!required) return false;
      std::string sig;
      for (const auto& a : args) sig += (sig.empty() ? "" : ", ") + a;
      throw ContractError(
          At(path_, "has no method " + name + "(" + sig + ") required by " + kContract));
    }
    const auto& schema = m->function().getSchema();
    const size_t got = schema.arguments().size() - 1;  // without self
    if (got != args.size()) {
      throw ContractError(At(path_, "method " + name + " takes " + std::to_string(got) +
                                        " arguments; " + kContract + " expects " +
                                        std::to_string(args.size())));
    }
    return true;
  }

  std::string path_;
  torch::Device device_;
  torch::jit::Module module_;
  NcSpec spec_;
  bool can_step_ = false;
  std::string sha256_;
};

c10::List<std::string> PromptList(const std::vector<std::string>& prompts) {
  c10::List<std::string> list;
  for (const auto& p : prompts) list.push_back(p);
  return list;
}

// All T frames from one rollout() call, handed out one step at a time.
class WholeRolloutStream : public FrameStream {
 public:
  explicit WholeRolloutStream(at::Tensor frames) : frames_(std::move(frames)) {}
  std::optional<torch::Tensor> Next() override {
    if (next_ >= frames_.size(1)) return std::nullopt;
    return frames_.select(1, next_++);
  }
  std::string mode() const override { return "rollout"; }

 private:
  at::Tensor frames_;
  int64_t next_ = 0;
};

// init() once, then step() per frame: frames are produced only when the runner asks.
class SteppedStream : public FrameStream {
 public:
  SteppedStream(TorchScriptCheckpoint* ckpt, const RolloutRequest& r)
      : ckpt_(ckpt),
        actions_(r.actions.to(ckpt->device())),
        steps_(r.num_frames),
        batch_(r.first_frame.size(0)) {
    torch::NoGradGuard no_grad;
    try {
      state_ = ckpt_->module().get_method("init")(
          {r.first_frame.to(ckpt->device()), PromptList(r.prompts), r.seed});
    } catch (const std::exception& e) {
      throw ContractError(At(ckpt_->path(), "init raised: " + Brief(e.what())));
    }
  }
  std::optional<torch::Tensor> Next() override {
    if (t_ >= steps_) return std::nullopt;
    torch::NoGradGuard no_grad;
    c10::IValue out;
    try {
      out = ckpt_->module().get_method("step")({state_, actions_.select(1, t_)});
    } catch (const std::exception& e) {
      throw ContractError(
          At(ckpt_->path(), "step " + std::to_string(t_) + " raised: " + Brief(e.what())));
    }
    const auto& spec = ckpt_->spec();
    if (!out.isTuple() || out.toTupleRef().elements().size() != 2 ||
        !out.toTupleRef().elements()[1].isTensor()) {
      throw ContractError(At(ckpt_->path(), "step returned " + out.tagKind() +
                                                "; expected Tuple[state, Tensor[B,3,H,W]]"));
    }
    state_ = out.toTupleRef().elements()[0];
    auto frame = out.toTupleRef().elements()[1].toTensor();
    if (frame.dim() != 4 || frame.size(0) != batch_ || frame.size(1) != 3 ||
        frame.size(2) != spec.height || frame.size(3) != spec.width) {
      throw ContractError(At(ckpt_->path(), "step returned a frame of shape " + Shape(frame) +
                                                "; expected [" + std::to_string(batch_) + ", 3, " +
                                                std::to_string(spec.height) + ", " +
                                                std::to_string(spec.width) + "]"));
    }
    ++t_;
    return frame;
  }
  std::string mode() const override { return "step"; }

 private:
  TorchScriptCheckpoint* ckpt_;
  at::Tensor actions_;
  int64_t steps_;
  int64_t batch_;
  int64_t t_ = 0;
  c10::IValue state_;
};

std::unique_ptr<FrameStream> TorchScriptCheckpoint::Rollout(const RolloutRequest& r,
                                                            RolloutMode mode) {
  if (mode == RolloutMode::kStep) {
    if (!can_step_)
      throw ContractError(At(path_, "step mode asked for, but the checkpoint has no init/step"));
    return std::make_unique<SteppedStream>(this, r);
  }
  torch::NoGradGuard no_grad;
  c10::IValue out;
  try {
    out = module_.get_method("rollout")({r.first_frame.to(device_), PromptList(r.prompts),
                                         r.actions.to(device_), r.num_frames, r.seed});
  } catch (const std::exception& e) {
    throw ContractError(At(path_, "rollout raised: " + Brief(e.what())));
  }
  if (!out.isTensor()) {
    throw ContractError(
        At(path_, "rollout returned " + out.tagKind() + "; expected Tensor[B,T,3,H,W]"));
  }
  auto frames = out.toTensor();
  const int64_t b = r.first_frame.size(0);
  if (frames.dim() != 5 || frames.size(0) != b || frames.size(1) != r.num_frames ||
      frames.size(2) != 3 || frames.size(3) != spec_.height || frames.size(4) != spec_.width) {
    throw ContractError(At(path_, "rollout returned shape " + Shape(frames) + "; expected [" +
                                      std::to_string(b) + ", " + std::to_string(r.num_frames) +
                                      ", 3, " + std::to_string(spec_.height) + ", " +
                                      std::to_string(spec_.width) + "]"));
  }
  return std::make_unique<WholeRolloutStream>(frames);
}

}  // namespace

std::unique_ptr<Checkpoint> OpenTorchScriptCheckpoint(const std::string& path,
                                                      const torch::Device& device) {
  if (!std::filesystem::exists(path))
    throw MissingError(At(path, "checkpoint file does not exist"));
  return std::make_unique<TorchScriptCheckpoint>(path, device);
}

}  // namespace ncb
