// `ncbench table RUN.json... --format markdown|latex|csv`: paper tables from reports.
//
// Rows are runs (labelled by the checkpoint's name or --label), columns the chosen keys:
// an aggregate key of any metric (a nested one with its metric's name: METRIC.PART.KEY) or a
// probe accuracy (PROBE.VARIANT). Headers carry the direction (↑/↓) the metrics' descriptors
// give (config.metrics[].outputs); the best value of each column is bold; with intervals each
// value gets ± the half-width of its 95% interval. Without explicit columns the table shows
// each metric's headline key (HeadlineKeys, report.h) and every probe variant.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ncb {

struct TableOptions {
  std::string format = "markdown";   // markdown | latex | csv
  std::vector<std::string> columns;  // empty: each metric's main key
  std::vector<std::string> labels;   // per run; empty: checkpoint names
  bool intervals = false;
  int digits = 3;
  // Lay out a column over runs that measured different things (another dataset; for a probe
  // variant, another problem set or probe screen), which is refused otherwise.
  bool allow_mismatch = false;
};

// The table as text. Throws Error naming the run and the key when a column is missing
// from a run and no run has it; a run that lacks a column others have shows "-". Throws
// Error naming the column, two runs and what differs when runs with a value in one column
// measured different things (unless allow_mismatch).
std::string MakeTable(const std::vector<nlohmann::json>& runs, const TableOptions& options);

}  // namespace ncb
