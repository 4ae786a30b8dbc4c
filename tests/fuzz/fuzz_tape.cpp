// vhs tapes: unknown commands, bad durations, unterminated strings; then the timeline.
#include "datasets/tape.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ncb::fuzz::ExpectCleanError([&] {
    const auto tape =
        ncb::ParseTape(std::string(reinterpret_cast<const char*>(data), size), "fuzz.tape");
    ncb::TapeTimeline(tape);
    ncb::TapeEnteredCommands(tape);
  });
  return 0;
}
