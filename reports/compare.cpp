#include "reports/compare.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "core/errors.h"
#include "core/hashing.h"
#include "core/stats.h"
#include "reports/html/html_report.h"
#include "reports/markdown_table.h"
#include "reports/report.h"

namespace ncb {
using nlohmann::json;

std::vector<Gate> ParseGates(const std::string& spec) {
  std::vector<Gate> gates;
  std::stringstream ss(spec);
  for (std::string clause; std::getline(ss, clause, ',');) {
    clause.erase(std::remove_if(clause.begin(), clause.end(), ::isspace), clause.end());
    if (clause.empty()) continue;
    const auto op = clause.find_first_of("<>");
    Gate g;
    if (op == std::string::npos || op == 0 || op + 1 >= clause.size()) {
      throw Error("--fail-on clause '" + clause +
                  "': expected KEY<THRESHOLD or KEY>THRESHOLD (KEY a per-sample score of both "
                  "reports; KEY<-0.005 trips on a significant drop of more than 0.005)");
    }
    g.key = clause.substr(0, op);
    g.op = clause[op];
    try {
      size_t used = 0;
      g.threshold = std::stod(clause.substr(op + 1), &used);
      if (used != clause.size() - op - 1) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      throw Error("--fail-on clause '" + clause + "': '" + clause.substr(op + 1) +
                  "' is not a number");
    }
    gates.push_back(g);
  }
  return gates;
}

namespace {

// A metric's options less where things lie: a `file` beside a `sha256`, and any KEY beside a
// KEY_sha256 (the content is the hash), at every depth.
json WithoutLocations(const json& o) {
  if (!o.is_object()) return o;
  json out = json::object();
  for (const auto& [k, v] : o.items()) {
    if ((k == "file" && o.contains("sha256")) || o.contains(k + "_sha256")) continue;
    out[k] = WithoutLocations(v);
  }
  return out;
}

// What of a metric's options defines its numbers: options() less the keys either report's
// metric declares incidental (config.metrics[].incidental_options: a folder whose content is
// hashed elsewhere, a thread count) and less where hashed files lie. Two checkouts' reports of
// the same run then compare; another weights file, traineddata or cursor library does not.
json NumberDefiningOptions(const json& m, const json& other) {
  json o = ObjectOr(m, "options");
  for (const json* side : {&m, &other}) {
    for (const auto& k : ArrayOr(*side, "incidental_options")) {
      if (k.is_string()) o.erase(k.get<std::string>());
    }
  }
  return WithoutLocations(o);
}

}  // namespace

std::vector<std::string> Incompatibilities(const json& a, const json& b) {
  std::vector<std::string> why;
  if (a.value("schema", "") != b.value("schema", "")) {
    why.push_back("report schemas differ: " + a.value("schema", "?") + " vs " +
                  b.value("schema", "?"));
  }
  const auto sha_a = a["dataset"].value("sha256", ""), sha_b = b["dataset"].value("sha256", "");
  if (sha_a != sha_b) {
    why.push_back("datasets differ: " + a["dataset"].value("manifest", "?") + " (sha256 " +
                  sha_a.substr(0, 12) + ") vs " + b["dataset"].value("manifest", "?") +
                  " (sha256 " + sha_b.substr(0, 12) + ")");
  }
  std::map<std::string, json> ma, mb;
  for (const auto& m : ArrayOr(a["config"], "metrics")) ma[m.value("name", "")] = m;
  for (const auto& m : ArrayOr(b["config"], "metrics")) mb[m.value("name", "")] = m;
  for (const auto& [name, m] : ma) {
    auto it = mb.find(name);
    if (it == mb.end()) continue;  // compared only where both have it
    if (m.value("version", 0) != it->second.value("version", 0)) {
      why.push_back("metric " + name + ": version " + std::to_string(m.value("version", 0)) +
                    " vs " + std::to_string(it->second.value("version", 0)));
    }
    const json oa = NumberDefiningOptions(m, it->second), ob = NumberDefiningOptions(it->second, m);
    if (oa != ob) why.push_back("metric " + name + ": options " + oa.dump() + " vs " + ob.dump());
  }
  for (const char* k : {"alignment", "caption_style", "max_frames", "render"}) {
    const json& x = a["config"].value(k, json());
    const json& y = b["config"].value(k, json());
    if (x != y) why.push_back(std::string("config.") + k + ": " + x.dump() + " vs " + y.dump());
  }
  return why;
}

namespace {

std::map<std::string, const json*> OkSamples(const json& r) {
  std::map<std::string, const json*> out;
  for (const auto& s : r["samples"]) {
    if (s.value("status", "") == "ok") out[s.value("id", "")] = &s;
  }
  return out;
}

// The aggregate value of `key` in `r`, searching every metric's aggregate (top level).
json AggregateOf(const json& r, const std::string& key) {
  for (const auto& [name, agg] : r["aggregates"].items()) {
    if (agg.is_object() && agg.contains(key) && agg[key].is_number()) return agg[key];
  }
  return nullptr;
}

std::string Num(double v, int digits = 4) { return Fixed(v, digits); }

// Which side is better, as a compare table shows it (`none` for a key without a direction).
std::string Arrow(const json& direction, const char* lower, const char* higher, const char* none) {
  if (direction == "lower_is_better") return lower;
  return direction == "higher_is_better" ? higher : none;
}

// One per-sample score compared over the paired samples `ids` (null when no pair has it).
json CompareScore(const json& base, const json& neu, const std::map<std::string, const json*>& a,
                  const std::map<std::string, const json*>& b, const std::vector<std::string>& ids,
                  const std::string& key, const CompareOptions& o) {
  std::vector<double> xa, xb, d;
  for (const auto& id : ids) {
    const json& sa = (*a.at(id))["scores"];
    const json& sb = (*b.at(id))["scores"];
    if (!sa.contains(key) || !sb.contains(key) || !sa[key].is_number() || !sb[key].is_number())
      continue;
    xa.push_back(sa[key].get<double>());
    xb.push_back(sb[key].get<double>());
    d.push_back(xb.back() - xa.back());
  }
  const size_t n = d.size();
  if (n == 0) return nullptr;
  auto mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s / static_cast<double>(v.size());
  };
  const double delta = mean(d);
  std::vector<double> reps;
  reps.reserve(static_cast<size_t>(o.replicates));
  SplitMix64 rng(o.seed + Fnv1a64(key));  // per key, so adding a metric changes no other interval
  int64_t extreme = 0;
  for (int r = 0; r < o.replicates; ++r) {
    double s = 0;
    for (size_t i = 0; i < n; ++i) s += d[rng.Below(n)];
    const double m = s / static_cast<double>(n);
    reps.push_back(m);
    // Differences are means of finite numbers; a tolerance keeps an all-zero run at p = 1.
    if (std::abs(m - delta) + 1e-12 >= std::abs(delta)) ++extreme;
  }
  const double lo = Quantile(reps, 0.025), hi = Quantile(reps, 0.975);
  const double p = (1.0 + static_cast<double>(extreme)) / (1.0 + o.replicates);
  const bool significant = n >= 2 && p < o.alpha && (lo > 0 || hi < 0);
  // A property of the ground truth (kind "data") or a note has no better side: a significant
  // difference says the two runs scored different footage, not which is better.
  const KeyInfo info = DescribeKey(base, key);
  const bool directed = info.kind != "data" && info.kind != "note";
  const std::string dir = directed ? KeyDirection(base, key) : "";
  const bool worse = dir == "higher_is_better" ? delta < 0 : delta > 0;
  return {{"key", key},
          {"direction", dir},
          {"n", n},
          {"base_mean", mean(xa)},
          {"new_mean", mean(xb)},
          {"delta", delta},
          {"ci95", {lo, hi}},
          {"p_value", p},
          {"significant", significant},
          {"change", !significant ? "none"
                     : !directed  ? "differs"
                     : worse      ? "regression"
                                  : "improvement"},
          {"base_aggregate", AggregateOf(base, key)},
          {"new_aggregate", AggregateOf(neu, key)}};
}

// The --fail-on gates over the compared scores; `failed` when one trips.
json Gates(const json& scores, const CompareOptions& o, bool* failed_out) {
  json gates = json::array();
  bool failed = false;
  for (const auto& g : o.fail_on) {
    auto it = std::find_if(scores.begin(), scores.end(),
                           [&](const json& s) { return s["key"] == g.key; });
    if (it == scores.end()) {
      std::string known;
      for (const auto& s : scores)
        known += (known.empty() ? "" : ", ") + s["key"].get<std::string>();
      throw Error("--fail-on: no per-sample score '" + g.key +
                  "' in both reports; compared: " + known);
    }
    const double delta = (*it)["delta"].get<double>();
    const bool crossed = g.op == '<' ? delta < g.threshold : delta > g.threshold;
    const bool fail = crossed && (*it)["significant"].get<bool>();
    failed = failed || fail;
    gates.push_back({{"gate", g.key + std::string(1, g.op) + Num(g.threshold, 6)},
                     {"key", g.key},
                     {"delta", delta},
                     {"significant", (*it)["significant"]},
                     {"failed", fail}});
  }
  *failed_out = failed;
  return gates;
}

}  // namespace

json Compare(const json& base, const json& neu, const CompareOptions& o) {
  const auto mismatches = Incompatibilities(base, neu);
  if (!mismatches.empty() && !o.allow_mismatch) {
    std::string msg = "the reports are not comparable (pass --allow-mismatch to compare anyway):";
    for (const auto& m : mismatches) msg += "\n  - " + m;
    throw Error(msg);
  }
  const auto a = OkSamples(base), b = OkSamples(neu);
  std::vector<std::string> ids, only_a, only_b;
  for (const auto& [id, s] : a) (b.count(id) ? ids : only_a).push_back(id);
  for (const auto& [id, s] : b) {
    if (!a.count(id)) only_b.push_back(id);
  }
  // Every numeric, non-count per-sample score both runs have, in the base's first-seen order.
  std::vector<std::string> keys;
  std::set<std::string> seen;
  for (const auto& id : ids) {
    for (const auto& [k, v] : (*a.at(id))["scores"].items()) {
      if (!v.is_number() || seen.count(k) || DescribeKey(base, k).count()) continue;
      if (!(*b.at(id))["scores"].contains(k)) continue;
      seen.insert(k);
      keys.push_back(k);
    }
  }
  json scores = json::array();
  for (const auto& key : keys) {
    json score = CompareScore(base, neu, a, b, ids, key, o);
    if (!score.is_null()) scores.push_back(std::move(score));
  }
  bool failed = false;
  const json gates = Gates(scores, o, &failed);
  auto describe = [](const json& r) {
    return json{{"checkpoint", r["checkpoint"]["spec"].value("name", "?")},
                {"checkpoint_sha256", r["checkpoint"].value("sha256", "")},
                {"dataset", r["dataset"].value("manifest", "")},
                {"seed", r["context"].value("seed", 0)},
                {"git_sha", r["context"].value("git_sha", "")}};
  };
  return {{"schema", "ncbench.compare/1"},
          {"base", describe(base)},
          {"new", describe(neu)},
          {"pairs", ids.size()},
          {"only_in_base", only_a},
          {"only_in_new", only_b},
          {"mismatches", mismatches},
          {"options",
           {{"replicates", o.replicates},
            {"seed", o.seed},
            {"alpha", o.alpha},
            {"interval", "95% percentile paired bootstrap over samples of mean(new - base)"},
            {"p_value", "two-sided: (1 + #{|mean* - delta| >= |delta|}) / (1 + replicates)"}}},
          {"scores", scores},
          {"gates", gates},
          {"failed", failed}};
}

std::string CompareMarkdown(const json& c) {
  std::ostringstream out;
  out << "base: " << c["base"]["checkpoint"].get<std::string>() << " (seed " << c["base"]["seed"]
      << ")  \n"
      << "new:  " << c["new"]["checkpoint"].get<std::string>() << " (seed " << c["new"]["seed"]
      << ")  \n"
      << c["pairs"] << " paired samples";
  if (!c["only_in_base"].empty() || !c["only_in_new"].empty()) {
    out << " (" << c["only_in_base"].size() << " only in base, " << c["only_in_new"].size()
        << " only in new)";
  }
  out << "; paired bootstrap, " << c["options"]["replicates"] << " replicates, alpha "
      << c["options"]["alpha"] << "\n\n";
  MarkdownTable table(
      {{"score"}, {"better"}, {"n"}, {"base"}, {"new"}, {"delta"}, {"95% CI"}, {"p"}, {"change"}});
  for (const auto& s : c["scores"]) {
    const double delta = s["delta"].get<double>();
    table.Row({s["key"].get<std::string>(), Arrow(s["direction"], "↓", "↑", "-"), s["n"].dump(),
               Num(s["base_mean"].get<double>()), Num(s["new_mean"].get<double>()),
               (delta >= 0 ? "+" : "") + Num(delta),
               "[" + Num(s["ci95"][0].get<double>()) + ", " + Num(s["ci95"][1].get<double>()) + "]",
               Num(s["p_value"].get<double>()),
               s["change"] == "regression" ? "**regression**" : s["change"].get<std::string>()});
  }
  out << table.str();
  for (const auto& m : c["mismatches"])
    out << "\nwarning (compared anyway): " << m.get<std::string>() << "\n";
  if (!c["gates"].empty()) {
    out << "\n";
    for (const auto& g : c["gates"]) {
      out << "gate " << g["gate"].get<std::string>() << ": "
          << (g["failed"].get<bool>() ? "FAILED" : "passed") << " (delta "
          << Num(g["delta"].get<double>())
          << (g["significant"].get<bool>() ? ", significant" : ", not significant") << ")\n";
    }
  }
  return out.str();
}

std::string CompareHtml(const json& c) {
  std::ostringstream b;
  b << "<h1>ncbench compare</h1><p class=\"muted\">base <b>"
    << HtmlEscape(c["base"]["checkpoint"].get<std::string>()) << "</b> (seed " << c["base"]["seed"]
    << ") vs new <b>" << HtmlEscape(c["new"]["checkpoint"].get<std::string>()) << "</b> (seed "
    << c["new"]["seed"] << "); " << c["pairs"] << " paired samples; "
    << HtmlEscape(c["options"]["interval"].get<std::string>()) << ", " << c["options"]["replicates"]
    << " replicates; p-value " << HtmlEscape(c["options"]["p_value"].get<std::string>()) << ".</p>"
    << "<table><thead><tr><th>score</th><th>better</th><th>n</th><th>base</th><th>new</"
       "th><th>delta</th>"
       "<th>95% CI</th><th>p</th><th>change</th></tr></thead><tbody>";
  for (const auto& s : c["scores"]) {
    const std::string change = s["change"].get<std::string>();
    b << "<tr" << (change == "regression" ? " class=\"error\"" : "") << "><td class=\"mono\">"
      << HtmlEscape(s["key"].get<std::string>()) << "</td><td>"
      << Arrow(s["direction"], "&darr;", "&uarr;", "") << "</td><td class=\"num\">" << s["n"]
      << "</td><td class=\"num\">" << Num(s["base_mean"].get<double>()) << "</td><td class=\"num\">"
      << Num(s["new_mean"].get<double>()) << "</td><td class=\"num\">"
      << Num(s["delta"].get<double>()) << "</td><td class=\"num\">["
      << Num(s["ci95"][0].get<double>()) << ", " << Num(s["ci95"][1].get<double>())
      << "]</td><td class=\"num\">" << Num(s["p_value"].get<double>()) << "</td><td>" << change
      << "</td></tr>";
  }
  b << "</tbody></table>";
  for (const auto& m : c["mismatches"])
    b << "<p class=\"muted\">warning (compared anyway): " << HtmlEscape(m.get<std::string>())
      << "</p>";
  for (const auto& g : c["gates"]) {
    b << "<p>gate <code>" << HtmlEscape(g["gate"].get<std::string>())
      << "</code>: " << (g["failed"].get<bool>() ? "<b class=\"error\">FAILED</b>" : "passed")
      << "</p>";
  }
  return HtmlPage("ncbench compare", b.str());
}

}  // namespace ncb
