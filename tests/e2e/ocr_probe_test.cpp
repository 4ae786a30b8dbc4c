// End to end: the ocr metric through `eval` (replay = 1, the ground-truth OCR cache, the
// buffer source's errors) and the arithmetic probe on its known-answer checkpoints.
#include <fstream>

#include "bench/checkpoint/checkpoint.h"
#include "bench/checkpoint/reference_checkpoints.h"
#include "bench/run/eval_runner.h"
#include "core/errors.h"
#include "datasets/manifest.h"
#include "datasets/vhs_import.h"
#include "probes/arithmetic/calculator_checkpoint.h"
#include "probes/arithmetic/probe.h"
#include "probes/arithmetic/screen.h"
#include "tests/test_util.h"

namespace ncb {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

fs::path CligenSubset(const test::TempDir& tmp, size_t n) {
  const auto all = ImportVhsFolder(test::CligenDir(), tmp / "all.jsonl");
  std::ofstream m(tmp / "subset.jsonl");
  for (size_t i = 0; i < n && i < all.size(); ++i)
    m << SampleToJson(all[i], tmp.path()).dump() << "\n";
  return tmp / "subset.jsonl";
}

// Replays the first n CLIGen samples with their own videos, with the given metrics.
EvalOptions CligenReplay(const test::TempDir& tmp, size_t n, std::vector<std::string> metrics) {
  EvalOptions o;
  o.checkpoint = "videos:" + test::CligenDir().string();
  o.manifest = CligenSubset(tmp, n).string();
  o.metrics = std::move(metrics);
  o.out_dir = (tmp / "out").string();
  return o;
}

TEST(OcrEval, ReplayScoresOneAndTheSecondRunReadsTheCache) {
  NCB_REQUIRE_SHARED();
  test::TempDir tmp;
  EvalOptions o = CligenReplay(tmp, 4, {"ocr"});  // psnr and ssim at 1600x900: eval_test.cpp
  o.cache_dir = (tmp / "cache").string();
  o.out_dir = (tmp / "first").string();
  const json first = RunEval(o).ToJson();
  ASSERT_EQ(first["summary"]["samples_ok"], 4) << first["samples"].dump();
  const auto& a = first["aggregates"]["ocr"];
  EXPECT_EQ(a["ocr_char_accuracy"].get<double>(), 1.0);
  EXPECT_EQ(a["ocr_line_accuracy"].get<double>(), 1.0);
  EXPECT_EQ(a["ocr_cer"].get<double>(), 0.0);
  EXPECT_EQ(a["frames"].get<double>(), 20.0);
  EXPECT_GT(a["gt_cache"]["misses"].get<double>(), 0.0);
  EXPECT_TRUE(
      a["ceiling"]["gt_ocr_vs_buffer_char_accuracy"].is_null());  // mp4s have no screen text

  o.out_dir = (tmp / "second").string();
  const json second = RunEval(o).ToJson();
  const auto& b = second["aggregates"]["ocr"];
  EXPECT_EQ(b["gt_cache"]["misses"].get<double>(), 0.0);
  EXPECT_EQ(b["gt_cache"]["hits"].get<double>(), 20.0);
  EXPECT_EQ(b["ocr_char_accuracy"], a["ocr_char_accuracy"]);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(second["samples"][i]["scores"]["ocr_frames"][0]["gt_text"],
              first["samples"][i]["scores"]["ocr_frames"][0]["gt_text"]);
  }
}

TEST(OcrEval, BufferSourceWithoutScreenTextFailsTheSampleWithTheReason) {
  NCB_REQUIRE_SHARED();
  test::TempDir tmp;
  EvalOptions o = CligenReplay(tmp, 1, {"ocr"});
  o.metric_options["ocr"] = {{"gt_source", "buffer"}};
  const json r = RunEval(o).ToJson();
  ASSERT_EQ(r["summary"]["samples_failed"], 1);
  const std::string err = r["samples"][0]["error"];
  EXPECT_NE(err.find("gt_source=buffer"), std::string::npos) << err;
  EXPECT_NE(err.find("screen_text"), std::string::npos) << err;
  EXPECT_TRUE(fs::exists(tmp / "out/report.json"));
}

TEST(OcrEval, MetricOptionsForAMetricNotRunAreRefused) {
  NCB_REQUIRE_SHARED();
  test::TempDir tmp;
  EvalOptions o = CligenReplay(tmp, 1, {"psnr"});
  o.metric_options["ocr"] = {{"psm", 6}};
  EXPECT_THROW(RunEval(o), Error);
  o.metric_options.clear();
  o.probes = {"algebra"};
  EXPECT_THROW(RunEval(o), Error);
}

// The probe on checkpoints whose answers are known: 100% / 0% / 0%.
class ArithmeticKnownAnswers : public ::testing::Test {
 protected:
  static NcSpec Spec() { return test::CliSpec(640, 408, 15); }
  static ArithmeticProbeOptions Options() {
    ArithmeticProbeOptions o;
    o.font_px = 24;   // legible to Tesseract at 640x408 (at the default 14 px it misreads 0 as o)
    o.problems = 50;  // the main job draws the default 100 (scripts/main_job.sh)
    return o;
  }
};

TEST_F(ArithmeticKnownAnswers, CalculatorScoresOneHundredPercentPlainAndReprompted) {
  test::TempDir tmp;
  WriteCalculatorCheckpoint(Spec(), false, 24, "catppuccin-mocha", tmp / "calc.pt");
  auto ckpt = OpenCheckpoint((tmp / "calc.pt").string(), torch::kCPU);
  auto o = Options();
  o.reprompt = true;
  const json r = RunArithmeticProbe(*ckpt, o);
  EXPECT_EQ(r["pool"]["size"], 1000);
  for (const char* variant : {"plain", "reprompt"}) {
    const auto& v = r["variants"][variant];
    EXPECT_EQ(v["total"], 50);
    EXPECT_EQ(v["correct"], 50) << variant;
    EXPECT_EQ(v["accuracy"].get<double>(), 1.0);
    EXPECT_NEAR(v["wilson95"][0].get<double>(), 0.928652, 1e-6);
    for (const auto& p : v["problems"]) {
      EXPECT_TRUE(p["correct"].get<bool>()) << p.dump();
      EXPECT_EQ(p["read"], p["expected"]);
      EXPECT_FALSE(p["expr"].get<std::string>().empty());
    }
  }
  // Every category of the pool's mix appears in the draw.
  EXPECT_GE(r["variants"]["plain"]["per_category"].size(), 12u);
}

// Each problem rolled out with another problem's caption: the calculator draws that problem's
// expression and answer, so it loses its accuracy on its own.
TEST_F(ArithmeticKnownAnswers, CalculatorGivenAnotherProblemsCaptionLosesItsAccuracy) {
  test::TempDir tmp;
  WriteCalculatorCheckpoint(Spec(), false, 24, "catppuccin-mocha", tmp / "calc.pt");
  auto ckpt = OpenCheckpoint((tmp / "calc.pt").string(), torch::kCPU);
  auto o = Options();
  o.problems = 20;
  o.counterfactual = true;
  const json r = RunArithmeticProbe(*ckpt, o);
  EXPECT_EQ(r["variants"]["plain"]["accuracy"].get<double>(), 1.0);
  const auto& v = r["variants"]["counterfactual"];
  EXPECT_EQ(v["total"], 20);
  EXPECT_LE(v["accuracy"].get<double>(), 0.05) << v.dump();
  EXPECT_FALSE(r["protocol"]["counterfactual_caption"].get<std::string>().empty());
}

TEST_F(ArithmeticKnownAnswers, WrongCalculatorAndStaticBaselineScoreZero) {
  test::TempDir tmp;
  WriteCalculatorCheckpoint(Spec(), true, 24, "catppuccin-mocha", tmp / "wrong.pt");
  WriteStaticBaseline(Spec(), tmp / "static.pt");
  auto wrong = OpenCheckpoint((tmp / "wrong.pt").string(), torch::kCPU);
  const json w = RunArithmeticProbe(*wrong, Options());
  const auto& wv = w["variants"]["plain"];
  EXPECT_EQ(wv["correct"], 0);
  int read = 0;
  for (const auto& p : wv["problems"]) read += !p["read"].is_null() && p["read"] != "";
  EXPECT_EQ(read, 50) << "the wrong answers are read, and differ from the expected ones";
  auto stat = OpenCheckpoint((tmp / "static.pt").string(), torch::kCPU);
  const json s = RunArithmeticProbe(*stat, Options());
  EXPECT_EQ(s["variants"]["plain"]["correct"], 0);
  EXPECT_TRUE(s["variants"]["plain"]["problems"][0]["read"].is_null());
}

// At the released data's 1600x900 the probe's screen is CLIGen's own look (the released
// tapes' Set block, as vhs draws it): a 60x12 grid of JetBrains Mono 40 px inside the blue
// margin, vhs's "> " prompt; the calculator draws with the same cells and still scores 100 %,
// the wrong one 0 %. A 10-problem draw (about 13 s each on 2 cores) holds problem 300,
// "32+26", which Tesseract reads "$2426" at this size.
TEST(ArithmeticCligenLook, ProbeScreenIsTheReleasedLookAndTheCalculatorsStillScore) {
  const ProbeScreen screen = MakeProbeScreen(900, 1600);
  EXPECT_EQ(screen.look, "cligen-clean");
  EXPECT_EQ(screen.cols, 60);
  EXPECT_EQ(screen.rows, 12);
  EXPECT_NEAR(screen.pitch, 24.8, 0.05);
  EXPECT_EQ(screen.origin_x, 46);  // margin 28 + padding 18
  EXPECT_EQ(screen.origin_y, 60);  // and the rows centred: (808 - 12 x 65) / 2 = 14
  const cv::Mat first = RenderProbeScreen(screen, screen.prompt);
  ASSERT_EQ(first.size(), cv::Size(1600, 900));
  EXPECT_EQ(first.at<cv::Vec3b>(5, 5), cv::Vec3b(0xFF, 0x91, 0x00)) << "the margin (BGR)";
  EXPECT_EQ(first.at<cv::Vec3b>(450, 800), cv::Vec3b(0x2e, 0x1e, 0x1e)) << "the background";
  // vhs's prompt, "> " in #5A56E0, in the first cell.
  int prompt_px = 0;
  for (int y = screen.origin_y; y < screen.origin_y + screen.cell_h; ++y)
    for (int x = screen.origin_x; x < screen.origin_x + screen.cell_w; ++x)
      prompt_px += cv::norm(cv::Vec3d(first.at<cv::Vec3b>(y, x)) - cv::Vec3d(224, 86, 90)) < 60;
  EXPECT_GT(prompt_px, 20);
  EXPECT_EQ(MakeProbeScreen(900, 1600, 0, "catppuccin-mocha", "plain").look, "plain");
  try {
    MakeProbeScreen(408, 640, 0, "catppuccin-mocha", "cligen-clean");
    ADD_FAILURE() << "a 640x408 frame took the 1600x900 look";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "look 'cligen-clean' draws 1600x900 frames; the checkpoint's are 640x408"),
              std::string::npos)
        << e.what();
  }

  test::TempDir tmp;
  const NcSpec spec = test::CliSpec(1600, 900, 25);
  WriteCalculatorCheckpoint(spec, false, 0, "catppuccin-mocha", tmp / "calc.pt");
  WriteCalculatorCheckpoint(spec, true, 0, "catppuccin-mocha", tmp / "wrong.pt");
  ArithmeticProbeOptions o;
  o.problems = 10;
  for (const auto& [name, want] : {std::pair{"calc.pt", 10}, std::pair{"wrong.pt", 0}}) {
    auto ckpt = OpenCheckpoint((tmp / name).string(), torch::kCPU);
    const json r = RunArithmeticProbe(*ckpt, o);
    EXPECT_EQ(r["protocol"]["screen"]["look"], "cligen-clean");
    const auto& v = r["variants"]["plain"];
    EXPECT_EQ(v["correct"], want) << name << " " << v.dump();
    int read = 0;
    for (const auto& p : v["problems"]) read += !p["read"].is_null() && p["read"] != "";
    EXPECT_EQ(read, 10) << name << ": every answer is read";
  }
}

TEST(ArithmeticProbeCli, RunsWithMetricsAndNamesItsErrors) {
  NCB_REQUIRE_SHARED();
  test::TempDir tmp;
  const auto manifest = CligenSubset(tmp, 2);
  WriteCalculatorCheckpoint(test::CliSpec(640, 408, 15), false, 0, "catppuccin-mocha",
                            tmp / "calc.pt");
  const auto exe = test::NcbenchExe().string();
  auto r = test::Run(exe + " eval --checkpoint " + (tmp / "calc.pt").string() + " --dataset " +
                     manifest.string() +
                     " --metrics psnr,ssim,ocr --probes arithmetic --problems 10 --out " +
                     (tmp / "out").string() + " --cache-dir " + (tmp / "cache").string());
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("arithmetic | plain.accuracy"), std::string::npos) << r.output;
  const json rep = test::ReadJson(tmp / "out/report.json");
  EXPECT_EQ(rep["probes"]["arithmetic"]["variants"]["plain"]["total"], 10);
  EXPECT_TRUE(rep["aggregates"].contains("ocr"));
  // The default pool is the paper's, drawn every 100th problem for 10; named with its sha256.
  const json& pool = rep["probes"]["arithmetic"]["pool"];
  EXPECT_EQ(pool["name"], "nc-release");
  EXPECT_EQ(pool["sha256"], ArithmeticPoolHash(ArithmeticPool("nc-release")));
  EXPECT_EQ(rep["probes"]["arithmetic"]["draw"]["indices"][1], 100);
  EXPECT_EQ(rep["probes"]["arithmetic"]["variants"]["plain"]["problems"][1]["expr"],
            ArithmeticPool()[100].expr);
  // An unknown pool is refused before anything runs, naming the known ones.
  r = test::Run(exe + " eval --checkpoint " + (tmp / "calc.pt").string() + " --dataset " +
                manifest.string() + " --probes arithmetic --pool nc-relase --out " +
                (tmp / "out3").string());
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("ncbench-balanced"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(tmp / "out3/report.json"));
  // A look the checkpoint's frames cannot hold is refused once it is loaded, before a rollout.
  r = test::Run(exe + " eval --checkpoint " + (tmp / "calc.pt").string() + " --dataset " +
                manifest.string() + " --probes arithmetic --probe-look cligen-clean --out " +
                (tmp / "out4").string());
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("checkpoint 'calculator': arithmetic probe look 'cligen-clean' draws "
                          "1600x900 frames; the checkpoint's are 640x408"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(std::filesystem::exists(tmp / "out4/report.json"));
  // A videos: checkpoint cannot be probed: the probe's error is recorded, the metrics kept.
  r = test::Run(exe + " eval --checkpoint videos:" + test::CligenDir().string() + " --dataset " +
                manifest.string() + " --metrics psnr --probes arithmetic --out " +
                (tmp / "out2").string());
  EXPECT_EQ(r.status, 3) << r.output;
  const json rep2 = test::ReadJson(tmp / "out2/report.json");
  EXPECT_NE(rep2["probes"]["arithmetic"]["error"].get<std::string>().find("videos"),
            std::string::npos);
  EXPECT_EQ(rep2["summary"]["samples_ok"], 2);
}

}  // namespace
}  // namespace ncb
