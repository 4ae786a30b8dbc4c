// Reference checkpoints that ncbench makes itself, in the ncbench.nc/1 format, with no
// Python: TorchScript source compiled by LibTorch (Module::define) and saved with the spec.
#pragma once

#include <torch/script.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "bench/checkpoint/nc_spec.h"

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

}  // namespace ncb
