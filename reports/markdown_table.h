// One Markdown (GitHub) table writer for every table ncbench prints: the console summary,
// `compare`, `table --format markdown`, `bench-peers` and `--throughput-only`.
#pragma once

#include <string>
#include <vector>

namespace ncb {

class MarkdownTable {
 public:
  struct Column {
    std::string header;
    bool right = false;  // numbers: right-aligned ("---:")
  };
  explicit MarkdownTable(std::vector<Column> columns);
  // A row; fewer cells than columns leave the rest empty. A '|' inside a cell is escaped.
  void Row(std::vector<std::string> cells);
  // "| a | b |\n|---|---:|\n| x | y |\n"
  std::string str() const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// A number with `digits` decimals ("3.14"); the tables' number format.
std::string Fixed(double value, int digits);

}  // namespace ncb
