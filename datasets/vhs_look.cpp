#include "datasets/vhs_look.h"

#include <cstdlib>
#include <memory>
#include <sstream>

#include "core/errors.h"

namespace ncb {
namespace {

Rgb HexColour(const std::string& text, const std::string& where) {
  std::string h = text;
  if (!h.empty() && h.front() == '"') h = h.substr(1, h.size() >= 2 ? h.size() - 2 : 0);
  if (h.size() == 7 && h[0] == '#') {
    char* end = nullptr;
    const unsigned long v = std::strtoul(h.c_str() + 1, &end, 16);
    if (end && *end == 0) {
      return {static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
    }
  }
  throw FormatError(where + " '" + text + "'; expected a colour \"#rrggbb\"");
}

double Number(const std::string& text, const std::string& where) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || !end || *end != 0 || v < 0) {
    throw FormatError(where + " '" + text + "'; expected a number >= 0");
  }
  return v;
}

// vhs's Set Theme JSON (xterm.js's theme keys) over vhs's default theme.
Theme ThemeOf(const nlohmann::json& j, const std::string& where) {
  Theme t;
  t.name = j.value("name", "tape");
  const auto colour = [&](const char* key, const char* fallback) {
    const auto it = j.find(key);
    if (it == j.end()) return HexColour(fallback, where);
    if (!it->is_string()) throw FormatError(where + ": Theme." + key + " is not a string");
    return HexColour(it->get<std::string>(), where + ": Theme." + key);
  };
  t.background = colour("background", "#171717");
  t.foreground = colour("foreground", "#dddddd");
  t.cursor = colour("cursor", "#dddddd");
  static const char* keys[16][2] = {
      {"black", "#282a2e"},      {"red", "#D74E6F"},          {"green", "#31BB71"},
      {"yellow", "#D3E561"},     {"blue", "#8056FF"},         {"purple", "#ED61D7"},
      {"cyan", "#04D7D7"},       {"white", "#bfbfbf"},        {"brightBlack", "#4d4d4d"},
      {"brightRed", "#FE5F86"},  {"brightGreen", "#00D787"},  {"brightYellow", "#EBFF71"},
      {"brightBlue", "#9B79FF"}, {"brightPurple", "#FF7AEA"}, {"brightCyan", "#00FEFE"},
      {"brightWhite", "#e6e6e6"}};
  for (int i = 0; i < 16; ++i) t.palette[static_cast<size_t>(i)] = colour(keys[i][0], keys[i][1]);
  return t;
}

}  // namespace

TapeLook LookOfTape(const Tape& tape, const RenderOptions& render) {
  TapeLook look;
  look.render = render;
  // The timing vhs reads from any tape: its capture rate and how fast the video plays.
  const auto in_range = [&](const char* key, double lo, double hi, double* out) {
    const auto it = tape.settings.find(key);
    if (it == tape.settings.end()) return;
    char* end = nullptr;
    const double v = std::strtod(it->second.c_str(), &end);
    if (it->second.empty() || !end || *end != 0 || !(v >= lo && v <= hi)) {
      std::ostringstream range;
      range << "'; expected a number from " << lo << " to " << hi;
      throw FormatError(tape.file + ": Set " + key + " '" + it->second + range.str());
    }
    *out = v;
  };
  in_range("Framerate", 1, 240, &look.framerate);
  in_range("PlaybackSpeed", 0.1, 10, &look.playback_speed);
  static const char* keys[] = {"Width",      "Height",        "FontSize", "FontFamily",
                               "LineHeight", "LetterSpacing", "Padding",  "Margin",
                               "MarginFill", "BorderRadius",  "Theme"};
  for (const char* k : keys) look.vhs |= tape.settings.count(k) > 0;
  look.vhs |= !tape.theme.is_null();
  if (!look.vhs) return look;
  const auto get = [&](const char* key, const char* fallback) {
    const auto it = tape.settings.find(key);
    return it == tape.settings.end() ? std::string(fallback) : it->second;
  };
  const auto where = [&](const char* key) { return tape.file + ": Set " + key; };
  auto& r = look.render;
  r.canvas_w = static_cast<int>(Number(get("Width", "1200"), where("Width")));
  r.canvas_h = static_cast<int>(Number(get("Height", "600"), where("Height")));
  r.font_px = static_cast<int>(Number(get("FontSize", "22"), where("FontSize")));
  std::string family = get("FontFamily", kVhsFontFamily);
  if (family.size() >= 2 && family.front() == '"') family = family.substr(1, family.size() - 2);
  r.font_family = family;
  r.xterm_metrics = true;
  r.line_height = Number(get("LineHeight", "1"), where("LineHeight"));
  r.letter_spacing_px = Number(get("LetterSpacing", "0"), where("LetterSpacing"));
  r.padding_px = static_cast<int>(Number(get("Padding", "60"), where("Padding")));
  r.margin_px = static_cast<int>(Number(get("Margin", "0"), where("Margin")));
  r.border_radius_px = static_cast<int>(Number(get("BorderRadius", "0"), where("BorderRadius")));
  // vhs leaves xterm.js's cursor blink on (Set CursorBlink false turns it off): on the released
  // renders the cursor is gone from the last frames, 600 ms after the prompt's return.
  const std::string blink = get("CursorBlink", "true");
  if (blink != "true" && blink != "false")
    throw FormatError(where("CursorBlink") + " '" + blink + "'; expected true or false");
  r.cursor_blink_s = blink == "true" ? kXtermBlinkS : 0;
  if (tape.settings.count("Theme") && tape.theme.is_null()) {
    throw FormatError(where("Theme") + " '" + tape.settings.at("Theme") +
                      "'; expected the theme as a JSON block (named vhs themes are not known)");
  }
  const Theme theme = ThemeOf(tape.theme.is_null() ? nlohmann::json::object() : tape.theme,
                              tape.file + ": Set Theme");
  r.custom = std::make_shared<const Theme>(theme);
  r.margin_fill = tape.settings.count("MarginFill")
                      ? HexColour(tape.settings.at("MarginFill"), where("MarginFill"))
                      : theme.background;
  if (r.canvas_w < 2 * (r.margin_px + r.padding_px) + 2 * r.font_px ||
      r.canvas_h < 2 * (r.margin_px + r.padding_px) + r.font_px) {
    throw FormatError(tape.file + ": Set Width/Height " + std::to_string(r.canvas_w) + "x" +
                      std::to_string(r.canvas_h) + " leave no room for text inside margin " +
                      std::to_string(r.margin_px) + " and padding " + std::to_string(r.padding_px));
  }
  const auto [rows, cols] = Terminal::GridFor(r);
  look.rows = rows;
  look.cols = cols;
  look.prompt = kVhsPrompt;
  look.prompt_shown = "> ";
  return look;
}

// clang-format off
const char* const kCligenCleanSet = R"set(Set Shell "bash"
Set Theme {
  "name": "Catppuccin Mocha (Pure White, Warm Pink Cursor)",
  "background": "#1e1e2e",
  "foreground": "#ffffff",
  "black": "#45475a",
  "red": "#f38ba8",
  "green": "#a6e3a1",
  "yellow": "#f9e2af",
  "blue": "#89b4fa",
  "purple": "#cba6f7",
  "cyan": "#94e2d5",
  "white": "#ffffff",
  "brightBlack": "#585b70",
  "brightRed": "#f38ba8",
  "brightGreen": "#a6e3a1",
  "brightYellow": "#f9e2af",
  "brightBlue": "#89b4fa",
  "brightPurple": "#cba6f7",
  "brightCyan": "#89dceb",
  "brightWhite": "#ffffff",
  "cursor": "#f5c2e7",
  "cursorAccent": "#1e1e2e",
  "selectionBackground": "#585b70"
}
Set FontSize 40
Set Width 1600
Set Height 900
Set TypingSpeed 70ms
Set PlaybackSpeed 1
Set Margin 28
Set MarginFill "#0091FF"
Set BorderRadius 25
Set Padding 18
Set LineHeight 1.2
Set LetterSpacing 0.8
)set";
// clang-format on

TapeLook CligenCleanLook() { return LookOfTape(ParseTape(kCligenCleanSet, "cligen-clean"), {}); }

}  // namespace ncb
