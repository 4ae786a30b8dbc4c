// Terminal emulation against alacritty's reference grids (../shared/data/vt-reference): the
// raw pty bytes of real programs are fed to ncbench's Terminal (libvterm) and the resulting
// characters and colours compared cell by cell with the grid alacritty produced.
//
// Blank cells are 89% of all cells, so a terminal that drew nothing would match 89% of them;
// the bounds are therefore on the cells that hold something: characters over the cells where
// either grid has a non-blank character, and colours (foreground and background apart) over
// the cells where either grid has a colour other than the terminal's default (foregrounds
// only where they show: under a glyph or in reverse video). All cells are printed too.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "datasets/terminal.h"
#include "tests/test_util.h"

namespace ncb {
namespace {

// Shares required over all cases: issue 22's targets, 0.99 of the non-blank cells and 0.98 of
// the foreground and background colours. Measured (datasets/terminal.cpp's guard in front of
// libvterm 0.1.4: erased cells keep the background only, DECALN and DECCOLM in the default
// colours, T.416 colour-space SGR, the pending wrap saved and restored, a DECSC slot of the
// alternate screen's own): all cells 0.9999, non-blank 0.9992, foregrounds and backgrounds
// 1.0. Left: selective_erasure (DECSED/DECSEL), a few cells of zerowidth and saved_cursor_alt.
constexpr double kMinCells = 0.99;
constexpr double kMinNonBlank = 0.99;
constexpr double kMinForeground = 0.98;
constexpr double kMinBackground = 0.98;

struct Tally {
  int64_t match = 0, total = 0;
  void Add(bool ok) { match += ok, ++total; }
  void Add(const Tally& o) { match += o.match, total += o.total; }
  double Share() const { return total ? static_cast<double>(match) / total : 1.0; }
};

struct CaseResult {
  Tally cells, non_blank, fg, bg;  // fg, bg: cells where either side is not the default
};

// alacritty's colour as ncbench's Terminal reports it: Named Foreground / Background are the
// defaults, the named colours are palette indices 0-15, Indexed n is n, Spec is 24-bit.
Terminal::CellColor FromAlacritty(const nlohmann::json& c) {
  static const std::vector<std::string> names = {
      "Black",      "Red",           "Green",       "Yellow",     "Blue",        "Magenta",
      "Cyan",       "White",         "BrightBlack", "BrightRed",  "BrightGreen", "BrightYellow",
      "BrightBlue", "BrightMagenta", "BrightCyan",  "BrightWhite"};
  Terminal::CellColor out;
  if (c.contains("Named")) {
    const auto n = c["Named"].get<std::string>();
    const auto it = std::find(names.begin(), names.end(), n);
    if (it != names.end()) {
      out.kind = Terminal::CellColor::kIndexed;
      out.index = static_cast<int>(it - names.begin());
    } else if (n != "Foreground" && n != "Background") {
      ADD_FAILURE() << "unexpected named colour " << n;
    }
  } else if (c.contains("Indexed")) {
    out.kind = Terminal::CellColor::kIndexed;
    out.index = c["Indexed"].get<int>();
  } else if (c.contains("Spec")) {
    out.kind = Terminal::CellColor::kRgb;
    out.rgb = {c["Spec"]["r"].get<uint8_t>(), c["Spec"]["g"].get<uint8_t>(),
               c["Spec"]["b"].get<uint8_t>()};
  }
  return out;
}

bool Same(const Terminal::CellColor& a, const Terminal::CellColor& b) {
  if (a.kind != b.kind) return false;
  if (a.kind == Terminal::CellColor::kIndexed) return a.index == b.index;
  if (a.kind == Terminal::CellColor::kRgb)
    return a.rgb.r == b.rgb.r && a.rgb.g == b.rgb.g && a.rgb.b == b.rgb.b;
  return true;
}

CaseResult RunCase(const std::filesystem::path& dir) {
  const auto size = test::ReadJson(dir / "size.json");
  const int cols = size["columns"], rows = size["screen_lines"];
  const auto grid = test::ReadJson(dir / "grid.json");
  std::ifstream in(dir / "alacritty.recording", std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  Terminal term(rows, cols);
  term.Feed(bytes.str());
  const auto& raw = grid["raw"];
  const auto& storage = raw["inner"];
  const int64_t len = storage.size(), zero = raw["zero"];
  CaseResult r;
  // NCB_VT_CASE=<case> prints both screens of that case, row by row (alacritty, then ncbench).
  const char* show = std::getenv("NCB_VT_CASE");
  const bool print = show && dir.filename() == show;
  for (int row = 0; row < rows; ++row) {
    std::string want_line, got_line;
    // alacritty's ring buffer keeps the bottom line at `zero`; screen line 0 is the top.
    const auto& cells = storage[(zero + rows - 1 - row) % len]["inner"];
    for (int col = 0; col < cols && col < static_cast<int>(cells.size()); ++col) {
      const auto& cell = cells[col];
      std::string want = cell["c"].get<std::string>();
      const std::string flags = cell.value("flags", "");
      if (flags.find("WIDE_CHAR_SPACER") != std::string::npos || want == "\t") want = " ";
      std::string got = term.CellText(row, col);
      if (got.empty()) got = " ";
      r.cells.Add(got == want);
      want_line += want;
      got_line += got;
      if (got != " " || want != " ") r.non_blank.Add(got == want);
      const auto colours = term.CellColorsAt(row, col);
      const auto fg = FromAlacritty(cell["fg"]), bg = FromAlacritty(cell["bg"]);
      // A foreground shows only under a glyph or in reverse video: the foreground of an
      // erased blank cell is whatever pen erased it (libvterm keeps it, alacritty resets it).
      const bool fg_shows = got != " " || want != " " || colours.reverse ||
                            flags.find("INVERSE") != std::string::npos;
      if (fg_shows && (fg.kind != Terminal::CellColor::kDefault ||
                       colours.fg.kind != Terminal::CellColor::kDefault)) {
        r.fg.Add(Same(fg, colours.fg));
        if (print && !Same(fg, colours.fg) && r.fg.total - r.fg.match <= 5) {
          std::cout << "fg at " << row << "," << col << " '" << want << "': alacritty "
                    << cell["fg"].dump() << ", ncbench kind " << colours.fg.kind << " index "
                    << colours.fg.index << " rgb " << int(colours.fg.rgb.r) << ","
                    << int(colours.fg.rgb.g) << "," << int(colours.fg.rgb.b) << "\n";
        }
      }
      if (bg.kind != Terminal::CellColor::kDefault ||
          colours.bg.kind != Terminal::CellColor::kDefault)
        r.bg.Add(Same(bg, colours.bg));
    }
    if (print) std::cout << "A|" << want_line << "\nN|" << got_line << "\n";
  }
  return r;
}

TEST(VtReference, CellsMatchAlacritty) {
  NCB_REQUIRE_SHARED();
  std::vector<std::filesystem::path> cases;
  for (const auto& e :
       std::filesystem::directory_iterator(test::SharedDir() / "data/vt-reference")) {
    if (e.is_directory()) cases.push_back(e.path());
  }
  std::sort(cases.begin(), cases.end());
  ASSERT_GE(cases.size(), 40u);
  CaseResult all;
  std::cout << std::left << std::setw(48) << "case"
            << "cells  non-blank (n)  fg (n)      bg (n)\n";
  for (const auto& c : cases) {
    const auto r = RunCase(c);
    std::cout << std::left << std::setw(48) << c.filename().string() << std::fixed
              << std::setprecision(4) << r.cells.Share() << " " << r.non_blank.Share() << " ("
              << r.non_blank.total << ")  " << r.fg.Share() << " (" << r.fg.total << ") "
              << r.bg.Share() << " (" << r.bg.total << ")\n";
    all.cells.Add(r.cells);
    all.non_blank.Add(r.non_blank);
    all.fg.Add(r.fg);
    all.bg.Add(r.bg);
  }
  std::cout << "over all " << cases.size() << " cases: cells " << all.cells.Share()
            << ", non-blank cells " << all.non_blank.Share() << " (" << all.non_blank.match << "/"
            << all.non_blank.total << "), foreground colours " << all.fg.Share() << " ("
            << all.fg.match << "/" << all.fg.total << "), background colours " << all.bg.Share()
            << " (" << all.bg.match << "/" << all.bg.total << ")\n";
  EXPECT_GE(all.cells.Share(), kMinCells);
  EXPECT_GE(all.non_blank.Share(), kMinNonBlank);
  EXPECT_GE(all.fg.Share(), kMinForeground);
  EXPECT_GE(all.bg.Share(), kMinBackground);
}

}  // namespace
}  // namespace ncb
