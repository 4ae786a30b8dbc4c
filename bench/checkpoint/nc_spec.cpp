#include "bench/checkpoint/nc_spec.h"

#include "core/errors.h"
#include "datasets/action_keys.h"

namespace ncb {
using nlohmann::json;

namespace {

const json& Field(const json& j, const char* name, const std::string& where) {
  if (!j.contains(name)) {
    throw ContractError(At(where, std::string("nc_spec.json has no field \"") + name + "\""));
  }
  return j[name];
}

[[noreturn]] void Bad(const std::string& where, const char* name, const std::string& expected,
                      const json& got) {
  throw ContractError(At(where, std::string("nc_spec.json field \"") + name + "\": expected " +
                                    expected + ", got " + got.dump()));
}

int IntIn(const json& j, const char* name, int lo, int hi, const std::string& where) {
  const json& v = Field(j, name, where);
  if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi) {
    Bad(where, name, "an integer in " + std::to_string(lo) + ".." + std::to_string(hi), v);
  }
  return v.get<int>();
}

std::string OneOf(const json& j, const char* name, std::initializer_list<const char*> allowed,
                  const std::string& where) {
  const json& v = Field(j, name, where);
  std::string list;
  for (const char* a : allowed) {
    if (v.is_string() && v.get<std::string>() == a) return a;
    list += (list.empty() ? "" : " or ") + std::string("\"") + a + "\"";
  }
  Bad(where, name, list, v);
}

}  // namespace

NcSpec NcSpec::FromJson(const json& j, const std::string& where) {
  if (!j.is_object()) throw ContractError(At(where, "nc_spec.json is not a JSON object"));
  OneOf(j, "contract", {kContract}, where);
  NcSpec s;
  const json& name = Field(j, "name", where);
  if (!name.is_string() || name.get<std::string>().empty())
    Bad(where, "name", "a non-empty string", name);
  s.name = name.get<std::string>();
  s.modality = OneOf(j, "modality", {"cli", "gui"}, where);
  s.height = IntIn(j, "height", 8, 8192, where);
  s.width = IntIn(j, "width", 8, 8192, where);
  const json& fps = Field(j, "fps", where);
  if (!fps.is_number() || !(fps.get<double>() > 0) || fps.get<double>() > 1000) {
    Bad(where, "fps", "a number in (0, 1000]", fps);
  }
  s.fps = fps.get<double>();
  s.action_dim = IntIn(j, "action_dim", 0, 65536, where);
  s.action_encoding = OneOf(j, "action_encoding", {"none", "ncbench.actions/1"}, where);
  if (s.action_encoding == kActionEncoding && s.action_dim != ActionDim()) {
    throw ContractError(
        At(where, "nc_spec.json: action_encoding \"ncbench.actions/1\" has action_dim " +
                      std::to_string(ActionDim()) + " (7 + " +
                      std::to_string(ActionKeyVocabulary().size()) + " keys), got " +
                      std::to_string(s.action_dim)));
  }
  if (s.action_encoding == "none" && s.action_dim != 0) {
    throw ContractError(
        At(where, "nc_spec.json: action_encoding \"none\" needs action_dim 0, got " +
                      std::to_string(s.action_dim)));
  }
  return s;
}

json NcSpec::ToJson() const {
  return {{"contract", kContract},    {"name", name},
          {"modality", modality},     {"height", height},
          {"width", width},           {"fps", fps},
          {"action_dim", action_dim}, {"action_encoding", action_encoding}};
}

}  // namespace ncb
