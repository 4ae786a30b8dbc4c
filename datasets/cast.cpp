#include "datasets/cast.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/errors.h"

namespace ncb {
namespace {

using nlohmann::json;

constexpr int kMaxTermSize = 1000;  // columns or rows; beyond this a cast is hostile or broken

int TermSize(const json& v, const std::string& where, const char* field) {
  if (!v.is_number_integer())
    throw FormatError(At(where, std::string(field) + " must be an integer"));
  const auto n = v.get<int64_t>();
  if (n < 1 || n > kMaxTermSize) {
    throw FormatError(At(where, std::string(field) + " is " + std::to_string(n) + "; expected 1.." +
                                    std::to_string(kMaxTermSize)));
  }
  return static_cast<int>(n);
}

CastEvent ParseEvent(const json& e, const std::string& where) {
  if (!e.is_array() || e.size() != 3 || !e[0].is_number() || !e[1].is_string() ||
      !e[2].is_string()) {
    throw FormatError(
        At(where, "expected an event [time, code, data] with a number and two strings"));
  }
  CastEvent ev;
  ev.time = e[0].get<double>();
  ev.code = e[1].get<std::string>();
  ev.data = e[2].get<std::string>();
  if (!(ev.time >= 0) || ev.time > 1e7) {
    throw FormatError(At(where, "event time " + std::to_string(ev.time) + " is out of range"));
  }
  if (ev.code == "r") {
    int cols = 0, rows = 0;
    char rest = 0;
    if (std::sscanf(ev.data.c_str(), "%dx%d%c", &cols, &rows, &rest) != 2 || cols < 1 || rows < 1 ||
        cols > kMaxTermSize || rows > kMaxTermSize) {
      throw FormatError(At(where, "resize event \"" + ev.data + "\"; expected COLSxROWS, each 1.." +
                                      std::to_string(kMaxTermSize)));
    }
  }
  return ev;
}

json ParseLine(const std::string& line, const std::string& where) {
  try {
    return json::parse(line);
  } catch (const json::exception& e) {
    throw FormatError(At(where, std::string("not valid JSON: ") + e.what()));
  }
}

}  // namespace

Cast ParseCast(std::istream& in, const std::string& name) {
  Cast cast;
  std::string line;
  int lineno = 0;
  // The header: v2/v3 have it on line 1; v1 is one JSON document over all lines.
  while (std::getline(in, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") != std::string::npos) break;
  }
  if (lineno == 0 || line.empty()) throw FormatError(At(name, "empty cast file"));
  json header;
  const std::string header_where = name + ":" + std::to_string(lineno);
  try {
    header = json::parse(line);
  } catch (const json::exception&) {
    // Possibly a pretty-printed v1 document: parse everything.
    std::stringstream rest;
    rest << line << "\n" << in.rdbuf();
    header = ParseLine(rest.str(), name);
  }
  if (!header.is_object() || !header.contains("version") ||
      !header["version"].is_number_integer()) {
    throw FormatError(At(header_where, "expected a header object with an integer \"version\""));
  }
  cast.version = header["version"].get<int>();
  cast.header = header;
  if (cast.version == 1) {
    cast.width = TermSize(header.value("width", json()), header_where, "width");
    cast.height = TermSize(header.value("height", json()), header_where, "height");
    if (!header.contains("stdout") || !header["stdout"].is_array()) {
      throw FormatError(At(header_where, "v1 cast needs a \"stdout\" array"));
    }
    double t = 0;
    int i = 0;
    for (const auto& e : header["stdout"]) {
      const std::string where = name + ": stdout[" + std::to_string(i++) + "]";
      if (!e.is_array() || e.size() != 2 || !e[0].is_number() || !e[1].is_string()) {
        throw FormatError(At(where, "expected [delay, data]"));
      }
      const double d = e[0].get<double>();
      if (!(d >= 0)) throw FormatError(At(where, "delay must be non-negative"));
      t += d;
      cast.events.push_back({t, "o", e[1].get<std::string>()});
    }
    cast.header.erase("stdout");
  } else if (cast.version == 2 || cast.version == 3) {
    if (cast.version == 2) {
      cast.width = TermSize(header.value("width", json()), header_where, "width");
      cast.height = TermSize(header.value("height", json()), header_where, "height");
    } else {
      const auto term = header.value("term", json::object());
      cast.width = TermSize(term.value("cols", json()), header_where, "term.cols");
      cast.height = TermSize(term.value("rows", json()), header_where, "term.rows");
    }
    double prev = 0;
    while (std::getline(in, line)) {
      ++lineno;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      if (cast.version == 3 && line[0] == '#') continue;  // v3 allows comment lines
      const std::string where = name + ":" + std::to_string(lineno);
      auto ev = ParseEvent(ParseLine(line, where), where);
      if (cast.version == 3) {
        ev.time += prev;
      } else if (ev.time + 1e-9 < prev) {
        throw FormatError(At(where, "event time " + std::to_string(ev.time) + " goes back before " +
                                        std::to_string(prev)));
      }
      prev = ev.time;
      cast.events.push_back(std::move(ev));
    }
  } else {
    throw FormatError(At(header_where, "cast version " + std::to_string(cast.version) +
                                           " is not supported; expected 1, 2 or 3"));
  }
  cast.duration = cast.events.empty() ? 0.0 : cast.events.back().time;
  return cast;
}

Cast ReadCast(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MissingError(At(path.string(), "cannot open cast file"));
  return ParseCast(in, path.string());
}

void WriteCast(const Cast& cast, const std::filesystem::path& path) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error(At(path.string(), "cannot write cast file"));
  json header = cast.header;
  header["version"] = 2;
  header["width"] = cast.width;
  header["height"] = cast.height;
  out << header.dump() << "\n";
  for (const auto& e : cast.events) {
    out << json::array({e.time, e.code, e.data})
               .dump(-1, ' ', false, json::error_handler_t::replace)
        << "\n";
  }
  if (!out) throw Error(At(path.string(), "write failed"));
}

}  // namespace ncb
