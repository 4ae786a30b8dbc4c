// The `process` adapter: a model served by the user's own program over its standard input and
// output, protocol ncbench.nc-process/1 (docs/checkpoints.md#process). For NCs that cannot be
// exported to TorchScript (diffusion pipelines, billions of parameters, Python code).
//
// Every message, both ways, is one line of JSON followed by the raw bytes of the tensors its
// "tensors" field lists (float32, little-endian, C order, in the listed order). A server that
// crashes, hangs past the timeout, or breaks the protocol fails the samples in flight; it is
// started again for the next batch and the run goes on.
#include <torch/types.h>

#include <chrono>
#include <filesystem>
#include <memory>

#include "bench/checkpoint/checkpoint.h"
#include "bench/checkpoint/process_protocol.h"
#include "core/child_process.h"
#include "core/errors.h"
#include "core/hashing.h"

namespace ncb {
namespace {

using nlohmann::json;

constexpr size_t kMaxHeader = 1 << 20;

class ProcessCheckpoint : public Checkpoint {
 public:
  ProcessCheckpoint(std::string command, const torch::Device& device, double timeout_s)
      : command_(std::move(command)),
        where_("process server '" + command_ + "'"),
        device_(device),
        timeout_s_(timeout_s) {
    identity_ = Start(&spec_);
  }

  const NcSpec& spec() const override { return spec_; }
  bool can_step() const override { return can_step_; }
  int max_batch() const override { return max_batch_; }
  std::string where() const override { return where_; }
  double restart_seconds() const override { return restart_s_; }
  // What the server is: its command line, and a sha256 over what it said it serves (its spec,
  // methods, self-description) and the content of the model files it named.
  json Describe() const override {
    json content = identity_;  // the files by content: a copy elsewhere is the same model
    content["model_files"] = json::array();
    for (const auto& f : identity_["model_files"]) content["model_files"].push_back(f["sha256"]);
    json d = {{"adapter", "process"},
              {"path", "process:" + command_},
              {"command", command_},
              {"protocol", kProcessProtocol},
              {"sha256", Sha256Hex(content.dump())},
              {"sha256_of",
               "the handshake's spec, methods and server fields and the sha256 of each model file"},
              {"timeout_s", timeout_s_},
              {"restarts", restarts_}};
    for (const char* k : {"server", "spec", "methods", "model_files"}) d[k] = identity_[k];
    return d;
  }
  std::unique_ptr<FrameStream> Rollout(const RolloutRequest& r, RolloutMode mode) override;

  // One request and its reply: the reply's tensors, checked against `expect` (name, shape).
  std::vector<torch::Tensor> Call(const json& header, const std::vector<torch::Tensor>& tensors,
                                  const TensorShapes& expect) {
    if (!child_) {
      ++restarts_;
      const auto t0 = std::chrono::steady_clock::now();
      NcSpec unused;
      const json again = Start(&unused);
      restart_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (again != identity_) {
        Fail("the restarted server is not the one the run began with (" +
             FirstDifference(identity_, again) + "); the run never mixes two models");
      }
    }
    json h = header;
    h["tensors"] = json::array();
    for (size_t i = 0; i < tensors.size(); ++i) {
      h["tensors"].push_back({{"name", header["_names"][i]},
                              {"dtype", "float32"},
                              {"shape", tensors[i].sizes().vec()}});
    }
    h.erase("_names");
    const std::string line = h.dump() + "\n";
    if (!child_->Write(line.data(), line.size(), timeout_s_))
      Fail("stopped reading its input (" + Ended() + ")");
    for (const auto& t : tensors) {
      const auto c = t.to(torch::kCPU, torch::kFloat32).contiguous();
      if (!child_->Write(c.data_ptr(), static_cast<size_t>(c.numel()) * 4, timeout_s_)) {
        Fail("stopped reading its input (" + Ended() + ")");
      }
    }
    const std::string op = header.value("op", "");
    const json reply = ReadHeader("reply to " + op);
    try {
      CheckReply(reply, op, expect);
    } catch (const ProtocolError& e) {
      Fail(e.what());
    } catch (const ContractError& e) {
      throw ContractError(At(where_, e.what()));  // {"ok": false}: the server stays
    }
    return ReadTensors(op, expect);
  }

  // The child is gone or out of step: kill it (the next call starts a new one) and throw.
  [[noreturn]] void Fail(const std::string& what) {
    std::string tail;
    if (child_) {
      tail = child_->StderrTail();
      child_.reset();
    }
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
    if (tail.size() > 600) tail = "..." + tail.substr(tail.size() - 600);
    throw ContractError(
        At(where_, what + (tail.empty() ? "" : "; its last standard error: " + tail)));
  }
  const torch::Device& device() const { return device_; }

 private:
  std::string Ended() {
    const std::string d = child_ ? child_->ExitDescription() : "";
    return d.empty() ? "still running" : d;
  }

  std::string ReadHeaderLine(const std::string& what) {
    std::string line, why;
    if (!child_->ReadLine(&line, kMaxHeader, timeout_s_, &why)) {
      Fail("no " + what + ": " + why +
           (why.rfind("the program closed", 0) == 0 ? " (" + Ended() + ")" : ""));
    }
    return line;
  }

  json ReadHeader(const std::string& what) {
    const std::string line = ReadHeaderLine(what);
    try {
      return ParseProtocolHeader(line, what);
    } catch (const ProtocolError& e) {
      Fail(e.what());
    }
  }

  // The payloads of a reply CheckReply accepted.
  std::vector<torch::Tensor> ReadTensors(const std::string& op, const TensorShapes& expect) {
    std::vector<torch::Tensor> out;
    for (const auto& [name, shape] : expect) {
      auto t = torch::empty(shape, torch::kFloat32);
      std::string why;
      if (!child_->ReadExact(t.data_ptr(), static_cast<size_t>(t.numel()) * 4, timeout_s_, &why)) {
        Fail("reply to " + op + ": the bytes of \"" + name + "\": " + why);
      }
      out.push_back(t.to(device_));
    }
    return out;
  }

  // Starts the server and reads its handshake; returns what identifies it: spec, methods,
  // server, and the model files it names with their sha256.
  json Start(NcSpec* spec) {
    child_ = std::make_unique<ChildProcess>(command_);
    const std::string line = ReadHeaderLine("handshake");
    ProcessHandshake hello;
    try {
      hello = ParseHandshake(line);
    } catch (const ProtocolError& e) {
      Fail(e.what());
    }
    can_step_ = hello.can_step;
    max_batch_ = hello.max_batch;
    *spec = hello.spec;
    json methods = {"rollout"};
    if (can_step_) methods.insert(methods.end(), {"init", "step"});
    json files = json::array();
    for (const auto& f : hello.model_files) {
      if (!std::filesystem::is_regular_file(f)) {
        Fail("handshake: field \"model_files\": '" + f +
             "' is not a file (paths are relative to ncbench's working directory)");
      }
      files.push_back({{"path", f}, {"sha256", Sha256File(f)}});
    }
    return {{"spec", hello.spec.ToJson()},
            {"methods", methods},
            {"server", hello.server},
            {"model_files", files}};
  }

  std::string command_, where_;
  torch::Device device_;
  double timeout_s_;
  std::unique_ptr<ChildProcess> child_;
  NcSpec spec_;
  json identity_;
  bool can_step_ = false;
  int max_batch_ = 1 << 20;
  int64_t restarts_ = 0;
  double restart_s_ = 0;  // starting servers again after a fault, handshakes included
};

json Request(const std::string& op, const RolloutRequest& r, std::vector<std::string> names) {
  return {{"op", op},
          {"ids", r.ids},
          {"prompts", r.prompts},
          {"seed", r.seed},
          {"num_frames", r.num_frames},
          {"_names", std::move(names)}};
}

class WholeStream : public FrameStream {
 public:
  explicit WholeStream(torch::Tensor frames) : frames_(std::move(frames)) {}
  std::optional<torch::Tensor> Next() override {
    if (next_ >= frames_.size(1)) return std::nullopt;
    return frames_.select(1, next_++);
  }
  std::string mode() const override { return "rollout"; }

 private:
  torch::Tensor frames_;
  int64_t next_ = 0;
};

class StepStream : public FrameStream {
 public:
  StepStream(ProcessCheckpoint* c, const RolloutRequest& r)
      : c_(c), actions_(r.actions), steps_(r.num_frames), batch_(r.first_frame.size(0)) {
    c_->Call(Request("init", r, {"first_frame"}), {r.first_frame}, {});
  }
  std::optional<torch::Tensor> Next() override {
    if (t_ >= steps_) return std::nullopt;
    const auto& s = c_->spec();
    auto out = c_->Call({{"op", "step"}, {"t", t_}, {"_names", {"action"}}},
                        {actions_.select(1, t_)}, {{"frame", {batch_, 3, s.height, s.width}}});
    ++t_;
    return out[0];
  }
  std::string mode() const override { return "step"; }

 private:
  ProcessCheckpoint* c_;
  torch::Tensor actions_;
  int64_t steps_, batch_, t_ = 0;
};

std::unique_ptr<FrameStream> ProcessCheckpoint::Rollout(const RolloutRequest& r, RolloutMode mode) {
  if (mode == RolloutMode::kStep) {
    if (!can_step_)
      throw ContractError(At(where_, "step mode asked for, but the server offers no init/step"));
    return std::make_unique<StepStream>(this, r);
  }
  const int64_t b = r.first_frame.size(0);
  auto out = Call(Request("rollout", r, {"first_frame", "actions"}), {r.first_frame, r.actions},
                  {{"frames", {b, r.num_frames, 3, spec_.height, spec_.width}}});
  return std::make_unique<WholeStream>(out[0]);
}

}  // namespace

std::unique_ptr<Checkpoint> OpenProcessCheckpoint(const std::string& command,
                                                  const torch::Device& device, double timeout_s) {
  if (command.empty()) throw Error("checkpoint 'process:': expected a command after process:");
  if (!(timeout_s > 0)) throw Error("--process-timeout must be positive");
  return std::make_unique<ProcessCheckpoint>(command, device, timeout_s);
}

}  // namespace ncb
