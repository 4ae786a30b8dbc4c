// The messages of ncbench.nc-process/1 (docs/checkpoints.md#process), parsed and checked
// without LibTorch: the handshake, and a reply's header before any tensor bytes are read.
// Kept apart from the adapter so that tests/fuzz/fuzz_process_protocol can feed them anything.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "bench/checkpoint/nc_spec.h"
#include "core/errors.h"

namespace ncb {

inline constexpr const char* kProcessProtocol = "ncbench.nc-process/1";

// The server broke the protocol (a bad line, a missing field, a wrong shape): the stream can
// no longer be trusted, so the adapter restarts the server.
class ProtocolError : public ContractError {
 public:
  using ContractError::ContractError;
};

struct ProcessHandshake {
  NcSpec spec;
  bool can_step = false;  // the server offers init/step besides rollout
  int max_batch = 1 << 20;
  nlohmann::json server;  // free-form: name, version, device (shown in the report)
  // Files the server says the model is made of (weights, configs), as paths relative to
  // ncbench's working directory: hashed into the checkpoint's identity.
  std::vector<std::string> model_files;
};

// One header line: a JSON object, else ProtocolError naming `what`.
nlohmann::json ParseProtocolHeader(const std::string& line, const std::string& what);

// The first line a server writes.
ProcessHandshake ParseHandshake(const std::string& line);

using TensorShapes = std::vector<std::pair<std::string, std::vector<int64_t>>>;

// A reply's header for request `op`. {"ok": false, "error": "..."} (the model raised) throws
// ContractError; a broken reply, or tensors other than `expect` (names and shapes, in order),
// ProtocolError.
void CheckReply(const nlohmann::json& reply, const std::string& op, const TensorShapes& expect);

std::string ShapeText(const std::vector<int64_t>& shape);

// The first place where two JSON values differ, as "field.sub: A vs B" ("" when equal): what
// changed between a server's handshake and its restart's.
std::string FirstDifference(const nlohmann::json& a, const nlohmann::json& b);

}  // namespace ncb
