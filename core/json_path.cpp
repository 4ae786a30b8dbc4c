#include "core/json_path.h"

namespace ncb {
using nlohmann::json;

std::string DifferencePath(const json& a, const json& b, const std::string& at) {
  // Numbers compare by value: 180 read back from a file is unsigned, 180 made in memory signed.
  if (a.is_number() && b.is_number()) return a == b ? "" : at;
  if (a.type() != b.type()) return at;
  if (a.is_object()) {
    for (const auto& [k, v] : a.items()) {
      const std::string here = at.empty() ? k : at + "." + k;
      if (!b.contains(k)) return here;
      if (auto d = DifferencePath(v, b[k], here); !d.empty()) return d;
    }
    for (const auto& [k, v] : b.items()) {
      if (!a.contains(k)) return at.empty() ? k : at + "." + k;
    }
    return "";
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return at;
    for (size_t i = 0; i < a.size(); ++i) {
      if (auto d = DifferencePath(a[i], b[i], at + "[" + std::to_string(i) + "]"); !d.empty())
        return d;
    }
    return "";
  }
  return a == b ? "" : at;
}

json AtPath(const json& j, const std::string& dotted) {
  json cur = j;
  std::string part;
  for (size_t i = 0; i <= dotted.size(); ++i) {
    if (i == dotted.size() || dotted[i] == '.') {
      const auto br = part.find('[');
      const std::string key = part.substr(0, br);
      if (!key.empty()) cur = cur.is_object() && cur.contains(key) ? cur[key] : json("(absent)");
      for (size_t p = br; p != std::string::npos && p < part.size(); p = part.find('[', p + 1)) {
        const size_t idx = std::stoul(part.substr(p + 1));
        cur = cur.is_array() && idx < cur.size() ? cur[idx] : json("(absent)");
      }
      part.clear();
    } else {
      part += dotted[i];
    }
  }
  return cur;
}

const nlohmann::json& ObjectOr(const nlohmann::json& j, const std::string& key) {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  return j.is_object() && j.contains(key) ? j[key] : kEmpty;
}

const nlohmann::json& ArrayOr(const nlohmann::json& j, const std::string& key) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  return j.is_object() && j.contains(key) ? j[key] : kEmpty;
}

}  // namespace ncb
