// The report model: report.json is the source of truth for every view of a run.
//
// Schema "ncbench.report/1" (docs/report.md):
//   schema, context{time, host, git_sha, build_type, versions, device, cpu, command_line, seed},
//   checkpoint{adapter, path, sha256, spec}, dataset{manifest, sha256, ...},
//   config{metrics, alignment, ...}, samples[{id, status, scores, frames[] | error}],
//   aggregates{metric: {...}}, metric_states{metric: sums}, summary{samples_total, ok, failed},
//   throughput{device, threads, phases, rollout, harness, memory, timeline} (core/throughput.h).
// Everything outside context.time and throughput is a pure function of the inputs, so
// identical inputs give identical reports apart from those two.
// Non-finite numbers never appear: a value without a defined number is null with a reason.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/json_path.h"
#include "core/output_keys.h"
#include "reports/run_report.h"

namespace ncb {

struct ContextInput {
  std::vector<std::string> command_line;
  std::string device;  // "cpu", "cuda:0"
  int64_t seed = 0;
};

// The provenance block (google/benchmark's context, llama-bench's provenance).
nlohmann::json MakeContext(const ContextInput& in);

// Writes `j` to `path` through a temporary file and rename, so a reader never sees half a
// report. Numbers at full precision; LC_NUMERIC-independent (nlohmann writes with "C").
void WriteJsonAtomic(const std::filesystem::path& path, const nlohmann::json& j);
// The same for any bytes (HTML, Markdown, LaTeX views).
void WriteFileAtomic(const std::filesystem::path& path, const std::string& bytes);

// Reads a run's report.json (of `eval`, or of `merge`) for a view: throws Error naming the
// file when it cannot be read, is not JSON, has another schema, is a --throughput-only
// report (no scores), or lacks a top-level field the views need.
nlohmann::json ReadReportFile(const std::string& path);

// The console summary: one line per aggregate key, then failed samples.
void PrintSummary(std::ostream& out, const nlohmann::json& report);

// How a view reads an aggregate or per-sample key: the descriptors of the report's metrics
// (core/output_keys.h), all of config.metrics searched, the best match winning.
KeyInfo DescribeKey(const nlohmann::json& report, const std::string& key);

// A metric's headline keys, best first: its name, then the keys its descriptors call primary
// (a "*SUFFIX" pattern as NAME + SUFFIX: "ocr_char_accuracy", "cursor_hit_rate").
std::vector<std::string> HeadlineKeys(const nlohmann::json& metric_config);

// DescribeKey(report, key).direction, "higher_is_better" for counts and notes.
std::string KeyDirection(const nlohmann::json& report, const std::string& key);

}  // namespace ncb
