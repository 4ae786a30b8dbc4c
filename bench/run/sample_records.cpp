#include "bench/run/sample_records.h"

#include "core/errors.h"
#include "core/json_path.h"
#include "reports/report.h"

namespace ncb {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path IdentityFile(const fs::path& jsonl) { return jsonl.parent_path() / "run_identity.json"; }

// What makes the earlier run in `jsonl`'s folder another run: the first field of its
// run_identity.json that differs from `identity`, or the possibilities when it has none.
std::string WhatDiffers(const fs::path& jsonl, const json& identity) {
  std::ifstream in(IdentityFile(jsonl));
  const json before = in ? json::parse(in, nullptr, false) : json();
  const std::string d =
      before.is_discarded() || before.is_null() ? "" : DifferencePath(before, identity);
  if (d.empty()) return "another checkpoint, dataset, metric, option, seed or shard";
  return d + " is " + AtPath(identity, d).dump() + " now, " + AtPath(before, d).dump() +
         " in the earlier run";
}

// The finished samples of an earlier run in samples.jsonl, by manifest line: its "ok" lines
// of run `run_hash` (failed samples are tried again). A line that does not parse is the one
// a kill cut short, and is dropped; a line of another run stops the run.
std::map<int, json> ReadFinishedSamples(const fs::path& path, const json& identity,
                                        const std::string& run_hash) {
  std::map<int, json> out;
  std::ifstream in(path);
  if (!in) return out;  // nothing to resume: a fresh run
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    json rec = json::parse(line, nullptr, false);
    if (rec.is_discarded() || !rec.is_object()) continue;
    if (!rec.contains("run") || rec["run"] != run_hash) {
      throw Error(At(path.string() + ":" + std::to_string(n),
                     "is a sample of another run (" + WhatDiffers(path, identity) +
                         "); --resume continues only the same run: use another --out, or drop "
                         "--resume to start over"));
    }
    if (rec.value("status", "") == "ok" && rec.contains("line") &&
        rec["line"].is_number_integer()) {
      const int at =
          rec["line"].get<int>();  // before the move: json's operator= takes its argument by value
      out[at] = std::move(rec);
    }
  }
  return out;
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

json ErrorRecord(const std::string& id, const std::string& stage, const std::string& message) {
  return {{"id", id}, {"status", "error"}, {"stage", stage}, {"error", message}};
}

SampleRecords::SampleRecords(const fs::path& jsonl, const json& identity,
                             const std::string& run_hash, bool resume, const Logger& log)
    : path_(jsonl), run_hash_(run_hash), log_(log) {
  fs::create_directories(jsonl.parent_path());
  if (resume) kept_ = ReadFinishedSamples(jsonl, identity, run_hash);
  WriteJsonAtomic(IdentityFile(jsonl), identity);
  if (!kept_.empty()) {
    log(LogLevel::kInfo, "resuming: " + std::to_string(kept_.size()) +
                             " finished sample(s) kept from " + jsonl.string());
  }
  // The kept lines are written again (a line cut short by a kill is dropped), then appended to.
  {
    std::ofstream tmp(jsonl.string() + ".tmp", std::ios::trunc);
    for (const auto& [line, rec] : kept_) tmp << Dump(rec) << "\n";
    if (!tmp) throw Error(At(jsonl.string(), "cannot write"));
  }
  fs::rename(jsonl.string() + ".tmp", jsonl);
  out_.open(jsonl, std::ios::app);
}

void SampleRecords::Finish(int line, json rec, RunResults* results, json distribution_kept) {
  rec["line"] = line;  // the manifest's line: the order of the report, and of merged shards
  json stamped = rec;
  stamped["run"] = run_hash_;
  if (!distribution_kept.is_null()) stamped["distribution_kept"] = std::move(distribution_kept);
  out_ << Dump(stamped) << "\n";
  out_.flush();
  if (rec["status"] != "ok")
    log_(LogLevel::kWarning, rec["id"].get<std::string>() + ": " + rec["error"].get<std::string>());
  results->records[line] = std::move(rec);
}

void AddManifestErrors(const Manifest& manifest, RunResults* results) {
  for (const auto& e : manifest.errors) {
    json& r = results->records[e.line];
    r = ErrorRecord(e.id.empty() ? "line " + std::to_string(e.line) : e.id, "manifest", e.message);
    r["line"] = e.line;
  }
}

void AddKeptSamples(const RunPlan& plan, const SampleRecords& records, const std::string& jsonl,
                    RunResults* results) {
  for (const auto& [line, stamped] : records.kept()) {
    json rec = stamped;
    rec.erase("run");
    const json kept = rec.contains("distribution_kept") ? rec["distribution_kept"] : json::object();
    rec.erase("distribution_kept");
    for (size_t i = 0; i < plan.metrics.size(); ++i) {
      const Metric& m = *plan.metric_slots[0][i];
      const std::string& name = m.info().name;
      const bool distribution = m.info().scope == "distribution";
      const auto& ms = distribution ? kept : ObjectOr(rec, "metric_states");
      if (!ms.contains(name)) {
        throw Error(At(jsonl, "the kept sample " + rec["id"].dump() + " has no " +
                                  (distribution ? "distribution_kept" : "metric state") + " of " +
                                  name));
      }
      try {
        const MetricState st =
            distribution ? m.StateOfSample(ms[name]) : MetricState::FromJson(ms[name]);
        results->resumed_states[i].Merge(st);
        if (!distribution) results->per_sample[i][line] = st;
      } catch (const std::exception& e) {
        throw Error(At(jsonl, "the kept sample " + rec["id"].dump() + ": " + e.what()));
      }
    }
    results->records[line] = std::move(rec);
  }
  results->samples_resumed = records.kept().size();
}

}  // namespace ncb
