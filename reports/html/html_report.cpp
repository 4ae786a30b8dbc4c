#include "reports/html/html_report.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include "core/errors.h"
#include "core/stats.h"
#include "reports/html_assets.h"
#include "reports/report.h"

namespace ncb {
namespace fs = std::filesystem;
using nlohmann::json;

std::string HtmlEscape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

constexpr int kCardsPerPage = 20;
constexpr size_t kMaxTextFramesPerSample = 12;
constexpr size_t kMaxHistogramBins = 64;

std::string Base64(const std::string& bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string Str(const json& j) {
  return j.is_string() ? j.get<std::string>() : j.is_null() ? "" : j.dump();
}

// The per-sample score that orders samples worst first: the first headline key
// (HeadlineKeys) of the run's first metric that has per-sample scores.
std::pair<std::string, bool> PrimaryKey(const json& report) {
  for (const auto& m : ArrayOr(report["config"], "metrics")) {
    const bool higher = m.value("direction", "") != "lower_is_better";
    for (const auto& k : HeadlineKeys(m)) {
      for (const auto& s : report["samples"]) {
        if (s.contains("scores") && s["scores"].contains(k) && s["scores"][k].is_number())
          return {k, higher};
      }
    }
  }
  return {"", true};
}

// KEY_static, KEY_skill and KEY_gain beside their KEY: the skill section shows them.
bool IsBaselineKey(const json& agg, const std::string& key) {
  const std::string base = BaselineKeyBase(key);
  return !base.empty() && agg.contains(base);
}

void SummaryRows(const std::string& metric, const std::string& prefix, const json& agg,
                 const json& ci, const json& methods, const json& report, json* rows) {
  for (const auto& [key, v] : agg.items()) {
    if (key == "ci95" || key == "ci95_method") continue;
    if (key.size() > 12 && key.compare(key.size() - 12, 12, "_null_reason") == 0) continue;
    if (v.is_object()) {
      SummaryRows(metric, prefix + key + ".", v, ci, methods, report, rows);
      continue;
    }
    const KeyInfo info = DescribeKey(report, key);
    if (info.count() || IsBaselineKey(agg, key)) continue;
    json row = {{"metric", metric},
                {"key", prefix + key},
                {"direction", info.direction.empty() ? "higher_is_better" : info.direction}};
    if (v.is_number()) {
      row["value"] = v;
    } else if (v.is_null()) {
      row["value"] = nullptr;
      row["note"] = agg.value(key + "_null_reason", "");
    } else {
      row["value"] = nullptr;
      row["note"] = Str(v);
    }
    if (ci.contains(prefix + key)) {
      row["ci"] = ci[prefix + key];
      row["method"] = methods.value(prefix + key, "");
    }
    rows->push_back(row);
  }
}

// Mean and 10th/90th percentiles across samples of a per-frame score, by frame index.
// The throughput block as rows people read: what ran where, how fast, and where time went.
json ThroughputView(const json& r) {
  const auto& t = ObjectOr(r, "throughput");
  if (t.empty()) return nullptr;
  auto num = [](double x, int digits) {
    std::ostringstream o;
    o << std::fixed << std::setprecision(digits) << x;
    return o.str();
  };
  const auto& dev = ObjectOr(t, "device");
  const auto& th = ObjectOr(t, "threads");
  const auto& ro = ObjectOr(t, "rollout");
  const auto& lat = ObjectOr(ro, "latency");
  const auto& mem = ObjectOr(t, "memory");
  const auto& h = ObjectOr(t, "harness");
  json kv = json::array();
  kv.push_back({"device", Str(dev.value("name", json("?"))) + " (" +
                              Str(dev.value("type", json("?"))) + ")" +
                              (dev.contains("total_memory_mib")
                                   ? ", " + num(dev["total_memory_mib"].get<double>(), 0) + " MiB"
                                   : "")});
  kv.push_back({"versions", "LibTorch " + Str(dev.value("libtorch", json("?"))) +
                                "; CUDA runtime " + Str(dev.value("cuda_runtime", json(nullptr))) +
                                "; cuDNN " + Str(dev.value("cudnn", json(nullptr)))});
  kv.push_back({"threads", "LibTorch " + Str(th.value("intra_op", json(0))) + " intra-op, " +
                               Str(th.value("inter_op", json(0))) + " inter-op; OpenCV " +
                               Str(th.value("opencv", json(0))) + "; " +
                               Str(th.value("hardware", json(0))) + " hardware"});
  kv.push_back({"wall time", num(t.value("wall_s", 0.0), 2) + " s"});
  if (!ro.empty()) {
    kv.push_back({"rollout", num(ro.value("frames_per_s", 0.0), 2) + " frames/s (" +
                                 Str(ro.value("frames", json(0))) + " frames in " +
                                 num(ro.value("wall_s", 0.0), 2) + " s, batch " +
                                 Str(ro.value("batch_size", json(0))) + ", " +
                                 Str(ro.value("mode", json(nullptr))) + " mode; timer " +
                                 Str(ro.value("timer", json(""))) + ")"});
  }
  if (lat.value("count", 0) > 0) {
    kv.push_back({"latency per " + Str(lat.value("unit", json(""))),
                  "p50 " + num(lat["p50_ms"].get<double>(), 2) + " ms, p95 " +
                      num(lat["p95_ms"].get<double>(), 2) + " ms, p99 " +
                      num(lat["p99_ms"].get<double>(), 2) + " ms over " + Str(lat["count"]) +
                      " calls (the first " + Str(lat["warmup_excluded"]) +
                      " excluded as warm-up)"});
  }
  if (!h.empty()) {
    kv.push_back({"harness", num(h.value("wall_s", 0.0), 2) + " s, " +
                                 num(100 * h.value("share_of_wall", 0.0), 1) +
                                 "% of the wall time outside the model (load and rollout); " +
                                 Str(h.value("pipeline", json("")))});
  }
  kv.push_back({"memory", "peak RSS " + num(mem.value("peak_rss_mib", 0.0), 0) +
                              " MiB; peak device " +
                              (mem.contains("peak_device_mib") && mem["peak_device_mib"].is_number()
                                   ? num(mem["peak_device_mib"].get<double>(), 0) + " MiB"
                                   : std::string("n/a (CPU)"))});
  json phases = json::array();
  const double wall = t.value("wall_s", 0.0);
  for (const auto& [name, p] : ObjectOr(t, "phases").items()) {
    const double w = p.value("wall_s", 0.0);
    phases.push_back(
        {{"phase", name},
         {"wall_s", w},
         {"share", wall > 0 ? w / wall : 0.0},
         {"calls", p.value("calls", 0)},
         {"frames", p.contains("frames") ? p["frames"] : json(nullptr)},
         {"frames_per_s", p.contains("frames_per_s") ? p["frames_per_s"] : json(nullptr)}});
  }
  return {{"kv", kv}, {"phases", phases}};
}

json FrameSeries(const json& samples, const std::string& key, const std::string& title) {
  std::map<int64_t, std::vector<double>> by_k;
  for (const auto& s : samples) {
    if (s.value("status", "") != "ok" || !s.contains("frames")) continue;
    for (const auto& f : s["frames"]) {
      if (f.contains(key) && f[key].is_number())
        by_k[f["index"].get<int64_t>()].push_back(f[key].get<double>());
    }
  }
  if (by_k.empty()) return nullptr;
  json k = json::array(), mean = json::array(), lo = json::array(), hi = json::array();
  for (const auto& [idx, v] : by_k) {
    double sum = 0;
    for (double x : v) sum += x;
    k.push_back(idx);
    mean.push_back(sum / static_cast<double>(v.size()));
    lo.push_back(Quantile(v, 0.1));
    hi.push_back(Quantile(v, 0.9));
  }
  return {{"title", title}, {"k", k}, {"mean", mean}, {"lo", lo}, {"hi", hi}};
}

std::vector<std::pair<std::string, std::string>> ContextRows(const json& r) {
  const auto& c = r["context"];
  const auto& ck = r["checkpoint"];
  const auto& s = r["summary"];
  const auto& dev = ObjectOr(ObjectOr(r, "throughput"), "device");
  std::vector<std::pair<std::string, std::string>> rows = {
      {"checkpoint",
       Str(ck["spec"].value("name", json("?"))) + "  (" + Str(ck.value("adapter", json(""))) + ")"},
      {"checkpoint path", Str(ck.value("path", json("")))},
      {"checkpoint sha256", Str(ck.value("sha256", json("")))},
      {"dataset", Str(r["dataset"].value("manifest", json("")))},
      {"dataset sha256", Str(r["dataset"].value("sha256", json("")))},
      {"samples", Str(s.value("samples_ok", json(0))) + " scored, " +
                      Str(s.value("samples_failed", json(0))) + " failed, " +
                      Str(s.value("samples_total", json(0))) + " total"},
      {"device",
       Str(c.value("device", json(""))) + "; " + Str(dev.value("name", c.value("cpu", json(""))))},
      {"versions", "ncbench " + Str(c.value("ncbench_version", json(""))) + " (" +
                       Str(c.value("git_sha", json(""))) + ", " +
                       Str(c.value("build_type", json(""))) + "); " + Str(ObjectOr(c, "versions"))},
      {"time, host", Str(c.value("time", json(""))) + ", " + Str(c.value("host", json("")))},
      {"command", Str(c.value("command_line", json("")))},
      {"seed", Str(c.value("seed", json(0)))},
  };
  if (c.contains("warning")) rows.emplace_back("warning", Str(c["warning"]));
  return rows;
}

// A metric's "histogram" view (OutputView): its per-bin counts (metric_states[NAME][key]), the
// bins past the last non-empty one folded into ">=" (at most kMaxHistogramBins bars).
json Histogram(const std::vector<double>& h, const std::string& title, const std::string& unit) {
  size_t last = 0;
  for (size_t i = 0; i < h.size(); ++i) {
    if (h[i] > 0) last = i;
  }
  const size_t bins = std::min(kMaxHistogramBins, std::max<size_t>(last + 1, 10));
  json labels = json::array(), values = json::array();
  for (size_t i = 0; i < bins && i < h.size(); ++i) {
    double c = h[i];
    if (i + 1 == bins) {
      for (size_t j = bins; j < h.size(); ++j) c += h[j];
    }
    labels.push_back(i + 1 == bins && last >= bins ? ">=" + std::to_string(i) : std::to_string(i));
    values.push_back(c);
  }
  return {{"title", title}, {"labels", labels}, {"values", values}, {"unit", unit}};
}

// A metric's "frame_texts" view: the mean char_accuracy over samples by frame index.
json TextAccuracyByFrame(const json& samples, const std::string& key, const std::string& title) {
  std::map<int64_t, std::pair<double, int>> acc;
  for (const auto& s : samples) {
    if (!s.contains("scores") || !s["scores"].contains(key)) continue;
    for (const auto& f : s["scores"][key]) {
      if (!f.contains("char_accuracy") || !f["char_accuracy"].is_number()) continue;
      auto& a = acc[f["index"].get<int64_t>()];
      a.first += f["char_accuracy"].get<double>();
      a.second += 1;
    }
  }
  if (acc.empty()) return nullptr;
  json k = json::array(), mean = json::array();
  for (const auto& [idx, a] : acc) {
    k.push_back(idx);
    mean.push_back(a.first / a.second);
  }
  return {{"title", title + " character accuracy by frame (mean over samples)"},
          {"k", k},
          {"mean", mean}};
}

// The figures the run's metrics ask for (config.metrics[].views): v["histograms"] and
// v["text_by_frame"].
void MetricViews(const json& r, json* v) {
  (*v)["histograms"] = json::array();
  (*v)["text_by_frame"] = json::array();
  for (const auto& m : ArrayOr(r["config"], "metrics")) {
    const std::string name = m.value("name", "");
    for (const auto& view : ArrayOr(m, "views")) {
      const std::string kind = view.value("kind", ""), key = view.value("key", "");
      const json& state = ObjectOr(ObjectOr(r, "metric_states"), name);
      if (kind == "histogram" && state.contains(key) && state[key].is_array()) {
        (*v)["histograms"].push_back(Histogram(state[key].get<std::vector<double>>(),
                                               view.value("title", name), view.value("unit", "")));
      } else if (kind == "frame_texts") {
        auto t = TextAccuracyByFrame(r["samples"], key, view.value("title", name));
        if (!t.is_null()) (*v)["text_by_frame"].push_back(std::move(t));
      }
    }
  }
}

// A sample's "frame_texts" views: per view its title and at most kMaxTextFramesPerSample
// frames {index, gt, gen, char_accuracy}.
json SampleTexts(const json& r, const json& s) {
  json out = json::array();
  for (const auto& m : ArrayOr(r["config"], "metrics")) {
    for (const auto& view : ArrayOr(m, "views")) {
      const std::string key = view.value("key", "");
      if (view.value("kind", "") != "frame_texts" || !s["scores"].contains(key)) continue;
      json frames = json::array();
      for (const auto& f : s["scores"][key]) {
        if (frames.size() >= kMaxTextFramesPerSample) break;
        frames.push_back({{"index", f.value("index", 0)},
                          {"gt", f.value("gt_text", "")},
                          {"gen", f.value("gen_text", "")},
                          {"char_accuracy", f.value("char_accuracy", json(nullptr))}});
      }
      out.push_back({{"title", view.value("title", "")}, {"frames", frames}});
    }
  }
  return out;
}

}  // namespace

namespace {

// The header and the summary table: one row per aggregate key, in the run's metric order.
void SummaryView(const json& r, json* v) {
  const auto& ck = r.at("checkpoint");
  (*v)["title"] = "ncbench: " + Str(ck["spec"].value("name", json("?")));
  (*v)["subtitle"] = Str(r["dataset"].value("manifest", json(""))) + " \u00b7 " +
                     Str(r["context"].value("time", json("")));
  (*v)["context"] = json::array();
  for (const auto& [k, val] : ContextRows(r)) (*v)["context"].push_back({k, val});
  std::vector<std::string> order;
  for (const auto& m : ArrayOr(r["config"], "metrics")) order.push_back(m.value("name", ""));
  for (const auto& [name, agg] : r["aggregates"].items()) {
    if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
  }
  json rows = json::array();
  for (const auto& name : order) {
    if (!r["aggregates"].contains(name)) continue;
    const auto& agg = r["aggregates"][name];
    SummaryRows(name, "", agg, ObjectOr(agg, "ci95"), ObjectOr(agg, "ci95_method"), r, &rows);
  }
  (*v)["summary"] = rows;
  const auto& iv = ObjectOr(r["config"], "intervals");
  (*v)["interval_note"] = iv.empty()
                              ? "no intervals in this report"
                              : "95% intervals: " + Str(iv.value("method", json(""))) + "; " +
                                    Str(iv.value("replicates", json(0))) + " replicates, seed " +
                                    Str(iv.value("seed", json(""))) + ".";
}

// Model, static baseline and skill (or gain in dB) of every key that has a baseline.
void SkillView(const json& r, json* v) {
  json rows = json::array();
  for (const auto& [name, agg] : r["aggregates"].items()) {
    if (!agg.is_object()) continue;
    const auto& ci = ObjectOr(agg, "ci95");
    for (const auto& [key, val] : agg.items()) {
      if (!agg.contains(key + "_static") || IsBaselineKey(agg, key)) continue;
      const std::string derived = key + (agg.contains(key + "_gain") ? "_gain" : "_skill");
      json row = {{"metric", name},
                  {"key", key},
                  {"model", val},
                  {"baseline", agg[key + "_static"]},
                  {"skill", agg.value(derived, json(nullptr))},
                  {"skill_key", derived},
                  {"gain_db", agg.contains(key + "_gain")},
                  {"ci", ci.contains(derived) ? ci[derived] : json(nullptr)},
                  {"note", agg.value(derived + "_null_reason", "")}};
      rows.push_back(std::move(row));
    }
  }
  (*v)["skill"] = rows;
}

// Paired comparisons a probe reports per score key (the counterfactual probe's "keys" and
// "given_log"): true vs changed conditioning, their difference with its interval.
void PairedProbeRows(const std::string& probe, const json& p, json* rows) {
  for (const char* block : {"keys", "given_log"}) {
    for (const auto& [key, k] : ObjectOr(p, block).items()) {
      rows->push_back({{"probe", probe},
                       {"key", std::string(block) == "keys" ? key : key + " (given log)"},
                       {"n", k.value("n", json(nullptr))},
                       {"true_mean", k.value("true_mean", json(nullptr))},
                       {"changed_mean", k.value("counterfactual_mean", json(nullptr))},
                       {"difference", k.value("difference", json(nullptr))},
                       {"ci", k.value("ci95", json(nullptr))},
                       {"share_better", k.value("share_better_under_true", json(nullptr))},
                       {"share_equal", k.value("share_equal", json(nullptr))}});
    }
  }
}

// Every probe variant's accuracy, and its accuracy by category as a bar chart.
void ProbeView(const json& r, json* v) {
  (*v)["probes"] = json::array();
  (*v)["probe_categories"] = json::array();
  (*v)["paired_probes"] = json::array();
  for (const auto& [name, p] : ObjectOr(r, "probes").items()) {
    PairedProbeRows(name, p, &(*v)["paired_probes"]);
    for (const auto& [variant, pv] : ObjectOr(p, "variants").items()) {
      (*v)["probes"].push_back({{"probe", name},
                                {"variant", variant},
                                {"accuracy", pv["accuracy"]},
                                {"correct", pv["correct"]},
                                {"total", pv["total"]},
                                {"wilson95", pv["wilson95"]}});
      json labels = json::array(), values = json::array();
      for (const auto& [cat, cv] : ObjectOr(pv, "per_category").items()) {
        labels.push_back(cat);
        values.push_back(cv["accuracy"]);
      }
      if (!labels.empty()) {
        (*v)["probe_categories"].push_back(
            {{"title", name + " probe accuracy by category (" + variant + ")"},
             {"labels", labels},
             {"values", values}});
      }
    }
  }
}

// The plots: frame-level metrics by frame, the metrics' own figures, throughput over time.
void PlotView(const json& r, json* v) {
  (*v)["series"] = json::array();
  for (const auto& m : ArrayOr(r["config"], "metrics")) {
    if (m.value("scope", "") != "frame") continue;
    const std::string name = m.value("name", "");
    auto s = FrameSeries(r["samples"], name,
                         name + " by rollout frame (mean; band: 10th-90th percentile of samples)");
    if (s.is_null()) continue;
    // The static baseline's curve, where the run has one (dashed).
    const auto b = FrameSeries(r["samples"], name + "_static", "");
    if (!b.is_null() && b["k"] == s["k"]) s["baseline"] = b["mean"];
    (*v)["series"].push_back(s);
  }
  MetricViews(r, v);
  (*v)["throughput_view"] = ThroughputView(r);
  if (r.contains("throughput") && r["throughput"].contains("timeline")) {
    json t = json::array(), fps = json::array();
    double frames = 0;
    for (const auto& s : r["throughput"]["timeline"]) {
      frames += s.value("frames", 0.0);
      const double end = s.value("end_s", 0.0);
      if (end <= 0) continue;
      t.push_back(end);
      fps.push_back(frames / end);
    }
    if (t.size() >= 2) (*v)["throughput"] = {{"t", t}, {"fps", fps}};
  }
}

// One sample's card: its scores under `keys`, its strip inlined, its texts.
json SampleCard(const json& r, const json& s, const std::vector<std::string>& keys,
                const fs::path& report_dir) {
  json o = {{"id", s.value("id", "?")}, {"status", s.value("status", "?")}};
  if (s.value("status", "") != "ok") {
    o["stage"] = s.value("stage", "");
    o["error"] = s.value("error", "");
    return o;
  }
  o["num_frames"] = s.value("num_frames", 0);
  o["prompt"] = s.value("prompt", "");
  json sc = json::object();
  for (const auto& k : keys) {
    if (s["scores"].contains(k)) sc[k] = s["scores"][k];
  }
  o["scores"] = sc;
  if (s.contains("strip")) {
    const auto path = report_dir / s["strip"].value("file", "");
    std::ifstream in(path, std::ios::binary);
    if (in) {
      const std::string bytes((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
      o["strip"] = s["strip"];
      o["strip"]["src"] = "data:image/jpeg;base64," + Base64(bytes);
    } else {
      o["strip_missing"] = "strip " + path.string() + " is missing";
    }
  }
  o["texts"] = SampleTexts(r, s);
  return o;
}

// The samples, worst first: failed ones, then by the primary score (nulls after the scored).
void SampleView(const json& r, const fs::path& report_dir, json* v) {
  const auto& samples = r["samples"];
  const auto [primary, higher] = PrimaryKey(r);
  std::vector<const json*> order_s;
  for (const auto& s : samples) order_s.push_back(&s);
  auto rank = [&, primary = primary, higher = higher](const json* s) -> std::pair<int, double> {
    if (s->value("status", "") != "ok") return {0, 0};
    if (primary.empty() || !(*s)["scores"].contains(primary) ||
        !(*s)["scores"][primary].is_number())
      return {2, 0};
    const double x = (*s)["scores"][primary].get<double>();
    return {1, higher ? x : -x};
  };
  std::stable_sort(order_s.begin(), order_s.end(),
                   [&](const json* a, const json* b) { return rank(a) < rank(b); });
  (*v)["order_note"] = primary.empty() ? "Samples in manifest order (failed first)."
                                       : "Samples worst first: failed samples, then by " + primary +
                                             " (" + (higher ? "lowest" : "highest") +
                                             " first). Click a column to sort.";
  std::vector<std::string> keys;
  std::set<std::string> seen;
  for (const auto& s : samples) {
    for (const auto& [k, val] : ObjectOr(s, "scores").items()) {
      if (!val.is_number() || seen.count(k) || DescribeKey(r, k).count()) continue;
      seen.insert(k);
      keys.push_back(k);
    }
  }
  if (!primary.empty()) {
    keys.erase(std::remove(keys.begin(), keys.end(), primary), keys.end());
    keys.insert(keys.begin(), primary);
  }
  (*v)["sample_keys"] = keys;
  (*v)["cards_per_page"] = kCardsPerPage;
  json out = json::array();
  for (const json* sp : order_s) out.push_back(SampleCard(r, *sp, keys, report_dir));
  (*v)["samples"] = out;
}

}  // namespace

json HtmlViewModel(const json& r, const fs::path& report_dir) {
  json v;
  SummaryView(r, &v);
  SkillView(r, &v);
  ProbeView(r, &v);
  PlotView(r, &v);
  SampleView(r, report_dir, &v);
  return v;
}

std::string HtmlPage(const std::string& title, const std::string& body_html) {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<title>" +
         HtmlEscape(title) + "</title><style>" + html_assets::kCss + "</style></head>\n<body>\n" +
         body_html + "\n</body></html>\n";
}

std::string RenderHtmlReport(const json& report, const fs::path& report_dir) {
  const json v = HtmlViewModel(report, report_dir);
  // "</" cannot close the data block: JSON allows "<\/" for it.
  std::string data = v.dump(-1, ' ', false, json::error_handler_t::replace);
  for (size_t p = 0; (p = data.find("</", p)) != std::string::npos; p += 3)
    data.replace(p, 2, "<\\/");
  return HtmlPage(v["title"].get<std::string>(),
                  "<header id=\"ncb-head\"></header><main id=\"ncb-main\"></main>\n"
                  "<noscript>This report draws its tables and plots with JavaScript; the numbers "
                  "are in report.json.</noscript>\n"
                  "<script type=\"application/json\" id=\"ncb-data\">" +
                      data + "</script>\n<script>" + html_assets::kJs + "</script>");
}

void WriteHtmlReport(const json& report, const fs::path& report_dir, const fs::path& path) {
  WriteFileAtomic(path, RenderHtmlReport(report, report_dir));
}

}  // namespace ncb
