// Where two JSON values differ, and the value at such a place: for errors that name the field
// that changed (shards of different runs, a model server restarted as another model).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ncb {

// The first place where a and b differ, as a dotted path with [i] for array elements
// ("spec.fps", "config.metrics[2].options"); "" when equal, `at` when they differ at the top.
std::string DifferencePath(const nlohmann::json& a, const nlohmann::json& b,
                           const std::string& at = "");

// The value at a path of DifferencePath; the string "(absent)" where there is none.
nlohmann::json AtPath(const nlohmann::json& j, const std::string& dotted);

// j[key] when j has it, else an empty object / array: a reference, safe to iterate (unlike
// j.value(key, json::object()), a temporary).
const nlohmann::json& ObjectOr(const nlohmann::json& j, const std::string& key);
const nlohmann::json& ArrayOr(const nlohmann::json& j, const std::string& key);

}  // namespace ncb
