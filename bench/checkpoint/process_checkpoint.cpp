// The `process` adapter: a model served by the user's own program over its standard input and
// output, protocol ncbench.nc-process/1 (docs/checkpoints.md#process). For NCs that cannot be
// exported to TorchScript (diffusion pipelines, billions of parameters, Python code).
//
// Every message, both ways, is one line of JSON followed by the raw bytes of the tensors its
// "tensors" field lists (float32, little-endian, C order, in the listed order). A server that
// crashes, hangs past the timeout, or breaks the protocol fails the samples in flight; it is
// started again for the next batch and the run goes on.
#include <torch/types.h>

#include <memory>

#include "bench/checkpoint/checkpoint.h"
#include "bench/core/child_process.h"
#include "bench/core/errors.h"

namespace ncb {
namespace {

using nlohmann::json;

inline constexpr const char* kProtocol = "ncbench.nc-process/1";
constexpr size_t kMaxHeader = 1 << 20;

std::string ShapeText(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

class ProcessCheckpoint : public Checkpoint {
 public:
  ProcessCheckpoint(std::string command, const torch::Device& device, double timeout_s)
      : command_(std::move(command)), where_("process server '" + command_ + "'"), device_(device),
        timeout_s_(timeout_s) {
    spec_ = Start();
  }

  const NcSpec& spec() const override { return spec_; }
  bool can_step() const override { return can_step_; }
  int max_batch() const override { return max_batch_; }
  json Describe() const override {
    json methods = {"rollout"};
    if (can_step_) methods.insert(methods.end(), {"init", "step"});
    return {{"adapter", "process"}, {"command", command_},      {"protocol", kProtocol},
            {"server", server_},    {"spec", spec_.ToJson()},  {"methods", methods},
            {"timeout_s", timeout_s_}, {"restarts", restarts_}};
  }
  std::unique_ptr<FrameStream> Rollout(const RolloutRequest& r, RolloutMode mode) override;

  // One request and its reply: the reply's tensors, checked against `expect` (name, shape).
  std::vector<torch::Tensor> Call(const json& header, const std::vector<torch::Tensor>& tensors,
                                  const std::vector<std::pair<std::string, std::vector<int64_t>>>& expect) {
    if (!child_) {
      ++restarts_;
      const NcSpec again = Start();
      if (again.ToJson() != spec_.ToJson()) Fail("restarted with another spec: " + again.ToJson().dump());
    }
    json h = header;
    h["tensors"] = json::array();
    for (size_t i = 0; i < tensors.size(); ++i) {
      h["tensors"].push_back({{"name", header["_names"][i]}, {"dtype", "float32"}, {"shape", tensors[i].sizes().vec()}});
    }
    h.erase("_names");
    const std::string line = h.dump() + "\n";
    if (!child_->Write(line.data(), line.size(), timeout_s_)) Fail("stopped reading its input (" + Ended() + ")");
    for (const auto& t : tensors) {
      const auto c = t.to(torch::kCPU, torch::kFloat32).contiguous();
      if (!child_->Write(c.data_ptr(), static_cast<size_t>(c.numel()) * 4, timeout_s_)) {
        Fail("stopped reading its input (" + Ended() + ")");
      }
    }
    const std::string op = header.value("op", "");
    json reply = ReadHeader("reply to " + op);
    if (!reply.contains("ok") || !reply["ok"].is_boolean()) Fail("reply to " + op + " has no boolean field \"ok\": " + reply.dump().substr(0, 200));
    if (!reply["ok"].get<bool>()) {
      // The server is fine; the request failed (the model raised): this batch's error.
      const std::string err = reply.contains("error") && reply["error"].is_string() ? reply["error"].get<std::string>() : reply.dump();
      throw ContractError(At(where_, op + " raised: " + err));
    }
    return ReadTensors(reply, op, expect);
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
    throw ContractError(At(where_, what + (tail.empty() ? "" : "; its last standard error: " + tail)));
  }
  const torch::Device& device() const { return device_; }

 private:
  std::string Ended() {
    const std::string d = child_ ? child_->ExitDescription() : "";
    return d.empty() ? "still running" : d;
  }

  json ReadHeader(const std::string& what) {
    std::string line, why;
    if (!child_->ReadLine(&line, kMaxHeader, timeout_s_, &why)) {
      Fail("no " + what + ": " + why + (why.rfind("the program closed", 0) == 0 ? " (" + Ended() + ")" : ""));
    }
    try {
      json j = json::parse(line);
      if (!j.is_object()) throw std::runtime_error("not a JSON object");
      return j;
    } catch (const std::exception& e) {
      Fail(what + " is not a JSON object line (" + std::string(e.what()) + "): '" + line.substr(0, 120) + "'");
    }
  }

  std::vector<torch::Tensor> ReadTensors(const json& reply, const std::string& op,
                                         const std::vector<std::pair<std::string, std::vector<int64_t>>>& expect) {
    if (!reply.contains("tensors") || !reply["tensors"].is_array() || reply["tensors"].size() != expect.size()) {
      Fail("reply to " + op + ": field \"tensors\": expected " + std::to_string(expect.size()) + " tensor(s)");
    }
    // Every shape is checked before any payload is read: a wrong size would leave the
    // stream out of step, so the server is restarted instead.
    for (size_t i = 0; i < expect.size(); ++i) {
      const json& d = reply["tensors"][i];
      std::vector<int64_t> shape;
      try {
        if (d.at("dtype") != "float32") throw std::runtime_error("dtype " + d.at("dtype").dump());
        shape = d.at("shape").get<std::vector<int64_t>>();
      } catch (const std::exception& e) {
        Fail("reply to " + op + ": tensor " + std::to_string(i) + ": expected {name, dtype: \"float32\", shape}; " + e.what());
      }
      if (shape != expect[i].second) {
        Fail("reply to " + op + ": tensor \"" + expect[i].first + "\" has shape " + ShapeText(shape) + "; expected " +
             ShapeText(expect[i].second));
      }
    }
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

  // Starts the server and reads its handshake; returns its spec.
  NcSpec Start() {
    child_ = std::make_unique<ChildProcess>(command_);
    json hello = ReadHeader("handshake");
    if (hello.value("protocol", "") != kProtocol) {
      Fail(std::string("handshake: field \"protocol\": expected \"") + kProtocol + "\", got " +
           (hello.contains("protocol") ? hello["protocol"].dump() : "none"));
    }
    if (!hello.contains("spec")) Fail("handshake has no field \"spec\" (the nc_spec.json of ncbench.nc/1)");
    NcSpec spec;
    try {
      spec = NcSpec::FromJson(hello["spec"], "handshake");
    } catch (const ContractError& e) {
      Fail(e.what());
    }
    const json methods = hello.value("methods", json::array({"rollout"}));
    auto has = [&](const char* m) { return methods.is_array() && std::find(methods.begin(), methods.end(), m) != methods.end(); };
    if (!has("rollout")) Fail("handshake: field \"methods\" lacks \"rollout\", which ncbench.nc/1 requires");
    if (has("init") != has("step")) Fail("handshake: has only one of init/step; the contract needs both or neither");
    can_step_ = has("init");
    max_batch_ = hello.value("max_batch", 1 << 20);
    if (max_batch_ < 1) Fail("handshake: field \"max_batch\": expected at least 1");
    server_ = hello.value("server", json(nullptr));
    return spec;
  }

  std::string command_, where_;
  torch::Device device_;
  double timeout_s_;
  std::unique_ptr<ChildProcess> child_;
  NcSpec spec_;
  json server_;
  bool can_step_ = false;
  int max_batch_ = 1 << 20;
  int64_t restarts_ = 0;
};

json Request(const std::string& op, const RolloutRequest& r, std::vector<std::string> names) {
  return {{"op", op}, {"ids", r.ids}, {"prompts", r.prompts}, {"seed", r.seed}, {"num_frames", r.num_frames},
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
    auto out = c_->Call({{"op", "step"}, {"t", t_}, {"_names", {"action"}}}, {actions_.select(1, t_)},
                        {{"frame", {batch_, 3, s.height, s.width}}});
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
    if (!can_step_) throw ContractError(At(where_, "step mode asked for, but the server offers no init/step"));
    return std::make_unique<StepStream>(this, r);
  }
  const int64_t b = r.first_frame.size(0);
  auto out = Call(Request("rollout", r, {"first_frame", "actions"}), {r.first_frame, r.actions},
                  {{"frames", {b, r.num_frames, 3, spec_.height, spec_.width}}});
  return std::make_unique<WholeStream>(out[0]);
}

}  // namespace

std::unique_ptr<Checkpoint> OpenProcessCheckpoint(const std::string& command, const torch::Device& device,
                                                  double timeout_s) {
  if (command.empty()) throw Error("checkpoint 'process:': expected a command after process:");
  if (!(timeout_s > 0)) throw Error("--process-timeout must be positive");
  return std::make_unique<ProcessCheckpoint>(command, device, timeout_s);
}

}  // namespace ncb
