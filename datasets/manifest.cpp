#include "datasets/manifest.h"

#include <cmath>
#include <fstream>
#include <regex>
#include <set>

#include "core/errors.h"

namespace ncb {
namespace fs = std::filesystem;
using nlohmann::json;

std::string Sample::Caption(const std::string& style) const {
  if (auto it = captions.find(style); it != captions.end()) return it->second;
  for (const char* s : {"semantic", "regular", "detailed"}) {
    if (auto it = captions.find(s); it != captions.end()) return it->second;
  }
  return captions.empty() ? "" : captions.begin()->second;
}

namespace {

std::string RequireString(const json& j, const char* field, bool required,
                          const std::string& where) {
  if (!j.contains(field)) {
    if (required) throw FormatError(At(where, std::string("missing field \"") + field + "\""));
    return "";
  }
  if (!j[field].is_string()) {
    throw FormatError(At(where, std::string("field \"") + field + "\" must be a string, got " +
                                    j[field].type_name()));
  }
  return j[field].get<std::string>();
}

Sample ParseSample(const json& j, const fs::path& base, const std::string& where) {
  if (!j.is_object()) throw FormatError(At(where, "expected a JSON object"));
  Sample s;
  s.id = RequireString(j, "id", true, where);
  static const std::regex kId("[A-Za-z0-9._-]+");
  if (!std::regex_match(s.id, kId)) {
    throw FormatError(At(where, "id \"" + s.id + "\" must match [A-Za-z0-9._-]+"));
  }
  s.modality = RequireString(j, "modality", true, where);
  if (s.modality != "cli" && s.modality != "gui") {
    throw FormatError(At(where, "modality \"" + s.modality + "\"; expected \"cli\" or \"gui\""));
  }
  if (j.contains("captions")) {
    if (!j["captions"].is_object())
      throw FormatError(At(where, std::string("field \"captions\" must be an object, got ") +
                                      j["captions"].type_name()));
    for (const auto& [style, text] : j["captions"].items()) {
      if (!text.is_string())
        throw FormatError(At(
            where, "field \"captions." + style + "\" must be a string, got " + text.type_name()));
      s.captions[style] = text.get<std::string>();
    }
  }
  if (j.contains("caption")) s.captions["regular"] = RequireString(j, "caption", true, where);
  if (auto ff = RequireString(j, "first_frame", false, where); !ff.empty()) {
    s.first_frame = ff.rfind("gt:", 0) == 0 ? ff : (base / ff).string();
    if (ff.rfind("gt:", 0) == 0) {
      try {
        if (std::stoi(ff.substr(3)) != 0) throw 0;
      } catch (...) {
        throw FormatError(At(where, "first_frame \"" + ff + "\"; only \"gt:0\" or an image path"));
      }
    }
  }
  s.video = base / RequireString(j, "video", true, where);
  if (auto a = RequireString(j, "actions", false, where); !a.empty()) s.actions = base / a;
  if (auto t = RequireString(j, "screen_text", false, where); !t.empty()) s.screen_text = base / t;
  if (j.contains("fps")) {
    if (!j["fps"].is_number() || !(j["fps"].get<double>() > 0) || j["fps"].get<double>() > 1000) {
      throw FormatError(
          At(where, "field \"fps\" must be a number in (0, 1000], got " + j["fps"].dump()));
    }
    s.fps = j["fps"].get<double>();
  }
  if (j.contains("action_scale")) {
    const auto& a = j["action_scale"];
    auto positive = [](const json& v) {
      return v.is_number() && v.get<double>() > 0 && v.get<double>() < 1e4;
    };
    if (positive(a)) {
      s.action_scale_x = s.action_scale_y = a.get<double>();
    } else if (a.is_array() && a.size() == 2 && positive(a[0]) && positive(a[1])) {
      s.action_scale_x = a[0].get<double>();
      s.action_scale_y = a[1].get<double>();
    } else {
      throw FormatError(At(where,
                           "field \"action_scale\" must be a positive number or [sx, sy] (video "
                           "pixels per log pixel), got " +
                               a.dump()));
    }
  }
  if (j.contains("action_offset")) {
    const auto& a = j["action_offset"];
    auto finite = [](const json& v) { return v.is_number() && std::abs(v.get<double>()) < 1e6; };
    if (!a.is_array() || a.size() != 2 || !finite(a[0]) || !finite(a[1])) {
      throw FormatError(At(where,
                           "field \"action_offset\" must be [ox, oy] (the log pixel shown at "
                           "the video's top-left corner), got " +
                               a.dump()));
    }
    s.action_offset_x = a[0].get<double>();
    s.action_offset_y = a[1].get<double>();
  }
  if (auto sp = RequireString(j, "split", false, where); !sp.empty()) s.split = sp;
  return s;
}

}  // namespace

Manifest ReadManifest(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MissingError(At(path.string(), "cannot open manifest"));
  Manifest m;
  m.path = path;
  const fs::path base = path.parent_path();
  std::set<std::string> seen;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path.string() + ":" + std::to_string(lineno);
    ManifestError err{lineno, "", ""};
    try {
      json j;
      try {
        j = json::parse(line);
      } catch (const json::exception& e) {
        throw FormatError(At(where, std::string("not valid JSON: ") + e.what()));
      }
      if (j.is_object() && j.contains("id") && j["id"].is_string()) err.id = j["id"];
      Sample s = ParseSample(j, base, where);
      s.line = lineno;
      if (!seen.insert(s.id).second) {
        throw FormatError(At(where, "id \"" + s.id + "\" appears on an earlier line"));
      }
      m.samples.push_back(std::move(s));
    } catch (const FormatError& e) {
      err.message = e.what();
      m.errors.push_back(err);
    }
  }
  return m;
}

json SampleToJson(const Sample& s, const fs::path& base_dir) {
  auto rel = [&](const fs::path& p) {
    return p.empty() ? std::string() : fs::relative(p, base_dir).generic_string();
  };
  json j = {{"id", s.id}, {"modality", s.modality}, {"video", rel(s.video)}, {"split", s.split}};
  if (!s.captions.empty()) j["captions"] = s.captions;
  j["first_frame"] = s.first_frame.rfind("gt:", 0) == 0 ? s.first_frame : rel(s.first_frame);
  if (!s.actions.empty()) j["actions"] = rel(s.actions);
  if (!s.screen_text.empty()) j["screen_text"] = rel(s.screen_text);
  if (s.fps) j["fps"] = *s.fps;
  if (s.action_scale_x != 1 || s.action_scale_y != 1)
    j["action_scale"] = {s.action_scale_x, s.action_scale_y};
  if (s.action_offset_x != 0 || s.action_offset_y != 0)
    j["action_offset"] = {s.action_offset_x, s.action_offset_y};
  return j;
}

}  // namespace ncb
