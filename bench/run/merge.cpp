#include "bench/run/merge.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/command.h"
#include "core/errors.h"
#include "core/hashing.h"
#include "core/json_path.h"
#include "metrics/baselines/static_baseline.h"
#include "reports/report.h"

namespace ncb {
namespace fs = std::filesystem;
using nlohmann::json;

json AggregateMetric(const Metric& m, const MetricState& merged,
                     const std::vector<MetricState>& per_sample, const BootstrapOptions& bootstrap,
                     int64_t run_seed) {
  json a = m.Finalize(merged);
  if (m.info().scope != "distribution") {
    BootstrapOptions bo = bootstrap;
    bo.seed = static_cast<uint64_t>(run_seed) + Fnv1a64(m.info().name);
    const json descriptors = {{"name", m.info().name}, {"outputs", DescribeOutputs(m)}};
    AddBootstrapIntervals(
        &a, per_sample, [&m](const MetricState& st) { return m.Finalize(st); }, bo, descriptors);
  }
  return a;
}

namespace {

struct Shard {
  std::string path;  // its report.json
  RunReport report;
  int index = 0;
};

// What must be equal for shards to belong to one run: the run's identity, and how the run was
// cut into shards and summarised.
json Identity(const RunReport& r) {
  json id = RunIdentity(r);
  id["shard_count"] = r.shard.value("count", json(nullptr));
  id["max_samples"] = r.config.value("max_samples", json(nullptr));
  id["intervals"] = r.config.value("intervals", json(nullptr));
  return id;
}

Shard ReadShard(const std::string& given) {
  Shard s;
  s.path = fs::is_directory(given) ? (fs::path(given) / "report.json").string() : given;
  s.report = RunReport::FromJson(ReadReportFile(s.path), s.path);
  const auto& sh = s.report.shard;
  if (!sh.is_object() || !sh.contains("index") || !sh["index"].is_number_integer() ||
      !sh.contains("count")) {
    throw Error(
        At(s.path, "has no field \"shard\": it is not the report of an `eval --shard i/N` run"));
  }
  s.index = sh["index"].get<int>();
  if (s.report.summary.interrupted) {
    throw Error(At(s.path, "shard " + std::to_string(s.index) +
                               " was interrupted before it finished; run it again, then merge"));
  }
  return s;
}

json SumPhases(const std::vector<Shard>& shards) {
  json out = json::object();
  for (const auto& s : shards) {
    for (const auto& [name, p] : ObjectOr(s.report.throughput, "phases").items()) {
      json& o = out[name];
      if (o.is_null()) o = json::object();
      o["wall_s"] = o.value("wall_s", 0.0) + p.value("wall_s", 0.0);
      o["calls"] = o.value("calls", int64_t{0}) + p.value("calls", int64_t{0});
      if (p.contains("frames"))
        o["frames"] = o.value("frames", int64_t{0}) + p["frames"].get<int64_t>();
    }
  }
  for (auto& [name, o] : out.items()) {
    if (o.contains("frames")) {
      o["frames_per_s"] = o["wall_s"].get<double>() > 0
                              ? o["frames"].get<double>() / o["wall_s"].get<double>()
                              : 0.0;
    }
  }
  return out;
}

// The shards' throughput: work summed (phases, frames, seconds), the wall time of the
// longest shard, the largest peak memory; each shard's own block under "shards".
json MergeThroughput(const std::vector<Shard>& shards) {
  const json& first = shards[0].report.throughput;
  json t = {{"device", ObjectOr(first, "device")}, {"threads", ObjectOr(first, "threads")}};
  double wall = 0, wall_sum = 0, ro_wall = 0, harness = 0, rss = 0, dev = -1;
  int64_t frames = 0, scored = 0;
  json per = json::array();
  for (const auto& s : shards) {
    json st = s.report.throughput;
    wall = std::max(wall, st.value("wall_s", 0.0));
    wall_sum += st.value("wall_s", 0.0);
    const auto& ro = ObjectOr(st, "rollout");
    ro_wall += ro.value("wall_s", 0.0);
    frames += ro.value("frames", int64_t{0});
    scored += ro.value("frames_scored", int64_t{0});
    harness += ObjectOr(st, "harness").value("wall_s", 0.0);
    const auto& mem = ObjectOr(st, "memory");
    rss = std::max(rss, mem.value("peak_rss_mib", 0.0));
    if (mem.contains("peak_device_mib") && mem["peak_device_mib"].is_number()) {
      dev = std::max(dev, mem["peak_device_mib"].get<double>());
    }
    st.erase("timeline");
    st["shard"] = s.index;
    st["host"] = s.report.context.value("host", json(nullptr));
    per.push_back(std::move(st));
  }
  const json& ro0 = ObjectOr(first, "rollout");
  t["merged"] = "from " + std::to_string(shards.size()) +
                " shards: work (phases, rollout frames and seconds, harness "
                "seconds) summed over the shards; wall_s is the longest shard's, memory the "
                "largest peak of any; "
                "latency percentiles are per shard, under shards";
  t["wall_s"] = wall;
  t["phases"] = SumPhases(shards);
  t["rollout"] = {
      {"mode", ro0.value("mode", json(nullptr))},
      {"batch_size", ro0.value("batch_size", json(nullptr))},
      {"timer", ro0.value("timer", json(nullptr))},
      {"frames", frames},
      {"frames_scored", scored},
      {"wall_s", ro_wall},
      {"frames_per_s", ro_wall > 0 ? static_cast<double>(frames) / ro_wall : 0.0},
      {"latency", {{"count", 0}, {"note", "per shard: throughput.shards[i].rollout.latency"}}}};
  t["harness"] = {{"wall_s", harness}, {"share_of_wall", wall_sum > 0 ? harness / wall_sum : 0.0}};
  t["memory"] = {{"peak_rss_mib", rss}, {"peak_device_mib", dev >= 0 ? json(dev) : json(nullptr)}};
  t["shards"] = std::move(per);
  return t;
}

// The shards sorted by index, checked to be the N shards of one run, each exactly once.
std::vector<Shard> ReadShards(const std::vector<std::string>& given) {
  std::vector<Shard> shards;
  for (const auto& p : given) shards.push_back(ReadShard(p));
  std::sort(shards.begin(), shards.end(),
            [](const Shard& a, const Shard& b) { return a.index < b.index; });
  const json id0 = Identity(shards[0].report);
  for (size_t i = 1; i < shards.size(); ++i) {
    const json id = Identity(shards[i].report);
    if (const auto d = DifferencePath(id0, id); !d.empty()) {
      throw Error("merge: " + shards[i].path + " and " + shards[0].path +
                  " are shards of different runs: " + d + " is " + AtPath(id, d).dump() +
                  " in the first, " + AtPath(id0, d).dump() + " in the second");
    }
  }
  const int count = id0["shard_count"].get<int>();
  for (int i = 1; i <= count; ++i) {
    const auto n =
        std::count_if(shards.begin(), shards.end(), [i](const Shard& s) { return s.index == i; });
    if (n == 0)
      throw Error("merge: shard " + std::to_string(i) + " of " + std::to_string(count) +
                  " is missing");
    if (n > 1)
      throw Error("merge: shard " + std::to_string(i) + " of " + std::to_string(count) +
                  " is given " + std::to_string(n) + " times");
  }
  if (static_cast<int>(shards.size()) != count) {
    throw Error("merge: " + std::to_string(shards.size()) + " reports for " +
                std::to_string(count) + " shards");
  }
  return shards;
}

// The shards' sample records in manifest order.
json JoinSamples(const std::vector<Shard>& shards) {
  std::map<int64_t, json> by_line;
  for (const auto& s : shards) {
    for (const auto& rec : s.report.samples) {
      if (!rec.contains("line") || !rec["line"].is_number_integer()) {
        throw Error(At(s.path, "a sample record has no \"line\" (a report of an older ncbench?)"));
      }
      if (!by_line.emplace(rec["line"].get<int64_t>(), rec).second) {
        throw Error(At(s.path, "manifest line " + rec["line"].dump() + " is in two shards"));
      }
    }
  }
  json samples = json::array();
  for (auto& [line, rec] : by_line) samples.push_back(std::move(rec));
  return samples;
}

// Every metric's aggregate from the summed states, its intervals over the joined per-sample
// states (into `report`'s aggregates and metric_states).
void MergeMetrics(const std::vector<Shard>& shards, RunReport* report) {
  const json& config = report->config;
  BootstrapOptions bootstrap;
  const auto& iv = ObjectOr(config, "intervals");
  bootstrap.replicates = iv.value("replicates", 0);
  bootstrap.level = iv.value("level", 0.95);
  const int64_t seed = report->context.value("seed", int64_t{0});
  const MetricEnv env{report->dataset.value("sha256", ""), "",
                      fs::path(report->dataset.value("manifest", "")).parent_path()};
  report->aggregates = json::object();
  report->metric_states = json::object();
  for (const auto& mc : ArrayOr(config, "metrics")) {
    const std::string name = mc["name"];
    if (!mc.contains("requested"))
      throw Error(At(
          shards[0].path,
          "config.metrics: \"" + name + "\" has no \"requested\" (a report of an older ncbench?)"));
    std::unique_ptr<Metric> m;
    try {
      m = CreateMetric(mc["requested"]["name"], mc["requested"]["options"], env);
      if (!ArrayOr(config, "baselines").empty()) {  // the static baseline (reports since 2026-12)
        m = WithStaticBaseline(
            std::move(m), CreateMetric(mc["requested"]["name"], mc["requested"]["options"], env));
      }
    } catch (const MissingError& e) {
      throw MissingError(std::string("merge: metric ") + name +
                         " needs what its shards had: " + e.what());
    }
    MetricState merged;
    for (const auto& s : shards) {
      const auto& st = s.report.metric_states;
      if (!st.contains(name)) throw Error(At(s.path, "metric_states has no \"" + name + "\""));
      merged.Merge(MetricState::FromJson(st[name]));
    }
    std::vector<MetricState> per_sample;
    if (m->info().scope != "distribution") {
      for (const auto& rec : report->samples) {
        if (rec["status"] != "ok") continue;
        const auto& ms = ObjectOr(rec, "metric_states");
        if (!ms.contains(name))
          throw Error("merge: sample " + rec["id"].dump() + " has no metric state of " + name);
        per_sample.push_back(MetricState::FromJson(ms[name]));
      }
    }
    report->aggregates[name] = AggregateMetric(*m, merged, per_sample, bootstrap, seed);
    report->metric_states[name] = merged.ToJson();
  }
}

// OUT/samples.jsonl (one line per sample) and the shards' strips (named by manifest line).
void WriteMergedFolder(const std::vector<Shard>& shards, const RunReport& report,
                       const std::string& out_dir) {
  fs::create_directories(fs::path(out_dir) / "strips");
  {
    std::ofstream jsonl(fs::path(out_dir) / "samples.jsonl.tmp", std::ios::trunc);
    for (const auto& rec : report.samples)
      jsonl << rec.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
    if (!jsonl) throw Error(At(out_dir, "cannot write samples.jsonl"));
  }
  fs::rename(fs::path(out_dir) / "samples.jsonl.tmp", fs::path(out_dir) / "samples.jsonl");
  for (const auto& s : shards) {
    const fs::path strips = fs::path(s.path).parent_path() / "strips";
    if (!fs::is_directory(strips) || fs::equivalent(strips, fs::path(out_dir) / "strips")) continue;
    for (const auto& e : fs::directory_iterator(strips)) {
      fs::copy_file(e.path(), fs::path(out_dir) / "strips" / e.path().filename(),
                    fs::copy_options::overwrite_existing);
    }
  }
}

}  // namespace

RunReport MergeShards(const MergeOptions& opt) {
  if (opt.shards.empty()) throw Error("merge: no shard reports given");
  const std::vector<Shard> shards = ReadShards(opt.shards);
  RunReport report = shards[0].report;
  report.shard = nullptr;
  report.samples = JoinSamples(shards);
  MergeMetrics(shards, &report);
  if (report.checkpoint.contains("restarts")) {
    int64_t restarts = 0;
    for (const auto& s : shards) restarts += s.report.checkpoint.value("restarts", int64_t{0});
    report.checkpoint["restarts"] = restarts;
  }
  report.Complete();
  report.throughput = MergeThroughput(shards);
  report.merged_from = json::array();
  for (const auto& s : shards) {
    report.merged_from.push_back({{"shard", s.index},
                                  {"report", s.path},
                                  {"host", s.report.context.value("host", json(nullptr))},
                                  {"time", s.report.context.value("time", json(nullptr))}});
  }
  report.context["command_line"] = ShellQuote(opt.command_line);
  WriteMergedFolder(shards, report, opt.out_dir);
  WriteJsonAtomic(fs::path(opt.out_dir) / "report.json", report.ToJson());
  return report;
}

}  // namespace ncb
