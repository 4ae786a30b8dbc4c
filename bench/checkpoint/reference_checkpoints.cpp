#include "bench/checkpoint/reference_checkpoints.h"

#include <torch/script.h>

#include <opencv2/imgproc.hpp>

#include "core/errors.h"
#include "core/frame.h"
#include "datasets/action_encoding.h"

namespace ncb {

void SaveScriptedCheckpoint(const std::string& module_name, const std::string& source,
                            const std::optional<std::string>& spec_json,
                            const std::filesystem::path& path,
                            const std::function<void(torch::jit::Module&)>& prepare) {
  torch::jit::Module m(module_name);
  if (prepare) prepare(m);
  m.define(source);
  torch::jit::ExtraFilesMap extra;
  if (spec_json) extra[kSpecFile] = *spec_json;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  m.save(path.string(), extra);
}

void WriteStaticBaseline(NcSpec spec, const std::filesystem::path& path) {
  if (spec.name.empty()) spec.name = "static-baseline";
  static const char* kSource = R"(
def rollout(self, first_frame: Tensor, prompts: List[str], actions: Tensor, num_frames: int, seed: int) -> Tensor:
    # A view of the first frame at every step: no T copies (1 GB for 60 frames at 1600x900).
    return first_frame.unsqueeze(1).expand(first_frame.size(0), num_frames, first_frame.size(1), first_frame.size(2), first_frame.size(3))

def init(self, first_frame: Tensor, prompts: List[str], seed: int) -> Tensor:
    return first_frame.clone()

def step(self, state: Tensor, action: Tensor) -> Tuple[Tensor, Tensor]:
    return state, state.clone()
)";
  SaveScriptedCheckpoint("ncbench_static_baseline", kSource, spec.ToJson().dump(), path);
}

void WriteCursorCheckpoint(NcSpec spec, const cv::Mat& sprite, double hot_x, double hot_y,
                           bool ignore_actions, const std::filesystem::path& path) {
  NCB_CHECK(sprite.type() == CV_8UC4);
  if (spec.name.empty()) spec.name = ignore_actions ? "cursor-fixed" : "cursor";
  spec.modality = "gui";
  spec.action_encoding = kActionEncoding;
  spec.action_dim = ActionDim();
  static const char* kSource = R"(
def draw(self, frame: Tensor, action: Tensor) -> Tensor:
    H = frame.size(1)
    W = frame.size(2)
    x = float(action[0])
    y = float(action[1])
    if self.ignore_actions:
        x = 0.5
        y = 0.5
    if x < 0.0 or y < 0.0:
        return frame
    left = int(round(x * W - self.hot_x))
    top = int(round(y * H - self.hot_y))
    h = self.rgb.size(1)
    w = self.rgb.size(2)
    x0 = max(left, 0)
    y0 = max(top, 0)
    x1 = min(left + w, W)
    y1 = min(top + h, H)
    if x1 <= x0 or y1 <= y0:
        return frame
    a = self.alpha[:, y0 - top:y1 - top, x0 - left:x1 - left]
    c = self.rgb[:, y0 - top:y1 - top, x0 - left:x1 - left]
    out = frame.clone()
    out[:, y0:y1, x0:x1] = frame[:, y0:y1, x0:x1] * (1.0 - a) + c * a
    return out

def rollout(self, first_frame: Tensor, prompts: List[str], actions: Tensor, num_frames: int, seed: int) -> Tensor:
    frames: List[Tensor] = []
    for t in range(num_frames):
        step: List[Tensor] = []
        for b in range(first_frame.size(0)):
            step.append(self.draw(first_frame[b], actions[b, t]))
        frames.append(torch.stack(step))
    return torch.stack(frames, 1)

def init(self, first_frame: Tensor, prompts: List[str], seed: int) -> Tensor:
    return first_frame.clone()

def step(self, state: Tensor, action: Tensor) -> Tuple[Tensor, Tensor]:
    step: List[Tensor] = []
    for b in range(state.size(0)):
        step.append(self.draw(state[b], action[b]))
    return state, torch.stack(step)
)";
  cv::Mat bgr, alpha;
  cv::cvtColor(sprite, bgr, cv::COLOR_BGRA2BGR);
  cv::extractChannel(sprite, alpha, 3);
  const auto rgb = MatToFrame(bgr);
  const auto a = MatToFrame(alpha).narrow(0, 0, 1).contiguous();
  SaveScriptedCheckpoint(
      "ncbench_cursor", kSource, spec.ToJson().dump(), path, [&](torch::jit::Module& m) {
        m.register_buffer("rgb", rgb);
        m.register_buffer("alpha", a);
        m.register_attribute("hot_x", c10::FloatType::get(), hot_x);
        m.register_attribute("hot_y", c10::FloatType::get(), hot_y);
        m.register_attribute("ignore_actions", c10::BoolType::get(), ignore_actions);
      });
}

}  // namespace ncb
