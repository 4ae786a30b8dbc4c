#include "datasets/gui_log.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/errors.h"

namespace ncb {
namespace {

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MissingError(path.string() + ": cannot open the action log");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// RFC 4180 records: comma-separated, fields optionally in double quotes ("" inside is one
// quote; quoted fields may hold commas and newlines). Each record keeps its first line.
struct Record {
  int line = 0;
  std::vector<std::string> fields;
};

std::vector<Record> ParseCsv(const std::string& text, const std::string& file) {
  std::vector<Record> out;
  Record rec;
  std::string field;
  int line = 1;
  bool quoted = false, in_record = false;
  for (size_t i = 0; i <= text.size(); ++i) {
    const char c = i < text.size() ? text[i] : '\n';
    if (!in_record) {
      rec = {line, {}};
      in_record = true;
    }
    if (quoted) {
      if (i == text.size())
        throw FormatError(file + ":" + std::to_string(rec.line) +
                          ": a quoted field is never closed");
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && field.empty()) {
      quoted = true;
    } else if (c == ',') {
      rec.fields.push_back(field);
      field.clear();
    } else if (c == '\n') {
      if (!field.empty() && field.back() == '\r') field.pop_back();
      rec.fields.push_back(field);
      field.clear();
      if (!(rec.fields.size() == 1 && rec.fields[0].empty())) out.push_back(rec);  // blank lines
      in_record = false;
      ++line;
    } else {
      field += c;
    }
  }
  return out;
}

std::string Trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}

// A Python literal list of 2-tuples of strings, or the JSON list of pairs:
// [('keydown', 'a'), ("scroll", "down:3")] / [["keydown", "a"]]. Throws a message.
std::vector<std::pair<std::string, std::string>> ParsePairs(const std::string& s) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t i = 0;
  auto skip = [&] {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  };
  auto expect = [&](const std::string& any) {
    skip();
    if (i >= s.size() || any.find(s[i]) == std::string::npos) {
      throw std::runtime_error("expected one of \"" + any + "\" at character " +
                               std::to_string(i + 1));
    }
    return s[i++];
  };
  auto str = [&] {
    const char q = expect("'\"");
    std::string v;
    while (true) {
      if (i >= s.size()) throw std::runtime_error("a string is never closed");
      char c = s[i++];
      if (c == q) return v;
      if (c == '\\' && i < s.size()) c = s[i++];
      v += c;
    }
  };
  const std::string t = Trim(s);
  if (t.empty() || t == "[]") return out;
  expect("[");
  skip();
  if (i < s.size() && s[i] == ']') return out;
  while (true) {
    const char open = expect("([");
    std::string a = str();
    expect(",");
    std::string b = str();
    skip();
    if (i < s.size() && s[i] == ',') ++i;  // a trailing comma inside the tuple
    expect(open == '(' ? ")" : "]");
    out.emplace_back(std::move(a), std::move(b));
    if (expect(",]") == ']') break;
  }
  skip();
  if (i != s.size())
    throw std::runtime_error("unexpected text after the list at character " +
                             std::to_string(i + 1));
  return out;
}

double Number(const std::string& s, const std::string& where) {
  const std::string t = Trim(s);
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (t.empty() || end != t.c_str() + t.size() || !std::isfinite(v)) {
    throw FormatError(where + ": expected a number, got '" + s + "'");
  }
  return v;
}

bool Bool(const std::string& s, const std::string& where) {
  std::string t = Trim(s);
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  if (t == "true" || t == "1") return true;
  if (t == "false" || t == "0" || t.empty()) return false;
  throw FormatError(where + ": expected True or False, got '" + s + "'");
}

// "down:3" -> (dy, dx) in notches.
std::pair<double, double> Scroll(const std::string& spec, const std::string& where) {
  const auto colon = spec.find(':');
  const std::string dir = spec.substr(0, colon);
  const double n = colon == std::string::npos ? 1 : Number(spec.substr(colon + 1), where);
  if (dir == "down") return {n, 0};
  if (dir == "up") return {-n, 0};
  if (dir == "right") return {0, n};
  if (dir == "left") return {0, -n};
  throw FormatError(where + ": scroll '" + spec + "': expected up, down, left or right[:notches]");
}

// JSON actions: non-negative times that never go backwards.
void CheckChronological(const GuiLog& log, const GuiEvent& e, const std::string& where) {
  if (!log.events.empty() && e.time < log.events.back().time) {
    throw FormatError(where + ": timestamp " + std::to_string(e.time) +
                      " goes backwards (the previous one is " +
                      std::to_string(log.events.back().time) + ")");
  }
  if (e.time < 0)
    throw FormatError(where + ": timestamp " + std::to_string(e.time) + " is negative");
}

// The CSV columns the reader uses; -1 for an optional column the file lacks.
struct CsvColumns {
  long ts, cx, cy, left, right, keys;
};

// Finds the columns by the header's names; a missing required column is a FormatError that
// lists the columns there are.
CsvColumns FindCsvColumns(const Record& header, const std::string& file) {
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < header.fields.size(); ++i) col[Trim(header.fields[i])] = i;
  auto find = [&](std::initializer_list<const char*> names, bool required) -> long {
    for (const char* n : names) {
      if (col.count(n)) return static_cast<long>(col[n]);
    }
    if (required) {
      std::string have;
      for (const auto& [k, v] : col) have += (have.empty() ? "" : ", ") + k;
      throw FormatError(file + ":1: missing column '" + *names.begin() + "' (columns: " + have +
                        ")");
    }
    return -1;
  };
  CsvColumns c;
  c.ts = find({"Timestamp"}, true);
  c.cx = find({"X"}, true);
  c.cy = find({"Y"}, true);
  c.left = find({"Left Click"}, true);
  c.right = find({"Right Click"}, true);
  c.keys = find({"Keys", "Key Events"}, false);
  return c;
}

// One CSV row being read, with where it is for messages ("file:line").
struct CsvRow {
  const Record& rec;
  std::string at;

  // The row's cell in column `c`; "" for an optional column the file lacks.
  std::string cell(long c, const char* name) const {
    if (c < 0) return "";
    if (static_cast<size_t>(c) >= rec.fields.size()) {
      throw FormatError(at + ": column '" + name + "' is missing (the row has " +
                        std::to_string(rec.fields.size()) + " fields)");
    }
    return rec.fields[static_cast<size_t>(c)];
  }
  std::string where(const char* name) const { return at + ": column '" + std::string(name) + "'"; }
};

// The row's time and pointer position, checked (not negative, time never going backwards);
// `prev_t` and the row spacings in `deltas` are updated.
GuiEvent CsvRowBase(const CsvRow& row, const CsvColumns& c, double& prev_t,
                    std::vector<double>& deltas) {
  auto cell = [&](long col, const char* name) { return row.cell(col, name); };
  auto where = [&](const char* name) { return row.where(name); };
  GuiEvent base;
  base.line = row.rec.line;
  base.time = Number(cell(c.ts, "Timestamp"), where("Timestamp"));
  base.x = Number(cell(c.cx, "X"), where("X"));
  base.y = Number(cell(c.cy, "Y"), where("Y"));
  if (base.time < 0)
    throw FormatError(where("Timestamp") + ": " + std::to_string(base.time) + " is negative");
  for (const auto& [v, name] : {std::pair{base.x, "X"}, std::pair{base.y, "Y"}}) {
    if (v < 0)
      throw FormatError(where(name) + ": " + std::to_string(v) +
                        " is negative; expected a screen pixel >= 0");
  }
  if (base.time < prev_t) {
    throw FormatError(where("Timestamp") + ": " + std::to_string(base.time) +
                      " goes backwards (the previous row has " + std::to_string(prev_t) + ")");
  }
  if (prev_t >= 0 && base.time > prev_t) deltas.push_back(base.time - prev_t);
  prev_t = base.time;
  return base;
}

// Appends a row's events to `log`: the pointer move, the clicks, then the key and scroll events.
void AppendCsvRowEvents(const CsvRow& row, const CsvColumns& c, const GuiEvent& base, GuiLog& log) {
  auto cell = [&](long col, const char* name) { return row.cell(col, name); };
  auto where = [&](const char* name) { return row.where(name); };
  // Every event of a row has the row's time, checked above.
  auto push = [&](GuiEvent e) { log.events.push_back(std::move(e)); };
  GuiEvent move = base;
  move.action = "mouse_move";
  push(move);
  if (Bool(cell(c.left, "Left Click"), where("Left Click"))) {
    auto e = base;
    e.action = "left_click";
    push(e);
  }
  if (Bool(cell(c.right, "Right Click"), where("Right Click"))) {
    auto e = base;
    e.action = "right_click";
    push(e);
  }
  const std::string keys_cell = cell(c.keys, "Keys");
  std::vector<std::pair<std::string, std::string>> pairs;
  try {
    pairs = ParsePairs(keys_cell);
  } catch (const std::runtime_error& e) {
    throw FormatError(where("Keys") + ": " + e.what() + "; expected a list of (event, key) tuples");
  }
  for (const auto& [ev, key] : pairs) {
    auto e = base;
    e.key = key;
    if (ev == "keydown")
      e.action = "key_down";
    else if (ev == "keyup")
      e.action = "key_up";
    else if (ev == "scroll") {
      e.action = "scroll";
      std::tie(e.scroll_dy, e.scroll_dx) = Scroll(key, where("Keys"));
    } else {
      throw FormatError(where("Keys") + ": unknown event '" + ev +
                        "'; expected keydown, keyup or scroll");
    }
    push(e);
  }
}

// Parses the JSON file and checks its shape; metadata.fps, when there, goes to log.fps.
nlohmann::json ReadActionsDocument(const std::filesystem::path& path, GuiLog& log) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(ReadAll(path));
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(log.file + ": not valid JSON: " + e.what());
  }
  if (!j.is_object() || !j.contains("actions") || !j["actions"].is_array()) {
    throw FormatError(log.file + ": expected an object with an \"actions\" array");
  }
  if (j.contains("metadata") && j["metadata"].contains("fps")) {
    if (!j["metadata"]["fps"].is_number() || !(j["metadata"]["fps"].get<double>() > 0)) {
      throw FormatError(log.file + ": metadata.fps must be a positive number");
    }
    log.fps = j["metadata"]["fps"].get<double>();
  }
  return j;
}

// Canonical names and the released loader's aliases (MOUSE_ACTION_ALIASES).
const std::map<std::string, std::string>& ActionNames() {
  static const std::map<std::string, std::string> names = {{"left_click", "left_click"},
                                                           {"lclick", "left_click"},
                                                           {"left", "left_click"},
                                                           {"right_click", "right_click"},
                                                           {"rclick", "right_click"},
                                                           {"right", "right_click"},
                                                           {"middle_click", "middle_click"},
                                                           {"mclick", "middle_click"},
                                                           {"middle", "middle_click"},
                                                           {"double_click", "double_click"},
                                                           {"dblclick", "double_click"},
                                                           {"doubleclick", "double_click"},
                                                           {"triple_click", "triple_click"},
                                                           {"tripleclick", "triple_click"},
                                                           {"type", "type"},
                                                           {"key", "key"},
                                                           {"scroll", "scroll"},
                                                           {"mouse_move", "mouse_move"}};
  return names;
}

// The event of actions[i] (`at` names it for messages), with its fields checked.
GuiEvent ParseJsonAction(const nlohmann::json& a, size_t i, const std::string& at) {
  const auto& names = ActionNames();
  if (!a.is_object()) throw FormatError(at + ": expected an object");
  auto num = [&](const char* field, bool required, double dflt) {
    if (!a.contains(field)) {
      if (required) throw FormatError(at + ": missing \"" + field + "\"");
      return dflt;
    }
    if (!a[field].is_number())
      throw FormatError(at + "." + field + ": expected a number, got " + a[field].dump());
    return a[field].get<double>();
  };
  GuiEvent e;
  e.line = static_cast<int>(i);
  e.time = num("timestamp", true, 0);
  if (!a.contains("action") || !a["action"].is_string())
    throw FormatError(at + ".action: expected a string");
  std::string name = a["action"].get<std::string>();
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  auto it = names.find(name);
  if (it == names.end())
    throw FormatError(at + ".action: unknown action '" + a["action"].get<std::string>() + "'");
  e.action = it->second;
  e.x = num("x", false, -1);
  e.y = num("y", false, -1);
  for (const auto& [v, name] : {std::pair{e.x, "x"}, std::pair{e.y, "y"}}) {
    // -1 stands for "not given" (the default above); a given coordinate is a screen pixel.
    if (a.contains(name) && v < 0) {
      throw FormatError(at + "." + name + ": " + std::to_string(v) +
                        " is negative; expected a screen pixel >= 0");
    }
  }
  for (const char* f : {"text", "key"}) {
    if (a.contains(f) && !a[f].is_null()) {
      if (!a[f].is_string()) throw FormatError(at + "." + f + ": expected a string");
      e.key = a[f].get<std::string>();
    }
  }
  if (e.action == "scroll") {
    const double n = num("scroll_amount", false, 1);
    const std::string dir = a.value("scroll_direction", std::string("down"));
    std::tie(e.scroll_dy, e.scroll_dx) =
        Scroll(dir + ":" + std::to_string(n), at + ".scroll_direction");
  }
  return e;
}

}  // namespace

GuiLog ReadGuiCsv(const std::filesystem::path& path) {
  GuiLog log;
  log.file = path.string();
  const auto records = ParseCsv(ReadAll(path), log.file);
  if (records.empty())
    throw FormatError(log.file + ": empty; expected a header and one row per frame");
  const CsvColumns c = FindCsvColumns(records[0], log.file);
  double prev_t = -1;
  std::vector<double> deltas;
  for (size_t r = 1; r < records.size(); ++r) {
    const CsvRow row{records[r], log.file + ":" + std::to_string(records[r].line)};
    const GuiEvent base = CsvRowBase(row, c, prev_t, deltas);
    AppendCsvRowEvents(row, c, base, log);
  }
  if (!deltas.empty()) {  // the median row spacing, as the released loader estimates fps
    std::nth_element(deltas.begin(), deltas.begin() + static_cast<long>(deltas.size() / 2),
                     deltas.end());
    log.fps = 1.0 / deltas[deltas.size() / 2];
  }
  return log;
}

GuiLog ReadGuiActionsJson(const std::filesystem::path& path) {
  GuiLog log;
  log.file = path.string();
  const nlohmann::json j = ReadActionsDocument(path, log);
  const auto& actions = j["actions"];
  for (size_t i = 0; i < actions.size(); ++i) {
    const std::string at = log.file + ": actions[" + std::to_string(i) + "]";
    GuiEvent e = ParseJsonAction(actions[i], i, at);
    CheckChronological(log, e, at + ".timestamp");
    log.events.push_back(std::move(e));
  }
  return log;
}

GuiLog ReadGuiLog(const std::filesystem::path& path) {
  const auto ext = path.extension().string();
  if (ext == ".csv") return ReadGuiCsv(path);
  if (ext == ".json") return ReadGuiActionsJson(path);
  throw FormatError(path.string() + ": unsupported GUI action log type '" + ext +
                    "'; expected .csv or .json");
}

std::vector<double> GuiActionTimes(const GuiLog& log) {
  std::vector<double> t;
  for (const auto& e : log.events) {
    if (e.action == "mouse_move" || e.action == "key_up") continue;
    t.push_back(e.time);
  }
  return t;
}

}  // namespace ncb
