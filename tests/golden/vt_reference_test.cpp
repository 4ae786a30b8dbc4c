// Terminal emulation against alacritty's reference grids (../shared/data/vt-reference): the
// raw pty bytes of real programs are fed to ncbench's Terminal (libvterm) and the resulting
// characters compared cell by cell with the grid alacritty produced.
#include <fstream>
#include <iomanip>
#include <set>
#include <sstream>

#include "datasets/terminal.h"
#include "tests/test_util.h"

namespace ncb {
namespace {

// Share of matching cells required over the supported cases (the bound).
constexpr double kMinShare = 0.95;

// Cases whose reference depends on behaviour outside what ncbench's renderer models, each with
// the reason. They are still run and printed, not counted.
const std::set<std::string>& Unsupported() {
  static const std::set<std::string> s = {};
  return s;
}

struct CaseResult {
  int64_t match = 0, total = 0;
};

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
  for (int row = 0; row < rows; ++row) {
    // alacritty's ring buffer keeps the bottom line at `zero`; screen line 0 is the top.
    const auto& cells = storage[(zero + rows - 1 - row) % len]["inner"];
    for (int col = 0; col < cols && col < static_cast<int>(cells.size()); ++col) {
      std::string want = cells[col]["c"].get<std::string>();
      const std::string flags = cells[col].value("flags", "");
      if (flags.find("WIDE_CHAR_SPACER") != std::string::npos || want == "\t") want = " ";
      std::string got = term.CellText(row, col);
      if (got.empty()) got = " ";
      r.match += got == want;
      ++r.total;
    }
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
  for (const auto& c : cases) {
    const auto r = RunCase(c);
    const bool counted = !Unsupported().count(c.filename().string());
    std::cout << std::left << std::setw(48) << c.filename().string() << std::fixed
              << std::setprecision(4) << double(r.match) / r.total
              << (counted ? "" : "  (not counted)") << "\n";
    if (counted) {
      all.match += r.match;
      all.total += r.total;
    }
  }
  const double share = double(all.match) / all.total;
  std::cout << "cells matching over supported cases: " << share << " (" << all.match << "/"
            << all.total << ")\n";
  EXPECT_GE(share, kMinShare);
}

}  // namespace
}  // namespace ncb
