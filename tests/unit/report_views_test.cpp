// The statistics and views of reports: bootstrap intervals, compare's paired bootstrap and
// gates, refusals of incomparable reports, paper tables.
#include <cmath>

#include "bench/run/intervals.h"
#include "core/errors.h"
#include "core/stats.h"
#include "reports/compare.h"
#include "reports/report.h"
#include "reports/table.h"
#include "tests/test_util.h"

namespace ncb {
namespace {
using nlohmann::json;

TEST(Stats, QuantileInterpolatesLikeNumpy) {
  EXPECT_DOUBLE_EQ(Quantile({3, 1, 2, 4}, 0.5), 2.5);  // numpy.quantile([1,2,3,4], .5)
  EXPECT_DOUBLE_EQ(Quantile({1, 2, 3, 4}, 0.1), 1.3);
  EXPECT_DOUBLE_EQ(Quantile({5}, 0.9), 5);
  EXPECT_TRUE(std::isnan(Quantile({}, 0.5)));
}

TEST(Stats, ResampleCountsDrawNItemsAndRepeatWithTheSeed) {
  SplitMix64 a(7), b(7);
  const auto ca = ResampleCounts(50, &a), cb = ResampleCounts(50, &b);
  EXPECT_EQ(ca, cb);
  int total = 0;
  for (int c : ca) total += c;
  EXPECT_EQ(total, 50);
}

TEST(Stats, DerangementMovesEveryItemInOneCycleAndRepeatsWithTheSeed) {
  for (size_t n : {2u, 3u, 7u, 50u}) {
    SplitMix64 a(11), b(11);
    const auto p = Derangement(n, &a);
    EXPECT_EQ(p, Derangement(n, &b));
    std::vector<bool> seen(n, false);
    size_t i = 0;
    for (size_t step = 0; step < n; ++step) {  // one cycle visits every item once
      EXPECT_NE(p[i], i);
      EXPECT_FALSE(seen[i]);
      seen[i] = true;
      i = p[i];
    }
    EXPECT_EQ(i, 0u);
  }
  SplitMix64 r(1);
  EXPECT_EQ(Derangement(1, &r), std::vector<size_t>{0});
}

// A mean-of-samples metric: per-sample states {x_sum, samples}.
json MeanFinalize(const MetricState& st) {
  json a;
  a["m"] = st.Get("samples") > 0 ? st.Get("x_sum") / st.Get("samples") : 0.0;
  a["samples"] = st.Get("samples");
  return a;
}

TEST(Intervals, BootstrapOfAMeanMatchesTheNormalApproximation) {
  // 200 samples of a known spread: the 95% interval of the mean is about mean +- 1.96 sd/sqrt(n).
  std::vector<MetricState> per;
  double sum = 0, sq = 0;
  for (int i = 0; i < 200; ++i) {
    const double x = std::sin(i * 12.9898) * 0.5;  // deterministic, spread ~0.35
    MetricState s;
    s.Add("x_sum", x);
    s.Add("samples", 1);
    per.push_back(s);
    sum += x;
    sq += x * x;
  }
  const double mean = sum / 200, sd = std::sqrt(sq / 200 - mean * mean),
               half = 1.96 * sd / std::sqrt(200.0);
  MetricState all;
  for (const auto& s : per) all.Merge(s);
  json agg = MeanFinalize(all);
  BootstrapOptions o;
  o.replicates = 2000;
  o.seed = 3;
  // The metric's descriptors (config.metrics[].outputs) say which keys are counts.
  const json metric = {{"name", "m"}, {"outputs", {{{"key", "samples"}, {"kind", "count"}}}}};
  AddBootstrapIntervals(&agg, per, MeanFinalize, o, metric);
  ASSERT_TRUE(agg["ci95"].contains("m"));
  EXPECT_FALSE(agg["ci95"].contains("samples"));  // a count
  const double lo = agg["ci95"]["m"][0], hi = agg["ci95"]["m"][1];
  EXPECT_LT(lo, mean);
  EXPECT_GT(hi, mean);
  EXPECT_NEAR(hi - lo, 2 * half, 0.15 * 2 * half);
  EXPECT_EQ(agg["ci95_method"]["m"], "bootstrap");
}

// A minimal ncbench.report/1 with per-sample ssim and psnr.
json Report(const std::vector<double>& ssim, double psnr_shift = 0,
            const std::string& dataset_sha = "abc", int ssim_version = 1) {
  json r = {{"schema", "ncbench.report/1"},
            {"checkpoint", {{"spec", {{"name", "ck"}}}, {"sha256", "0"}}},
            {"dataset", {{"manifest", "m.jsonl"}, {"sha256", dataset_sha}}},
            {"context", {{"seed", 0}, {"git_sha", "x"}}},
            {"config",
             {{"metrics",
               {{{"name", "ssim"},
                 {"version", ssim_version},
                 {"direction", "higher_is_better"},
                 {"options", json::object()},
                 {"outputs", {{{"key", "frames"}, {"kind", "count"}}}}},
                {{"name", "psnr"},
                 {"version", 1},
                 {"direction", "higher_is_better"},
                 {"options", {{"data_range", 1.0}}}}}},
              {"alignment", {{"fps", 15}}}}},
            {"aggregates", json::object()},
            {"summary", json::object()}};
  r["samples"] = json::array();
  for (size_t i = 0; i < ssim.size(); ++i) {
    r["samples"].push_back({{"id", "s" + std::to_string(i)},
                            {"status", "ok"},
                            {"scores",
                             {{"ssim", ssim[i]},
                              {"psnr", 20.0 + static_cast<double>(i) + psnr_shift},
                              {"frames", 10}}}});
  }
  return r;
}

const json& Score(const json& c, const std::string& key) {
  for (const auto& s : c["scores"]) {
    if (s["key"] == key) return s;
  }
  throw Error("no score " + key);
}

TEST(Compare, IdenticalScoresAreNotFlagged) {
  const auto base = Report({0.9, 0.8, 0.95, 0.7, 0.85});
  CompareOptions o;
  o.fail_on = ParseGates("ssim<-0.005,psnr<-0.1");
  const auto c = Compare(base, base, o);
  EXPECT_EQ(c["pairs"], 5);
  EXPECT_DOUBLE_EQ(Score(c, "ssim")["delta"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(Score(c, "ssim")["p_value"].get<double>(), 1.0);
  EXPECT_EQ(Score(c, "ssim")["change"], "none");
  EXPECT_FALSE(c["failed"].get<bool>());
  for (const auto& s : c["scores"]) EXPECT_NE(s["key"], "frames");  // counts are not compared
}

TEST(Compare, AConsistentDropIsARegressionAndTripsTheGate) {
  const auto base = Report({0.9, 0.8, 0.95, 0.7, 0.85, 0.88, 0.91, 0.79});
  auto worse = Report({0.89, 0.78, 0.94, 0.69, 0.83, 0.87, 0.90, 0.77}, -0.5);
  CompareOptions o;
  o.fail_on = ParseGates("ssim<-0.005");
  const auto c = Compare(base, worse, o);
  const auto& s = Score(c, "ssim");
  EXPECT_NEAR(s["delta"].get<double>(), -0.11 / 8, 1e-12);  // drops of 0.01 x5 and 0.02 x3
  EXPECT_LT(s["p_value"].get<double>(), 0.01);
  EXPECT_LT(s["ci95"][1].get<double>(), 0.0);
  EXPECT_EQ(s["change"], "regression");
  EXPECT_EQ(Score(c, "psnr")["change"], "regression");
  EXPECT_TRUE(c["failed"].get<bool>());
  // The same drop under a looser threshold passes; noise around zero is not significant.
  o.fail_on = ParseGates("ssim<-0.05");
  EXPECT_FALSE(Compare(base, worse, o)["failed"].get<bool>());
  const auto noisy = Report({0.91, 0.79, 0.95, 0.71, 0.84, 0.88, 0.90, 0.80});
  EXPECT_EQ(Score(Compare(base, noisy, {}), "ssim")["change"], "none");
}

TEST(Compare, RefusesDifferentDatasetsAndMetricVersionsUnlessTold) {
  const auto base = Report({0.9, 0.8});
  try {
    Compare(base, Report({0.9, 0.8}, 0, "def", 2), {});
    FAIL() << "expected a refusal";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("datasets differ"), std::string::npos) << m;
    EXPECT_NE(m.find("metric ssim: version 1 vs 2"), std::string::npos) << m;
    EXPECT_NE(m.find("--allow-mismatch"), std::string::npos) << m;
  }
  CompareOptions o;
  o.allow_mismatch = true;
  EXPECT_EQ(Compare(base, Report({0.9, 0.8}, 0, "def"), o)["mismatches"].size(), 1u);
}

// Two checkouts' reports of the same checkpoint, weights and data compare: where a hashed file
// or folder lies, and what a metric declares incidental, are not part of what it measured.
// Another weights file, cursor library or option value still is.
TEST(Compare, WhereHashedFilesLieAndIncidentalOptionsAreNotCompared) {
  const auto with = [](const json& lpips, const json& cursor) {
    auto r = Report({0.9, 0.8});
    r["config"]["metrics"].push_back({{"name", "lpips"},
                                      {"version", 1},
                                      {"direction", "lower_is_better"},
                                      {"options", lpips},
                                      {"incidental_options", {"weights_dir"}}});
    r["config"]["metrics"].push_back(
        {{"name", "cursor"}, {"version", 1}, {"direction", ""}, {"options", cursor}});
    return r;
  };
  const auto lpips = [](const std::string& dir, const std::string& sha, int chunk) {
    return json{{"net", "squeeze"},
                {"chunk", chunk},
                {"weights_dir", dir},
                {"provenance", {{"weights", {{"file", dir + "/w.pt"}, {"sha256", sha}}}}}};
  };
  const auto cursor = [](const std::string& dir, const std::string& sha) {
    return json{{"templates", dir}, {"templates_sha256", sha}, {"radius", 8.0}};
  };
  const auto base = with(lpips("/a/weights", "aa", 2), cursor("/a/cursors", "cc"));
  EXPECT_TRUE(
      Incompatibilities(base, with(lpips("/b/weights", "aa", 2), cursor("/b/x", "cc"))).empty());
  const auto other =
      Incompatibilities(base, with(lpips("/b/weights", "ab", 3), cursor("/a", "cd")));
  ASSERT_EQ(other.size(), 2u);
  EXPECT_NE(other[0].find("metric cursor: options"), std::string::npos) << other[0];
  EXPECT_NE(other[0].find("\"templates_sha256\":\"cd\""), std::string::npos) << other[0];
  EXPECT_EQ(other[0].find("/a"), std::string::npos) << other[0];  // locations left out
  EXPECT_NE(other[1].find("\"sha256\":\"ab\""), std::string::npos) << other[1];
  EXPECT_NE(other[1].find("\"chunk\":3"), std::string::npos) << other[1];
  EXPECT_EQ(other[1].find("weights_dir"), std::string::npos) << other[1];
}

TEST(Compare, GateSyntaxErrorsNameTheClause) {
  EXPECT_THROW(ParseGates("ssim=-1"), Error);
  EXPECT_THROW(ParseGates("ssim<abc"), Error);
  const auto g = ParseGates(" ssim < -0.005 , lpips>0.01");
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[1].key, "lpips");
  EXPECT_EQ(g[1].op, '>');
  CompareOptions o;
  o.fail_on = ParseGates("ssmi<-0.1");  // a typo is an error, not a silent pass
  EXPECT_THROW(Compare(Report({0.9, 0.8}), Report({0.9, 0.8}), o), Error);
}

json TableRun(const std::string& name, double ssim, double ssim_lo, double ssim_hi, double cer) {
  return {{"checkpoint", {{"spec", {{"name", name}}}}},
          {"config",
           {{"metrics",
             {{{"name", "ssim"}, {"direction", "higher_is_better"}},
              {{"name", "ocr"},
               {"direction", "higher_is_better"},
               // The metric's descriptors (config.metrics[].outputs), as a report of the ocr
               // metric carries them: CER is lower-better, character accuracy its headline.
               {"outputs",
                {{{"key", "*_char_accuracy"}, {"kind", "ratio"}, {"primary", true}},
                 {{"key", "*_cer"}, {"kind", "ratio"}, {"direction", "lower_is_better"}}}}}}}}},
          {"aggregates",
           {{"ssim", {{"ssim", ssim}, {"samples", 6}, {"ci95", {{"ssim", {ssim_lo, ssim_hi}}}}}},
            {"ocr", {{"ocr_char_accuracy", 1 - cer}, {"ocr_cer", cer}}}}}};
}

TEST(Table, MarkdownMarksTheBestPerColumnWithDirections) {
  TableOptions o;
  o.columns = {"ssim", "ocr_cer"};
  const auto t = MakeTable(
      {TableRun("step_100", 0.90, 0.88, 0.92, 0.30), TableRun("step_200", 0.95, 0.94, 0.96, 0.40)},
      o);
  EXPECT_NE(t.find("| Run | ssim ↑ | ocr_cer ↓ |"), std::string::npos) << t;
  EXPECT_NE(t.find("| step_100 | 0.900 | **0.300** |"), std::string::npos) << t;
  EXPECT_NE(t.find("| step_200 | **0.950** | 0.400 |"), std::string::npos) << t;
  o.intervals = true;
  EXPECT_NE(MakeTable({TableRun("a", 0.90, 0.88, 0.92, 0.3)}, o).find("0.900 ± 0.020"),
            std::string::npos);
  o.columns = {"fvd"};
  EXPECT_THROW(MakeTable({TableRun("a", 0.9, 0.8, 1, 0.3)}, o), Error);
}

// A run with the arithmetic probe's plain variant, on `pool` (its hash) and `problems`.
json WithProbe(json run, const std::string& pool, int problems, double accuracy) {
  run["probes"]["arithmetic"] = {
      {"version", 2},
      {"pool", {{"name", pool}, {"sha256", pool == "nc-release" ? "9f1c" : "07ab"}}},
      {"problems", problems},
      {"draw", {{"indices", {0, 1, 2}}}},
      {"protocol", {{"read_frames", 3}, {"screen", {{"look", "release"}}}}},
      {"variants", {{"plain", {{"accuracy", accuracy}, {"wilson95", {0.1, 0.3}}}}}}};
  return run;
}

// A column over runs that measured different things (another dataset; for a probe, another
// problem set) would bold one as the best of numbers that are not alike: refused, naming the
// column, the runs and what differs. Before, the table printed them side by side.
TEST(Table, RefusesAColumnOverRunsThatMeasuredDifferentThings) {
  TableOptions o;
  o.columns = {"ssim"};
  json a = TableRun("a", 0.90, 0.88, 0.92, 0.3), b = TableRun("b", 0.95, 0.94, 0.96, 0.4);
  a["dataset"] = {{"manifest", "cli/manifest.jsonl"}, {"sha256", "1111"}};
  b["dataset"] = a["dataset"];
  b["dataset"]["manifest"] = "/elsewhere/cli/manifest.jsonl";  // the same data, another folder
  EXPECT_NO_THROW(MakeTable({a, b}, o));
  b["dataset"] = {{"manifest", "gui/manifest.jsonl"}, {"sha256", "2222"}};
  try {
    MakeTable({a, b}, o);
    FAIL() << "a column over two datasets";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("column 'ssim'"), std::string::npos) << m;
    EXPECT_NE(m.find("runs 1 ('a') and 2 ('b')"), std::string::npos) << m;
    EXPECT_NE(m.find("dataset sha256 1111 (cli/manifest.jsonl) vs 2222 (gui/manifest.jsonl)"),
              std::string::npos)
        << m;
  }
  o.allow_mismatch = true;  // asked for: laid out, and no value marked the best
  const auto mixed = MakeTable({a, b}, o);
  EXPECT_NE(mixed.find("| b | 0.950 |"), std::string::npos) << mixed;
  EXPECT_EQ(mixed.find("**"), std::string::npos) << mixed;
  o.allow_mismatch = false;
  // The probe's column compares problem sets, whatever the datasets.
  o.columns = {"arithmetic.plain"};
  const json pa = WithProbe(a, "nc-release", 1000, 0.2);
  EXPECT_NO_THROW(MakeTable({pa, WithProbe(b, "nc-release", 1000, 0.3)}, o));
  try {
    MakeTable({pa, WithProbe(b, "ncbench", 1000, 0.3)}, o);
    FAIL() << "a column over two problem pools";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("column 'arithmetic.plain'"), std::string::npos) << m;
    EXPECT_NE(m.find("pool nc-release vs ncbench"), std::string::npos) << m;
  }
  EXPECT_THROW(MakeTable({pa, WithProbe(b, "nc-release", 200, 0.3)}, o), Error);
  // A run without the column's value is not compared.
  o.columns = {"arithmetic.plain", "ssim"};
  b["dataset"] = a["dataset"];
  EXPECT_NO_THROW(MakeTable({WithProbe(a, "nc-release", 1000, 0.2), b}, o));
}

// A column's direction comes from a run that has the column: listed first, a run without
// the ocr metric (nothing describes ocr_cer there) made the column higher-better, and the
// worse CER was bold. A column with one value marks none.
TEST(Table, DirectionFromARunWithTheColumnAndNoBestOfOne) {
  json without_ocr = TableRun("no_ocr", 0.90, 0.88, 0.92, 0.3);
  without_ocr["config"]["metrics"].erase(1);
  without_ocr["aggregates"].erase("ocr");
  TableOptions o;
  o.columns = {"ssim", "ocr_cer"};
  const auto t = MakeTable(
      {without_ocr, TableRun("a", 0.95, 0.94, 0.96, 0.30), TableRun("b", 0.80, 0.78, 0.82, 0.40)},
      o);
  EXPECT_NE(t.find("| Run | ssim ↑ | ocr_cer ↓ |"), std::string::npos) << t;
  EXPECT_NE(t.find("| a | **0.950** | **0.300** |"), std::string::npos) << t;
  EXPECT_NE(t.find("| no_ocr | 0.900 | - |"), std::string::npos) << t;
  const auto one = MakeTable({without_ocr, TableRun("a", 0.95, 0.94, 0.96, 0.30)}, o);
  EXPECT_NE(one.find("| a | **0.950** | 0.300 |"), std::string::npos) << one;
}

TEST(Table, LatexEscapesLabelsAndKeys) {
  TableOptions o;
  o.format = "latex";
  o.labels = {"step_100 & more", "b"};
  const auto t = MakeTable({TableRun("x", 0.9, 0.8, 1, 0.3), TableRun("y", 0.8, 0.7, 0.9, 0.2)}, o);
  EXPECT_NE(t.find("step\\_100 \\& more"), std::string::npos) << t;
  EXPECT_NE(t.find("ocr\\_char\\_accuracy $\\uparrow$"), std::string::npos) << t;
  EXPECT_NE(t.find("\\textbf{0.900}"), std::string::npos) << t;
  EXPECT_EQ(t.rfind("\\begin{tabular}{lrr}", 0), 0u) << t;
}

// context.command_line is one line a shell reads back into the same arguments.
TEST(Context, TheCommandLineCanBeRunAsWritten) {
  const std::vector<std::string> argv = {"ncbench",
                                         "eval",
                                         "--metric-option",
                                         "ocr.psm=6",
                                         "--checkpoint",
                                         "process:python3 srv.py --name 'a b'",
                                         "--out",
                                         "runs/it's here",
                                         "",
                                         "$HOME",
                                         "a\"b"};
  const std::string line = MakeContext({argv, "cpu", 0})["command_line"];
  EXPECT_EQ(line.rfind("ncbench eval --metric-option ocr.psm=6 --checkpoint 'process:python3", 0),
            0u)
      << line;
  const auto r =
      RunCommand("set -- " + line + "; for a in \"$@\"; do printf '[%s]\\n' \"$a\"; done");
  std::string want;
  for (const auto& a : argv) want += "[" + a + "]\n";
  EXPECT_EQ(r.output, want) << line;
}

}  // namespace
}  // namespace ncb
