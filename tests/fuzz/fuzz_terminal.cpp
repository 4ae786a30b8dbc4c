// The terminal emulator fed raw output bytes: escape-sequence floods, invalid UTF-8, resizes.
#include "datasets/terminal.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ncb::fuzz::ExpectCleanError([&] {
    ncb::Terminal term(24, 80);
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const size_t half = bytes.size() / 2;
    term.Feed(bytes.substr(0, half));
    if (size > 0 && data[0] == 'R')
      term.Resize(std::string(bytes.substr(1, std::min<size_t>(size - 1, 9))));
    term.Feed(bytes.substr(half));
    term.ScreenText();
  });
  return 0;
}
