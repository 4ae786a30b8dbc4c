// The GUI recorder's .gui scripts.
#include "datasets/record/gui_script.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = ncb::fuzz::WriteInput(data, size, ".gui");
  ncb::fuzz::ExpectCleanError([&] { ncb::ReadGuiScript(path); });
  return 0;
}
