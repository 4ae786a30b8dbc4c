#include "core/output_keys.h"

#include "core/json_path.h"

namespace ncb {
namespace {

// How well `pattern` (a key, or "*SUFFIX") names `key`: 0 not at all, else the longer the
// better, the key itself best.
size_t MatchQuality(const std::string& pattern, const std::string& key) {
  if (!pattern.empty() && pattern[0] == '*') {
    const size_t n = pattern.size() - 1;
    return key.size() >= n && key.compare(key.size() - n, n, pattern, 1, n) == 0 ? n : 0;
  }
  return pattern == key ? std::string::npos : 0;
}

// A main key's reading: the unit and direction of the metric whose name it starts with.
KeyInfo MainKey(const nlohmann::json& metrics, const std::string& key) {
  KeyInfo info{"", "higher_is_better"};
  size_t longest = 0;
  for (const auto& m : metrics) {
    const std::string name = m.value("name", "");
    if ((key == name || key.rfind(name + "_", 0) == 0) && name.size() > longest) {
      longest = name.size();
      info = {m.value("unit", ""), m.value("direction", "higher_is_better")};
    }
  }
  return info;
}

}  // namespace

std::pair<size_t, KeyInfo> BestOutputOf(const nlohmann::json& metric, const std::string& key) {
  std::pair<size_t, KeyInfo> best{0, {}};
  for (const auto& o : ArrayOr(metric, "outputs")) {
    const size_t q = MatchQuality(o.value("key", ""), key);
    if (q > best.first) best = {q, {o.value("kind", ""), o.value("direction", "")}};
  }
  return best;
}

KeyInfo CompleteKeyInfo(KeyInfo info, const nlohmann::json& metrics, const std::string& key) {
  if (info.count() || info.kind == "note" || info.kind == "data") return info;
  const KeyInfo main = MainKey(metrics, key);
  if (info.direction.empty()) info.direction = main.direction;
  if (info.kind.empty()) info.kind = main.kind;
  return info;
}

bool HasKeySuffix(const std::string& key, const std::string& suffix) {
  return key.size() > suffix.size() &&
         key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string BaselineKeyBase(const std::string& key) {
  for (const std::string suffix : {"_static", "_skill", "_gain"}) {
    if (HasKeySuffix(key, suffix)) return key.substr(0, key.size() - suffix.size());
  }
  return "";
}

std::string LastKeyPart(const std::string& key) {
  const auto dot = key.rfind('.');
  return dot == std::string::npos ? key : key.substr(dot + 1);
}

KeyInfo DescribeKeyOf(const nlohmann::json& metric, const std::string& key_in) {
  const std::string key = LastKeyPart(key_in);
  return CompleteKeyInfo(BestOutputOf(metric, key).second, nlohmann::json::array({metric}), key);
}

KeyInfo DescribeKeyIn(const nlohmann::json& metrics, const std::string& key_in) {
  const std::string key = LastKeyPart(key_in);
  std::pair<size_t, KeyInfo> best{0, {}};
  for (const auto& m : metrics) {
    auto b = BestOutputOf(m, key);
    if (b.first > best.first) best = std::move(b);
  }
  return CompleteKeyInfo(best.second, metrics, key);
}

}  // namespace ncb
