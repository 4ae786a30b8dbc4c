// Reference checkpoints that ncbench makes itself, in the ncbench.nc/1 format, with no
// Python: TorchScript source compiled by LibTorch (Module::define) and saved with the spec.
#pragma once

#include <filesystem>
#include <functional>
#include <opencv2/core.hpp>
#include <optional>
#include <string>

#include "bench/checkpoint/nc_spec.h"

namespace torch::jit {
struct Module;  // torch/script.h, which this header leaves to its users that need it
}  // namespace torch::jit

namespace ncb {

// Compiles `torchscript_source` (methods of one module) and saves it to `path` with
// `spec_json` as nc_spec.json (no spec file when nullopt). Used for the baselines and by
// tests that need checkpoints breaking one contract rule each. `prepare` may register the
// buffers and attributes the source uses (self.x) before it is compiled.
void SaveScriptedCheckpoint(const std::string& module_name, const std::string& torchscript_source,
                            const std::optional<std::string>& spec_json,
                            const std::filesystem::path& path,
                            const std::function<void(torch::jit::Module&)>& prepare = nullptr);

// The static baseline: every generated frame repeats the first frame. Has rollout, init
// and step, so it also exercises the streaming path.
void WriteStaticBaseline(NcSpec spec, const std::filesystem::path& path);

// The GUI cursor reference: every generated frame is the first frame with `sprite` (8-bit
// BGRA, already at the canvas's scale) drawn with its hotspot at the frame's ncbench.actions/1
// cursor position (dims 0-1; nothing where they are -1). With `ignore_actions` the sprite
// stays at the canvas centre whatever the actions say. spec gets modality gui and the
// ncbench.actions/1 encoding. Has rollout, init and step.
void WriteCursorCheckpoint(NcSpec spec, const cv::Mat& sprite, double hot_x, double hot_y,
                           bool ignore_actions, const std::filesystem::path& path);

}  // namespace ncb
