#include "datasets/record/gui_script.h"

#include <fstream>
#include <map>
#include <sstream>

#include "core/errors.h"
#include "datasets/tape.h"

namespace ncb {
namespace {

// Splits a line into words; a "..." word keeps its spaces (and loses its quotes).
std::vector<std::string> Words(const std::string& line, const std::string& where) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= line.size() || line[i] == '#') break;
    if (line[i] == '"') {
      std::string w;
      ++i;
      while (i < line.size() && line[i] != '"') {
        if (line[i] == '\\' && i + 1 < line.size()) ++i;
        w += line[i++];
      }
      if (i >= line.size()) throw FormatError(At(where, "a quoted string is never closed"));
      ++i;
      out.push_back(w);
    } else {
      const size_t b = i;
      while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
      out.push_back(line.substr(b, i - b));
    }
  }
  return out;
}

int Coordinate(const std::string& s, const std::string& where) {
  try {
    size_t used = 0;
    const int v = std::stoi(s, &used);
    if (used == s.size() && v >= 0 && v < 16384) return v;
  } catch (...) {
  }
  throw FormatError(At(where, "expected a pixel coordinate 0..16383, got '" + s + "'"));
}

}  // namespace

GuiScript ReadGuiScript(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw MissingError(path.string() + ": cannot open the GUI script");
  GuiScript script;
  script.file = path.string();
  // name -> (min args, max args)
  static const std::map<std::string, std::pair<size_t, size_t>> arity = {
      {"Caption", {1, 1}}, {"Launch", {1, 64}},     {"Wait", {1, 1}},   {"Move", {3, 3}},
      {"Click", {1, 1}},   {"DoubleClick", {0, 0}}, {"Scroll", {2, 2}}, {"Type", {1, 2}},
      {"Key", {1, 1}},     {"RandomWalk", {2, 2}}};
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    const std::string where = script.file + ":" + std::to_string(lineno);
    auto words = Words(line, where);
    if (words.empty()) continue;
    GuiCommand c;
    c.name = words[0];
    c.args.assign(words.begin() + 1, words.end());
    c.line = lineno;
    auto it = arity.find(c.name);
    if (it == arity.end()) {
      throw FormatError(At(where, "unknown command '" + c.name +
                                      "'; expected Caption, Launch, Wait, Move, Click, "
                                      "DoubleClick, Scroll, Type, Key or RandomWalk"));
    }
    if (c.args.size() < it->second.first || c.args.size() > it->second.second) {
      throw FormatError(At(where, c.name + " takes " + std::to_string(it->second.first) +
                                      (it->second.first == it->second.second
                                           ? ""
                                           : ".." + std::to_string(it->second.second)) +
                                      " argument(s), got " + std::to_string(c.args.size())));
    }
    if (c.name == "Launch") {  // the rest of the line, as written, for /bin/sh
      const auto at = line.find("Launch");
      c.args = {line.substr(line.find_first_not_of(" \t", at + 6))};
    }
    if (c.name == "Caption") {
      script.caption = c.args[0];
      continue;
    }
    if (c.name == "Wait") c.seconds = ParseDuration(c.args[0], where);
    if (c.name == "Move") {
      Coordinate(c.args[0], where);
      Coordinate(c.args[1], where);
      c.seconds = ParseDuration(c.args[2], where);
    }
    if (c.name == "Click" && c.args[0] != "left" && c.args[0] != "right" && c.args[0] != "middle") {
      throw FormatError(At(where, "Click '" + c.args[0] + "': expected left, right or middle"));
    }
    if (c.name == "Scroll") {
      const auto& d = c.args[0];
      if (d != "up" && d != "down" && d != "left" && d != "right") {
        throw FormatError(At(where, "Scroll '" + d + "': expected up, down, left or right"));
      }
      if (Coordinate(c.args[1], where) < 1)
        throw FormatError(At(where, "Scroll needs at least 1 notch"));
    }
    if (c.name == "Type") c.seconds = c.args.size() > 1 ? ParseDuration(c.args[1], where) : 0;
    if (c.name == "RandomWalk") {
      c.seconds = ParseDuration(c.args[0], where);
      Coordinate(c.args[1], where);
    }
    script.commands.push_back(std::move(c));
  }
  return script;
}

}  // namespace ncb
