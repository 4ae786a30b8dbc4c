#include "bench/checkpoint/process_protocol.h"

#include <algorithm>

#include "core/json_path.h"

namespace ncb {
using nlohmann::json;

std::string ShapeText(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

json ParseProtocolHeader(const std::string& line, const std::string& what) {
  json j;
  try {
    j = json::parse(line);
  } catch (const json::exception& e) {
    throw ProtocolError(what + " is not a JSON object line (" + e.what() + "): '" +
                        line.substr(0, 120) + "'");
  }
  if (!j.is_object())
    throw ProtocolError(what + " is not a JSON object line: '" + line.substr(0, 120) + "'");
  return j;
}

ProcessHandshake ParseHandshake(const std::string& line) {
  const json hello = ParseProtocolHeader(line, "handshake");
  const auto protocol = hello.find("protocol");
  if (protocol == hello.end() || !protocol->is_string() || *protocol != kProcessProtocol) {
    throw ProtocolError(std::string("handshake: field \"protocol\": expected \"") +
                        kProcessProtocol + "\", got " +
                        (protocol == hello.end() ? "none" : protocol->dump()));
  }
  if (!hello.contains("spec"))
    throw ProtocolError("handshake has no field \"spec\" (the nc_spec.json of ncbench.nc/1)");
  ProcessHandshake h;
  try {
    h.spec = NcSpec::FromJson(hello["spec"], "handshake");
  } catch (const ContractError& e) {
    throw ProtocolError(e.what());
  }
  const json methods = hello.contains("methods") ? hello["methods"] : json::array({"rollout"});
  if (!methods.is_array())
    throw ProtocolError("handshake: field \"methods\": expected an array of names, got " +
                        methods.dump());
  auto has = [&](const char* m) {
    return std::find(methods.begin(), methods.end(), m) != methods.end();
  };
  if (!has("rollout"))
    throw ProtocolError(
        "handshake: field \"methods\" lacks \"rollout\", which ncbench.nc/1 requires");
  if (has("init") != has("step"))
    throw ProtocolError("handshake: has only one of init/step; the contract needs both or neither");
  h.can_step = has("init");
  if (hello.contains("max_batch")) {
    const json& m = hello["max_batch"];
    if (!m.is_number_integer() || m.get<int64_t>() < 1 || m.get<int64_t>() > (1 << 20)) {
      throw ProtocolError(
          "handshake: field \"max_batch\": expected an integer in 1..1048576, got " + m.dump());
    }
    h.max_batch = m.get<int>();
  }
  h.server = hello.contains("server") ? hello["server"] : json(nullptr);
  if (hello.contains("model_files")) {
    const json& f = hello["model_files"];
    const bool strings = f.is_array() && std::all_of(f.begin(), f.end(),
                                                     [](const json& x) { return x.is_string(); });
    if (!strings)
      throw ProtocolError("handshake: field \"model_files\": expected an array of paths, got " +
                          f.dump().substr(0, 120));
    h.model_files = f.get<std::vector<std::string>>();
  }
  if (hello.contains("tensors") && !(hello["tensors"].is_array() && hello["tensors"].empty())) {
    throw ProtocolError(
        "handshake: field \"tensors\": the handshake carries no tensors; expected none or []");
  }
  return h;
}

void CheckReply(const json& reply, const std::string& op, const TensorShapes& expect) {
  const auto ok = reply.find("ok");
  if (ok == reply.end() || !ok->is_boolean()) {
    throw ProtocolError("reply to " + op +
                        " has no boolean field \"ok\": " + reply.dump().substr(0, 200));
  }
  if (!ok->get<bool>()) {
    // The server is fine; the request failed (the model raised): this batch's error.
    const auto err = reply.find("error");
    throw ContractError(
        op + " raised: " +
        (err != reply.end() && err->is_string() ? err->get<std::string>() : reply.dump()));
  }
  const auto tensors = reply.find("tensors");
  if (tensors == reply.end() || !tensors->is_array() || tensors->size() != expect.size()) {
    throw ProtocolError("reply to " + op + ": field \"tensors\": expected " +
                        std::to_string(expect.size()) + " tensor(s)");
  }
  // Every shape is checked before any payload is read: a wrong size would leave the stream
  // out of step.
  for (size_t i = 0; i < expect.size(); ++i) {
    const json& d = (*tensors)[i];
    const auto bad = [&](const std::string& why) {
      return ProtocolError("reply to " + op + ": tensor " + std::to_string(i) +
                           ": expected {name, dtype: \"float32\", shape: [int, ...]}; " + why);
    };
    if (!d.is_object()) throw bad("got " + d.dump().substr(0, 120));
    const auto dtype = d.find("dtype");
    if (dtype == d.end() || *dtype != "float32")
      throw bad("dtype " + (dtype == d.end() ? "missing" : dtype->dump()));
    const auto shape_j = d.find("shape");
    if (shape_j == d.end() || !shape_j->is_array()) throw bad("no shape array");
    std::vector<int64_t> shape;
    for (const json& n : *shape_j) {
      if (!n.is_number_integer()) throw bad("shape " + shape_j->dump().substr(0, 120));
      shape.push_back(n.get<int64_t>());
    }
    const auto name = d.find("name");
    if (name == d.end() || !name->is_string() || *name != expect[i].first) {
      throw ProtocolError("reply to " + op + ": tensor " + std::to_string(i) + " is named " +
                          (name == d.end() ? std::string("nothing") : name->dump()) +
                          "; expected \"" + expect[i].first + "\"");
    }
    if (shape != expect[i].second) {
      throw ProtocolError("reply to " + op + ": tensor \"" + expect[i].first + "\" has shape " +
                          ShapeText(shape) + "; expected " + ShapeText(expect[i].second));
    }
  }
}

std::string FirstDifference(const json& a, const json& b) {
  if (a == b) return "";
  const std::string path = DifferencePath(a, b);
  const auto text = [](const json& v) {
    return v == "(absent)" ? std::string("(absent)") : v.dump().substr(0, 200);
  };
  return (path.empty() ? "value" : path) + ": " + text(AtPath(a, path)) + " vs " +
         text(AtPath(b, path));
}

}  // namespace ncb
