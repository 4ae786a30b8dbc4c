// `ncbench datasets import-vhs`: a manifest for a folder of vhs tapes paired with their
// rendered videos (the CLIGen (Clean) layout: demo_N.tape beside demo_N.mp4).
#pragma once

#include <filesystem>
#include <vector>

#include "core/logger.h"
#include "datasets/manifest.h"

namespace ncb {

// Writes `out` and returns its samples. A tape that does not parse still gets its line
// (and a warning), so `eval` reports the problem for that sample instead of dropping it.
// Captions: the tape's `# INSTRUCTION:` as "regular", the command summary as "semantic".
std::vector<Sample> ImportVhsFolder(const std::filesystem::path& dir,
                                    const std::filesystem::path& out,
                                    const Logger& log = NullLogger());

}  // namespace ncb
