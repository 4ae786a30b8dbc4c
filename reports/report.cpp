#include "reports/report.h"

#include <ATen/Parallel.h>
#include <torch/version.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <opencv2/core/version.hpp>
#include <ostream>
#include <sstream>

#include "core/command.h"
#include "core/errors.h"
#include "core/throughput.h"
#include "reports/build_info.h"
#include "reports/markdown_table.h"

namespace ncb {

namespace {

std::string UtcNow() {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::ostringstream s;
  s << std::put_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  return s.str();
}

}  // namespace

nlohmann::json MakeContext(const ContextInput& in) {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  const std::string cmd = ShellQuote(in.command_line);
  nlohmann::json ctx = {
      {"time", UtcNow()},
      {"host", host},
      {"ncbench_version", NCBENCH_VERSION},
      {"git_sha", NCBENCH_GIT_SHA},
      {"build_type", NCBENCH_BUILD_TYPE},
      {"versions",
       {{"libtorch", TORCH_VERSION},
        {"opencv", CV_VERSION},
        {"nlohmann_json", std::to_string(NLOHMANN_JSON_VERSION_MAJOR) + "." +
                              std::to_string(NLOHMANN_JSON_VERSION_MINOR) + "." +
                              std::to_string(NLOHMANN_JSON_VERSION_PATCH)}}},
      {"device", in.device},
      {"cpu", CpuModelName()},
      {"command_line", cmd},
      {"seed", in.seed},
  };
#ifndef NDEBUG
  ctx["warning"] = "debug build: timings are not representative";
#endif
  return ctx;
}

void WriteFileAtomic(const std::filesystem::path& path, const std::string& bytes) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  const auto tmp = path.string() + ".tmp." + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::binary);
    if (!out) throw Error(At(tmp, "cannot write"));
    out << bytes;
    out.flush();
    if (!out) throw Error(At(tmp, "write failed (disk full?)"));
  }
  std::filesystem::rename(tmp, path);
}

nlohmann::json ReadReportFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(At(path, "cannot open the report"));
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) throw Error(At(path, "is not valid JSON"));
  if (RunReport::Check(j, path) == RunReport::Kind::kThroughput) {
    throw Error(
        At(path,
           "is an `eval --throughput-only` report: it has no scores to show, compare or tabulate "
           "(its numbers are under \"throughput\".\"sweep\")"));
  }
  return j;
}

void WriteJsonAtomic(const std::filesystem::path& path, const nlohmann::json& j) {
  WriteFileAtomic(path, j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

KeyInfo DescribeKey(const nlohmann::json& report, const std::string& key) {
  return DescribeKeyIn(ArrayOr(ObjectOr(report, "config"), "metrics"), key);
}

std::vector<std::string> HeadlineKeys(const nlohmann::json& metric) {
  const std::string name = metric.value("name", "");
  std::vector<std::string> keys = {name};
  for (const auto& o : ArrayOr(metric, "outputs")) {
    const std::string k = o.value("key", "");
    if (o.value("primary", false) && !k.empty())
      keys.push_back(k[0] == '*' ? name + k.substr(1) : k);
  }
  return keys;
}

std::string KeyDirection(const nlohmann::json& report, const std::string& key) {
  const std::string d = DescribeKey(report, key).direction;
  return d.empty() ? "higher_is_better" : d;
}

namespace {

// The entry of config.metrics named `metric` ({} when there is none: an unavailable metric).
const nlohmann::json& MetricConfig(const nlohmann::json& report, const std::string& metric) {
  static const nlohmann::json kNone = nlohmann::json::object();
  for (const auto& m : ArrayOr(ObjectOr(report, "config"), "metrics")) {
    if (m.value("name", "") == metric) return m;
  }
  return kNone;
}

// One row per number; nested objects become dotted keys ("ceiling.gt_vs_reference_char_accuracy").
// `ci` is the metric's ci95 object: a key with an interval shows it in the note column.
void AggregateRows(MarkdownTable* t, const nlohmann::json& config, const std::string& metric,
                   const std::string& prefix, const nlohmann::json& agg, const nlohmann::json& ci) {
  for (const auto& [key, v] : agg.items()) {
    if (key.size() > 12 && key.substr(key.size() - 12) == "_null_reason") continue;
    if (key == "ci95" || key == "ci95_method") continue;
    if (v.is_object()) {
      AggregateRows(t, config, metric, prefix + key + ".", v, ci);
      continue;
    }
    if (key == "unavailable" && v.is_string()) {
      t->Row({metric, "unavailable", "", v.get<std::string>()});
      continue;
    }
    const KeyInfo info = DescribeKeyOf(config, key);
    if (info.kind == "note" && v.is_string()) {
      t->Row({metric, prefix + key, "", v.get<std::string>()});
      continue;
    }
    if (!v.is_null() && !v.is_number()) continue;
    if (v.is_null()) {
      t->Row({metric, prefix + key, "null", agg.value(key + "_null_reason", "")});
    } else if (info.count()) {
      t->Row(
          {metric, prefix + key, std::to_string(static_cast<int64_t>(v.get<double>())), "count"});
    } else {
      std::string note;
      if (ci.contains(prefix + key)) {
        const auto& c = ci[prefix + key];
        note =
            "95% CI [" + Fixed(c[0].get<double>(), 4) + ", " + Fixed(c[1].get<double>(), 4) + "]";
      }
      t->Row({metric, prefix + key, Fixed(v.get<double>(), 4), note});
    }
  }
}

}  // namespace

namespace {

// A probe's paired comparisons (the counterfactual probe's keys and given_log): the difference
// true - changed conditioning, with both means and the interval.
void PairedProbeRows(MarkdownTable* t, const std::string& name, const nlohmann::json& probe) {
  for (const char* block : {"keys", "given_log"}) {
    for (const auto& [key, k] : ObjectOr(probe, block).items()) {
      const auto num = [&](const char* f) {
        return k.contains(f) && k[f].is_number() ? Fixed(k[f].get<double>(), 4) : std::string("-");
      };
      std::string note = "n " + (k.contains("n") ? k["n"].dump() : std::string("-")) + ", true " +
                         num("true_mean") + ", counterfactual " + num("counterfactual_mean") +
                         ", better under true " + num("share_better_under_true") + ", equal " +
                         num("share_equal");
      if (k.contains("ci95") && k["ci95"].is_array())
        note += ", 95% CI [" + Fixed(k["ci95"][0].get<double>(), 4) + ", " +
                Fixed(k["ci95"][1].get<double>(), 4) + "]";
      t->Row({name, std::string(block) + "." + key + ".difference", num("difference"), note});
    }
  }
}

}  // namespace

void PrintSummary(std::ostream& out, const nlohmann::json& r) {
  const auto& ck = r.at("checkpoint");
  out << "checkpoint " << ck.value("path", "?") << " (" << ck.value("adapter", "?") << ", "
      << ck["spec"].value("name", "?") << ")\n";
  out << "dataset    " << r["dataset"].value("manifest", "?") << "\n";
  const auto& s = r["summary"];
  out << "samples    " << s["samples_ok"] << " scored, " << s["samples_failed"] << " failed, "
      << s["samples_total"] << " total\n\n";
  if (r.contains("throughput") && r["throughput"].contains("rollout")) {
    const auto& t = r["throughput"];
    const auto& ro = t["rollout"];
    const auto& l = ro["latency"];
    std::ostringstream line;
    line << std::fixed << std::setprecision(2);
    if (ro.value("frames", int64_t{0}) == 0) {
      line << "throughput: no frame was generated in this run ("
           << ObjectOr(t, "harness").value("samples_resumed", int64_t{0})
           << " sample(s) kept by --resume)";
    } else {
      line << "throughput " << ro.value("frames_per_s", 0.0) << " frames/s ("
           << t["device"].value("name", "?") << ")";
    }
    if (l.value("count", 0) > 0) {
      line << "; per " << l.value("unit", "") << " p50 " << l.value("p50_ms", 0.0) << " ms, p95 "
           << l.value("p95_ms", 0.0) << " ms, p99 " << l.value("p99_ms", 0.0) << " ms";
    }
    line << "; harness " << std::setprecision(1) << 100 * t["harness"].value("share_of_wall", 0.0)
         << "% of " << t.value("wall_s", 0.0) << " s; peak RSS " << std::setprecision(0)
         << t["memory"].value("peak_rss_mib", 0.0) << " MiB\n";
    out << line.str() << "\n";
  }
  MarkdownTable table({{"metric"}, {"key"}, {"value"}, {"note"}});
  for (const auto& [metric, agg] : r["aggregates"].items()) {
    AggregateRows(&table, MetricConfig(r, metric), metric, "", agg,
                  agg.is_object() && agg.contains("ci95") ? agg["ci95"] : nlohmann::json::object());
  }
  if (r.contains("probes")) {
    for (const auto& [name, probe] : r["probes"].items()) {
      if (probe.contains("error")) {
        table.Row({name, "error", "", probe["error"].get<std::string>()});
        continue;
      }
      for (const auto& [variant, v] : ObjectOr(probe, "variants").items()) {
        table.Row({name, variant + ".accuracy", Fixed(v["accuracy"].get<double>(), 4),
                   v["correct"].dump() + "/" + v["total"].dump() + ", 95% CI [" +
                       Fixed(v["wilson95"][0].get<double>(), 4) + ", " +
                       Fixed(v["wilson95"][1].get<double>(), 4) + "]"});
      }
      PairedProbeRows(&table, name, probe);
    }
  }
  out << table.str();
  bool header = false;
  for (const auto& smp : r["samples"]) {
    if (smp["status"] == "ok") continue;
    if (!header) out << "\nfailed samples:\n";
    header = true;
    out << "  " << smp.value("id", "?") << " [" << smp.value("stage", "?") << "] "
        << smp.value("error", "") << "\n";
  }
}

}  // namespace ncb
