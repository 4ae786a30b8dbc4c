// End to end: the views people read, made by the ncbench program from real runs over CLIGen
// data: the HTML report in headless Chromium, `compare` as a CI gate, `table --format latex`
// through pdflatex.
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <sstream>

#include "bench/checkpoint/reference_checkpoints.h"
#include "datasets/manifest.h"
#include "datasets/vhs_import.h"
#include "reports/html/html_report.h"
#include "tests/test_util.h"

namespace ncb {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Three runs over 8 CLIGen clips (8 frames each at 800x450, 15 fps), shared by the tests (made
// once for all their processes, test::SharedFixture): the static baseline with seeds 0 and 7
// (a deterministic model), and a planted regression (the same frames made 10% darker by a
// Python-exported wrapper).
class ReportViews : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists(test::SharedDir() / "README.md")) return;
    dir_ = test::SharedFixture("report_views", Make);
  }
  static void Make(const fs::path& d) {
    const auto samples = ImportVhsFolder(test::CligenDir(), d / "all.jsonl");
    {
      std::ofstream m(d / "set.jsonl");
      for (size_t i = 0; i < samples.size() && i < 8; ++i)
        m << SampleToJson(samples[i], d).dump() << "\n";
    }
    WriteStaticBaseline(test::CliSpec(800, 450, 15, "static"), d / "static.pt");
    const auto py = test::Run(
        "/usr/bin/python3 " + (test::SourceDir() / "tests/tools/degrade_checkpoint.py").string() +
        " " + (d / "static.pt").string() + " " + (d / "darker.pt").string() + " --gain 0.9");
    ASSERT_EQ(py.status, 0) << py.output;
    for (const auto& [ckpt, seed, out] : std::vector<std::tuple<std::string, int, std::string>>{
             {"static.pt", 0, "base"}, {"static.pt", 7, "reseeded"}, {"darker.pt", 0, "darker"}}) {
      const auto r = test::Run(test::NcbenchExe().string() + " eval --quiet --checkpoint " +
                               (d / ckpt).string() + " --dataset " + (d / "set.jsonl").string() +
                               " --metrics psnr,ssim --max-frames 8 --seed " +
                               std::to_string(seed) + " --out " + (d / out).string());
      ASSERT_EQ(r.status, 0) << r.output;
    }
  }
  void SetUp() override { NCB_REQUIRE_SHARED(); }
  static fs::path Path(const std::string& s) { return dir_ / s; }
  static std::string Ncbench() { return test::NcbenchExe().string(); }

  static fs::path dir_;
};
fs::path ReportViews::dir_;

TEST_F(ReportViews, CompareFlagsThePlantedRegressionAndNotAReseededRun) {
  const std::string gate = " --fail-on 'ssim<-0.001,psnr<-0.1'";
  const auto same = test::Run(Ncbench() + " compare " + Path("base/report.json").string() + " " +
                              Path("reseeded/report.json").string() + gate + " --out " +
                              Path("cmp_same").string());
  EXPECT_EQ(same.status, 0) << same.output;
  const auto c = test::ReadJson(Path("cmp_same/compare.json"));
  EXPECT_EQ(c["pairs"], 8);
  EXPECT_NE(c["base"]["seed"], c["new"]["seed"]);
  for (const auto& s : c["scores"]) EXPECT_EQ(s["change"], "none") << s.dump();
  EXPECT_TRUE(fs::exists(Path("cmp_same/compare.md")) && fs::exists(Path("cmp_same/compare.html")));

  const auto worse = test::Run(Ncbench() + " compare " + Path("base/report.json").string() + " " +
                               Path("darker/report.json").string() + gate + " --out " +
                               Path("cmp_worse").string());
  EXPECT_EQ(worse.status, 4) << worse.output;
  EXPECT_NE(worse.output.find("**regression**"), std::string::npos) << worse.output;
  EXPECT_NE(worse.output.find("gate ssim<-0.001000: FAILED"), std::string::npos) << worse.output;
  const auto w = test::ReadJson(Path("cmp_worse/compare.json"));
  EXPECT_TRUE(w["failed"].get<bool>());
}

TEST_F(ReportViews, CompareRefusesADifferentDatasetAndSaysWhy) {
  // The same run against a report over a 2-sample subset (another manifest hash).
  {
    std::ifstream in(Path("set.jsonl"));
    std::ofstream out(Path("small.jsonl"));
    std::string line;
    for (int i = 0; i < 2 && std::getline(in, line); ++i) out << line << "\n";
  }
  const auto run =
      test::Run(Ncbench() + " eval --quiet --no-html --checkpoint " + Path("static.pt").string() +
                " --dataset " + Path("small.jsonl").string() +
                " --metrics psnr,ssim --max-frames 8 --out " + Path("small").string());
  ASSERT_EQ(run.status, 0) << run.output;
  const auto r = test::Run(Ncbench() + " compare " + Path("base/report.json").string() + " " +
                           Path("small/report.json").string());
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("datasets differ"), std::string::npos) << r.output;
  const auto forced =
      test::Run(Ncbench() + " compare --allow-mismatch " + Path("base/report.json").string() + " " +
                Path("small/report.json").string());
  EXPECT_EQ(forced.status, 0) << forced.output;
  EXPECT_NE(forced.output.find("2 paired samples (6 only in base"), std::string::npos)
      << forced.output;
}

TEST_F(ReportViews, LatexTableCompilesAsATableBody) {
  if (test::Run("command -v pdflatex").status != 0)
    GTEST_FAIL() << "pdflatex missing (scripts/install-deps.sh installs it)";
  const auto t = test::Run(Ncbench() + " table " + Path("base/report.json").string() + " " +
                           Path("darker/report.json").string() +
                           " --format latex --intervals --label 'static (seed 0)'" +
                           " --label 'static_darker' --out " + Path("table.tex").string());
  ASSERT_EQ(t.status, 0) << t.output;
  {
    std::ofstream doc(Path("doc.tex"));
    doc << "\\documentclass{article}\n\\begin{document}\n\\begin{table}\n\\centering\n\\input{"
           "table.tex}\n"
           "\\caption{ncbench}\n\\end{table}\n\\end{document}\n";
  }
  const auto tex = test::Run("cd " + Path("").string() +
                             " && pdflatex -interaction=nonstopmode -halt-on-error doc.tex");
  EXPECT_EQ(tex.status, 0) << tex.output;
  EXPECT_TRUE(fs::exists(Path("doc.pdf")));
  // The undegraded run is the best in both columns.
  std::ifstream in(Path("table.tex"));
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_NE(ss.str().find("static (seed 0) & \\textbf{"), std::string::npos) << ss.str();
}

TEST_F(ReportViews, LatentNcTrainsAndRollsOutTheSameInBothModes) {
  // A few steps on the CLIGen clips: the loss falls, steps are saved as ncbench.nc/1 files.
  const auto tr =
      test::Run(Ncbench() + " checkpoints train-latent --dataset " + Path("set.jsonl").string() +
                " --out " + Path("latent").string() + " --save-steps 0,4 --max-frames 6");
  ASSERT_EQ(tr.status, 0) << tr.output;
  const auto losses = tr.output.find("loss ");
  ASSERT_NE(losses, std::string::npos) << tr.output;
  double first = 0, last = 0;
  ASSERT_EQ(
      std::sscanf(tr.output.c_str() + tr.output.find("; loss ") + 7, "%lf -> %lf", &first, &last),
      2)
      << tr.output;
  EXPECT_LT(last, first) << tr.output;
  // rollout and init/step give the same frames, so the same scores.
  std::vector<json> scores;
  for (const std::string mode : {"rollout", "step"}) {
    const auto r =
        test::Run(Ncbench() + " eval --quiet --no-html --strip-frames 0 --checkpoint " +
                  Path("latent/latent-step4.pt").string() + " --dataset " +
                  Path("set.jsonl").string() + " --metrics psnr,ssim --max-frames 6 --mode " +
                  mode + " --out " + Path("latent-" + mode).string());
    ASSERT_EQ(r.status, 0) << r.output;
    const auto rep = test::ReadJson(Path("latent-" + mode + "/report.json"));
    EXPECT_EQ(rep["checkpoint"]["spec"]["name"], "latent-nc-step4");
    EXPECT_EQ(rep["samples"][0]["rollout_mode"], mode);
    scores.push_back(rep["aggregates"]["ssim"]["ssim"]);
  }
  EXPECT_NEAR(scores[0].get<double>(), scores[1].get<double>(), 1e-6);
}

// Headless Chromium: the page renders (the script marks <body data-rendered="ok">), logs
// nothing to the console, and the screenshot is a real picture.
// Returns the rendered DOM.
std::string ExpectRendersInChromium(const fs::path& html, const fs::path& shot) {
  if (test::Run("command -v chromium").status != 0) {
    ADD_FAILURE() << "chromium missing (scripts/install-deps.sh installs it)";
    return "";
  }
  const std::string chrome = "chromium --headless --no-sandbox --disable-gpu --user-data-dir=" +
                             (html.parent_path() / "chrome-profile").string() + " ";
  const auto dom = test::Run("timeout 120 " + chrome +
                             "--enable-logging=stderr --v=0 --dump-dom file://" + html.string());
  EXPECT_EQ(dom.status, 0) << dom.output.substr(0, 2000);
  EXPECT_NE(dom.output.find("data-rendered=\"ok\""), std::string::npos)
      << dom.output.substr(0, 2000);
  EXPECT_EQ(dom.output.find("CONSOLE"), std::string::npos) << dom.output.substr(0, 4000);
  const auto png =
      test::Run("timeout 120 " + chrome + "--window-size=1280,2400 --screenshot=" + shot.string() +
                " file://" + html.string());
  EXPECT_EQ(png.status, 0) << png.output;
  const cv::Mat img = cv::imread(shot.string());
  if (img.empty()) {
    ADD_FAILURE() << "no screenshot at " << shot;
    return dom.output;
  }
  EXPECT_EQ(img.cols, 1280);
  cv::Scalar mean, sd;
  cv::meanStdDev(img, mean, sd);
  EXPECT_GT(sd[0], 20.0) << "the screenshot is nearly uniform";
  const auto at = dom.output.find("data-render-ms=\"");
  if (at != std::string::npos) {
    const auto end = dom.output.find('"', at + 16);
    std::cout << "render time in Chromium: " << dom.output.substr(at + 16, end - at - 16)
              << " ms\n";
  }
  return dom.output;
}

TEST_F(ReportViews, HtmlReportRendersInHeadlessChromium) {
  const auto html = Path("base/report.html");
  ASSERT_TRUE(fs::exists(html));
  std::ifstream in(html);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string page = ss.str();
  // Self-contained: the strips are inline, nothing is fetched.
  EXPECT_NE(page.find("data:image/jpeg;base64,"), std::string::npos);
  for (const char* fetch :
       {"src=\"http", "href=\"http", "url(http", "<link", "<script src", "@import"}) {
    EXPECT_EQ(page.find(fetch), std::string::npos) << fetch;
  }
  const std::string dom = ExpectRendersInChromium(html, Path("base/screenshot.png"));
  // The throughput block is on the page: the device, the model's speed, the phases.
  for (const char* text :
       {"id=\"throughput\"", "frames/s (", "peak RSS", "metric:ssim", "report_write"}) {
    EXPECT_NE(dom.find(text), std::string::npos) << text;
  }
}

TEST_F(ReportViews, HtmlReportOf1000SamplesRenders) {
  // The base run's samples repeated to 1,000 (with their strips): the page stays usable.
  auto r = test::ReadJson(Path("base/report.json"));
  const json one = r["samples"];
  json many = json::array();
  for (int i = 0; many.size() < 1000; ++i) {
    json s = one[static_cast<size_t>(i) % one.size()];
    s["id"] = s["id"].get<std::string>() + "_" + std::to_string(i);
    many.push_back(s);
  }
  r["samples"] = many;
  const auto html = Path("base/report1000.html");
  WriteHtmlReport(r, Path("base"), html);
  std::cout << "1000-sample report: " << fs::file_size(html) / 1024 << " KiB\n";
  ExpectRendersInChromium(html, Path("base/screenshot1000.png"));
}

}  // namespace
}  // namespace ncb
