#include "reports/run_report.h"

#include "core/errors.h"

namespace ncb {
using nlohmann::json;

json RunSummary::ToJson() const {
  json s = {{"samples_total", samples_total},
            {"samples_ok", samples_ok},
            {"samples_failed", samples_failed},
            {"probes_failed", probes_failed},
            {"metrics_unavailable", metrics_unavailable}};
  if (interrupted) {
    s["interrupted"] = true;
    s["samples_not_run"] = samples_not_run;
  }
  return s;
}

namespace {

// The counts of `r`'s samples, probes and unavailable metrics.
void Count(const RunReport& r, RunSummary* s) {
  s->samples_total = static_cast<int64_t>(r.samples.size());
  s->samples_ok = 0;
  for (const auto& rec : r.samples) s->samples_ok += rec.value("status", "") == "ok";
  s->samples_failed = s->samples_total - s->samples_ok;
  s->probes_failed = 0;
  for (const auto& [name, p] : r.probes.items()) s->probes_failed += p.contains("error");
  s->metrics_unavailable = static_cast<int64_t>(r.metrics_unavailable.size());
}

}  // namespace

void RunReport::Complete() {
  Count(*this, &summary);
  for (const auto& [name, why] : metrics_unavailable.items())
    aggregates[name] = {{"unavailable", why}};
}

int RunReport::ExitCode() const {
  if (kind == Kind::kThroughput) {
    for (const auto& row : throughput.value("sweep", json::array())) {
      if (row.contains("error")) return 3;
    }
    return 0;
  }
  if (summary.interrupted) return 130;
  return summary.samples_failed > 0 || summary.probes_failed > 0 ? 3 : 0;
}

json RunReport::ToJson() const {
  json j = {{"schema", kReportSchema},
            {"context", context},
            {"checkpoint", checkpoint},
            {"config", config},
            {"throughput", throughput}};
  if (kind == Kind::kThroughput) {
    j["kind"] = "throughput";
    return j;
  }
  j["dataset"] = dataset;
  j["samples"] = samples;
  j["aggregates"] = aggregates;
  j["metric_states"] = metric_states;
  j["summary"] = summary.ToJson();
  if (!metrics_unavailable.empty()) j["metrics_unavailable"] = metrics_unavailable;
  if (!probes.empty()) j["probes"] = probes;
  if (!shard.is_null()) j["shard"] = shard;
  if (!merged_from.is_null()) j["merged_from"] = merged_from;
  return j;
}

namespace {

const json& Block(const json& j, const char* key, const std::string& path) {
  const auto it = j.find(key);
  if (it == j.end()) throw Error(At(path, std::string("has no field \"") + key + "\""));
  return *it;
}

}  // namespace

RunReport::Kind RunReport::Check(const json& j, const std::string& path) {
  const auto schema = j.is_object() ? j.find("schema") : j.end();
  if (!j.is_object() || schema == j.end() || *schema != kReportSchema) {
    throw Error(At(path, std::string("field \"schema\": expected \"") + kReportSchema + "\""));
  }
  const Kind kind = j.value("kind", "") == "throughput" ? Kind::kThroughput : Kind::kEval;
  for (const char* key : {"context", "checkpoint", "config"}) Block(j, key, path);
  if (kind == Kind::kEval) {
    for (const char* key : {"dataset", "samples", "aggregates", "summary"}) Block(j, key, path);
  }
  return kind;
}

RunReport RunReport::FromJson(const json& j, const std::string& path) {
  RunReport r;
  r.kind = Check(j, path);
  r.context = Block(j, "context", path);
  r.checkpoint = Block(j, "checkpoint", path);
  r.config = Block(j, "config", path);
  r.throughput = j.value("throughput", json(nullptr));
  if (r.kind == Kind::kThroughput) return r;
  r.dataset = Block(j, "dataset", path);
  r.samples = Block(j, "samples", path);
  r.aggregates = Block(j, "aggregates", path);
  r.metric_states = j.value("metric_states", json::object());
  r.metrics_unavailable = j.value("metrics_unavailable", json::object());
  r.probes = j.value("probes", json::object());
  r.shard = j.value("shard", json(nullptr));
  r.merged_from = j.value("merged_from", json(nullptr));
  const json& s = Block(j, "summary", path);
  Count(r, &r.summary);
  r.summary.interrupted = s.value("interrupted", false);
  r.summary.samples_not_run = s.value("samples_not_run", int64_t{0});
  return r;
}

json RunIdentity(const RunReport& r) {
  json ck = r.checkpoint;
  if (ck.contains("sha256")) ck.erase("path");  // the content names it
  // A server that names its model files is identified by their content (in its sha256), not
  // by the command line that started it or the files' paths (./srv.py or srv.py, --device
  // cuda:N, a copy of the weights on each node).
  if (ck.contains("model_files") && ck["model_files"].is_array() && !ck["model_files"].empty()) {
    ck.erase("command");
    json content = json::array();
    for (const auto& f : ck["model_files"]) content.push_back(f.value("sha256", ""));
    ck["model_files"] = content;
  }
  ck.erase("restarts");  // the process adapter's: no number depends on it
  ck.erase("timeout_s");
  json metrics = json::array();
  for (const auto& m : r.config.value("metrics", json::array()))
    metrics.push_back({m.value("name", ""), m.value("version", 0), m.value("options", json())});
  const json& c = r.config;
  return {{"checkpoint", ck},
          {"dataset", r.dataset.value("sha256", "")},
          {"seed", r.context.value("seed", json(nullptr))},
          {"metrics", metrics},
          {"metrics_unavailable", r.metrics_unavailable},
          {"alignment", c.value("alignment", json(nullptr))},
          {"rollout_mode", c.value("rollout_mode", json(nullptr))},
          {"max_frames", c.value("max_frames", json(nullptr))},
          {"baselines", c.value("baselines", json(nullptr))},
          {"caption_style", c.value("caption_style", json(nullptr))},
          {"render", c.value("render", json(nullptr))},
          {"strip_frames", c.value("strip_frames", json(nullptr))}};
}

}  // namespace ncb
