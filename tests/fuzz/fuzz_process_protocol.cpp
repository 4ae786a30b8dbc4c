// The process adapter's messages (ncbench.nc-process/1): the first line is a server's
// handshake, every further line the header of a reply to a step request.
#include <sstream>

#include "bench/checkpoint/process_protocol.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  std::string line;
  if (!std::getline(in, line)) return 0;
  ncb::fuzz::ExpectCleanError([&] {
    const ncb::ProcessHandshake h = ncb::ParseHandshake(line);
    (void)h.spec.ToJson().dump();
  });
  const ncb::TensorShapes expect = {{"frame", {2, 3, 48, 64}}};
  while (std::getline(in, line)) {
    ncb::fuzz::ExpectCleanError(
        [&] { ncb::CheckReply(ncb::ParseProtocolHeader(line, "reply"), "step", expect); });
  }
  return 0;
}
