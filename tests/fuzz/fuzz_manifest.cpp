// Dataset manifests (JSONL): each bad line must become a located error, never an escape.
#include "datasets/manifest.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = ncb::fuzz::WriteInput(data, size, ".jsonl");
  ncb::fuzz::ExpectCleanError([&] {
    const auto m = ncb::ReadManifest(path);
    for (const auto& s : m.samples) s.Caption("semantic");
  });
  return 0;
}
