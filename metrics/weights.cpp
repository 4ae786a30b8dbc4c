#include "metrics/weights.h"

#include <cstdlib>

#include "metrics/weights_dir.h"

namespace ncb {

std::filesystem::path DefaultWeightsDir() {
  if (const char* e = std::getenv("NCBENCH_WEIGHTS_DIR"); e != nullptr && *e != '\0') return e;
  return NCBENCH_DEFAULT_WEIGHTS_DIR;
}

}  // namespace ncb
