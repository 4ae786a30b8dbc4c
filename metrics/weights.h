// Where metrics look up their weight files (LPIPS backbones and heads, FVD detectors).
#pragma once

#include <filesystem>

namespace ncb {

// $NCBENCH_WEIGHTS_DIR, else the project's weights/ folder that scripts/fetch-weights.sh fills.
std::filesystem::path DefaultWeightsDir();

}  // namespace ncb
