#include "datasets/tape.h"

#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include "core/errors.h"

namespace ncb {
namespace {

const std::map<std::string, std::string>& KeyBytes() {
  static const std::map<std::string, std::string> k = {
      {"Enter", "\r"},        {"Backspace", "\x7f"}, {"Delete", "\x1b[3~"}, {"Insert", "\x1b[2~"},
      {"Tab", "\t"},          {"Space", " "},        {"Escape", "\x1b"},    {"Up", "\x1b[A"},
      {"Down", "\x1b[B"},     {"Right", "\x1b[C"},   {"Left", "\x1b[D"},    {"PageUp", "\x1b[5~"},
      {"PageDown", "\x1b[6~"}};
  return k;
}

std::string Trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// Splits "Name@time rest" -> name, optional time.
void SplitAt(const std::string& word, std::string* name, std::string* at) {
  const auto p = word.find('@');
  *name = word.substr(0, p);
  *at = p == std::string::npos ? "" : word.substr(p + 1);
}

std::string Unquote(const std::string& s, const std::string& where) {
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'' || s.front() == '`') &&
      s.back() == s.front()) {
    return s.substr(1, s.size() - 2);
  }
  throw FormatError(At(where, "expected a quoted string, got " + s));
}

std::string CtrlBytes(const std::string& key, const std::string& where) {
  if (key.size() == 1 && std::isalpha(static_cast<unsigned char>(key[0]))) {
    return std::string(1, static_cast<char>(std::toupper(key[0]) & 0x1f));
  }
  static const std::map<std::string, std::string> special = {{"@", std::string(1, '\0')},
                                                             {"[", "\x1b"},
                                                             {"\\", "\x1c"},
                                                             {"]", "\x1d"},
                                                             {"^", "\x1e"},
                                                             {"_", "\x1f"},
                                                             {"Space", std::string(1, '\0')}};
  auto it = special.find(key);
  if (it == special.end()) throw FormatError(At(where, "unknown Ctrl key '" + key + "'"));
  return it->second;
}

}  // namespace

double ParseDuration(const std::string& raw, const std::string& where) {
  const std::string s = Trim(raw);
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(s, &used);
  } catch (...) {
    throw FormatError(At(where, "expected a duration such as 500ms or 1.5s, got '" + s + "'"));
  }
  const std::string unit = s.substr(used);
  double scale = 1.0;
  if (unit == "ms")
    scale = 1e-3;
  else if (unit == "s" || unit.empty())
    scale = 1.0;
  else if (unit == "m")
    scale = 60.0;
  else
    throw FormatError(
        At(where, "unknown time unit '" + unit + "' in '" + s + "'; expected ms, s or m"));
  if (!(v >= 0) || v * scale > 3600) {
    throw FormatError(At(where, "duration '" + s + "' is outside 0..1h"));
  }
  return v * scale;
}

namespace {

// A comment line: "# INSTRUCTION:" and "# ID:" set the tape's instruction and id.
void ParseComment(const std::string& line, Tape& tape) {
  if (line.rfind("# INSTRUCTION:", 0) == 0) tape.instruction = Trim(line.substr(14));
  if (line.rfind("# ID:", 0) == 0) tape.id = Trim(line.substr(5));
}

// A Set line: a setting, or a Theme JSON block that may continue over the next lines of `in`
// (counted in `lineno`).
void ParseSet(const std::string& rest, const std::string& where, std::istringstream& in,
              int& lineno, Tape& tape) {
  std::istringstream sw(rest);
  std::string key;
  sw >> key;
  std::string value;
  std::getline(sw, value);
  value = Trim(value);
  if (key.empty()) throw FormatError(At(where, "Set needs a name and a value"));
  if (key == "Theme" && !value.empty() && value[0] == '{') {
    // A JSON block: collect lines until the braces balance.
    int depth = 0;
    std::string block, raw;
    auto absorb = [&](const std::string& s) {
      for (char ch : s) depth += ch == '{' ? 1 : ch == '}' ? -1 : 0;
      block += s + "\n";
    };
    absorb(value);
    while (depth > 0 && std::getline(in, raw)) {
      ++lineno;
      absorb(raw);
    }
    try {
      tape.theme = nlohmann::json::parse(block);
    } catch (const std::exception& e) {
      throw FormatError(At(where, std::string("Set Theme block is not valid JSON: ") + e.what()));
    }
    return;
  }
  tape.settings[key] = value;
  if (key == "TypingSpeed") tape.typing_seconds = ParseDuration(value, where);
}

// Checks a command's argument `rest` and fills `c` from it (a Sleep's time, a Type's text, a
// key's count); an unknown command is a FormatError.
void ParseArguments(const std::string& cmd, const std::string& rest, const std::string& where,
                    TapeCommand& c) {
  if (cmd == "Sleep") {
    c.seconds = ParseDuration(rest, where);
  } else if (cmd == "Type") {
    c.text = Unquote(rest, where);
  } else if (cmd == "Hide" || cmd == "Show") {
    if (!rest.empty()) throw FormatError(At(where, cmd + " takes no argument"));
  } else if (KeyBytes().count(cmd)) {
    if (!rest.empty()) {
      try {
        size_t used = 0;
        c.count = std::stoi(rest, &used);
        if (used != rest.size() || c.count < 1 || c.count > 10000) throw 0;
      } catch (...) {
        throw FormatError(At(where, cmd + " count '" + rest + "'; expected an integer 1..10000"));
      }
    }
  } else if (cmd.rfind("Ctrl+", 0) == 0 || cmd.rfind("Alt+", 0) == 0) {
    const std::string key = cmd.substr(cmd.find('+') + 1);
    if (cmd[0] == 'C')
      CtrlBytes(key, where);  // validates
    else if (key.empty())
      throw FormatError(At(where, "Alt+ needs a key"));
  } else {
    throw FormatError(
        At(where, "unknown command '" + cmd +
                      "'; expected Type, Sleep, Enter or another vhs key, Ctrl+<key>, "
                      "Hide, Show, Set, Output or Require"));
  }
}

}  // namespace

Tape ParseTape(const std::string& text, const std::string& name) {
  Tape tape;
  tape.file = name;
  std::istringstream in(text);
  std::string raw;
  int lineno = 0;
  static const std::set<std::string> kIgnored = {"Output", "Require", "Source", "Screenshot"};
  while (std::getline(in, raw)) {
    ++lineno;
    const std::string where = name + ":" + std::to_string(lineno);
    std::string line = Trim(raw);
    if (line.empty()) continue;
    if (line[0] == '#') {
      ParseComment(line, tape);
      continue;
    }
    std::istringstream words(line);
    std::string first;
    words >> first;
    std::string rest;
    std::getline(words, rest);
    rest = Trim(rest);
    std::string cmd, at;
    SplitAt(first, &cmd, &at);
    TapeCommand c;
    c.line = lineno;
    c.name = cmd;
    if (!at.empty()) c.seconds = ParseDuration(at, where);
    if (kIgnored.count(cmd)) continue;
    if (cmd == "Set") {
      ParseSet(rest, where, in, lineno, tape);
      continue;
    }
    ParseArguments(cmd, rest, where, c);
    tape.commands.push_back(std::move(c));
  }
  return tape;
}

Tape ReadTape(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MissingError(At(path.string(), "cannot open tape"));
  std::stringstream ss;
  ss << in.rdbuf();
  auto tape = ParseTape(ss.str(), path.string());
  if (tape.id.empty()) tape.id = path.stem().string();
  return tape;
}

std::vector<TapeEvent> TapeTimeline(const Tape& tape) {
  std::vector<TapeEvent> out;
  double t = 0;
  for (const auto& c : tape.commands) {
    const double step = c.seconds >= 0 ? c.seconds : tape.typing_seconds;
    if (c.name == "Sleep") {
      t += c.seconds;
    } else if (c.name == "Type") {
      // Split into UTF-8 characters; each is one keystroke.
      for (size_t i = 0; i < c.text.size();) {
        size_t n = 1;
        const auto b = static_cast<unsigned char>(c.text[i]);
        if (b >= 0xF0)
          n = 4;
        else if (b >= 0xE0)
          n = 3;
        else if (b >= 0xC0)
          n = 2;
        const std::string ch = c.text.substr(i, n);
        out.push_back({t, "type", ch, ch, c.line});
        t += step;
        i += n;
      }
    } else if (c.name == "Hide" || c.name == "Show") {
      out.push_back({t, c.name == "Hide" ? "hide" : "show", "", c.name, c.line});
    } else {
      std::string bytes;
      if (c.name.rfind("Ctrl+", 0) == 0)
        bytes = CtrlBytes(c.name.substr(5), tape.file);
      else if (c.name.rfind("Alt+", 0) == 0)
        bytes = "\x1b" + c.name.substr(4);
      else
        bytes = KeyBytes().at(c.name);
      for (int k = 0; k < c.count; ++k) {
        out.push_back({t, "key", bytes, c.name, c.line});
        t += step;
      }
    }
  }
  out.push_back({t, "end", "", "end", 0});
  return out;
}

std::vector<std::string> TapeEnteredCommands(const Tape& tape) {
  std::vector<std::string> cmds;
  std::string pending;
  for (const auto& c : tape.commands) {
    if (c.name == "Type")
      pending += c.text;
    else if (c.name == "Enter" && !pending.empty())
      cmds.push_back(std::exchange(pending, ""));
    else if (c.name == "Backspace" && !pending.empty())
      pending.pop_back();
  }
  return cmds;
}

std::string CaptionFromTape(const Tape& tape) {
  const auto cmds = TapeEnteredCommands(tape);
  if (cmds.empty()) return "The terminal shows a shell prompt and nothing is run.";
  std::string s = "The terminal runs `" + cmds[0] + "`";
  for (size_t i = 1; i < cmds.size(); ++i) {
    s += (i + 1 == cmds.size() ? ", and then runs `" : ", then runs `") + cmds[i] + "`";
  }
  return s + ".";
}

}  // namespace ncb
