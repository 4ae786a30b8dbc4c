// asciinema v2 casts: header, events, invalid UTF-8, huge or negative sizes and times.
#include <sstream>

#include "datasets/cast.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ncb::fuzz::ExpectCleanError([&] {
    std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
    ncb::ParseCast(in, "fuzz.cast");
  });
  return 0;
}
