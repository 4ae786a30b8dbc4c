#include "reports/markdown_table.h"

#include <iomanip>
#include <sstream>

namespace ncb {

MarkdownTable::MarkdownTable(std::vector<Column> columns) : columns_(std::move(columns)) {}

void MarkdownTable::Row(std::vector<std::string> cells) {
  cells.resize(columns_.size());
  for (auto& c : cells) {
    std::string escaped;
    for (char ch : c) {
      if (ch == '|') escaped += '\\';
      escaped += ch;
    }
    c = std::move(escaped);
  }
  rows_.push_back(std::move(cells));
}

std::string MarkdownTable::str() const {
  std::string out = "|";
  for (const auto& c : columns_) out += " " + c.header + " |";
  out += "\n|";
  for (const auto& c : columns_) out += c.right ? "---:|" : "---|";
  out += "\n";
  for (const auto& r : rows_) {
    out += "|";
    for (const auto& cell : r) out += cell.empty() ? " |" : " " + cell + " |";
    out += "\n";
  }
  return out;
}

std::string Fixed(double value, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << value;
  return s.str();
}

}  // namespace ncb
