// GUIWorld action logs: the per-frame CSV and the action JSON (the first byte picks which),
// with wrong types, short rows, timestamps going backwards.
#include "datasets/gui_log.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool json = data[0] & 1;
  const auto path = ncb::fuzz::WriteInput(data + 1, size - 1, json ? ".json" : ".csv");
  ncb::fuzz::ExpectCleanError([&] {
    const auto log = ncb::ReadGuiLog(path);
    ncb::GuiActionTimes(log);
  });
  return 0;
}
