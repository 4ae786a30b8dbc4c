#include "bench/checkpoint/reference_checkpoints.h"

#include <torch/script.h>

#include "bench/core/errors.h"

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

}  // namespace ncb
