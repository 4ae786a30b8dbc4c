// The spec every NC checkpoint carries: `nc_spec.json` of the ncbench.nc/1 contract
// (docs/checkpoints.md).
//   {"contract": "ncbench.nc/1", "name": str, "modality": "cli"|"gui", "height": int,
//    "width": int, "fps": number, "action_dim": int,
//    "action_encoding": "none"|"ncbench.actions/1"}
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ncb {

inline constexpr const char* kContract = "ncbench.nc/1";
inline constexpr const char* kSpecFile = "nc_spec.json";

struct NcSpec {
  std::string name;
  std::string modality;  // "cli" | "gui"
  int height = 0;
  int width = 0;
  double fps = 0;
  int action_dim = 0;
  std::string action_encoding = "none";

  // Validates every field; throws ContractError "<where>: field \"x\": expected ..., got ...".
  static NcSpec FromJson(const nlohmann::json& j, const std::string& where);
  nlohmann::json ToJson() const;
};

}  // namespace ncb
