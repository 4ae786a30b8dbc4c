// Golden values for the text-space metrics and the arithmetic probe:
//  - ncbench's Tesseract engine returns what the `tesseract` program (what pytesseract runs)
//    returns for the same frames, on real CLIGen frames and on frames ncbench renders;
//  - every ocr score in a report equals an independent Python re-computation from the texts
//    the report records (tests/tools/ocr_recompute.py), within 1e-9;
//  - the 1,000 expected answers of the probe's pool are what Python 3 prints.
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "bench/checkpoint/reference_checkpoints.h"
#include "bench/run/eval_runner.h"
#include "datasets/frame_source.h"
#include "datasets/manifest.h"
#include "datasets/record/recorder.h"
#include "datasets/terminal.h"
#include "datasets/vhs_import.h"
#include "metrics/text/tesseract_ocr.h"
#include "probes/arithmetic/problems.h"
#include "tests/test_util.h"

namespace ncb {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

constexpr double kRecomputeTol = 1e-9;  // the bound

std::string StripPageSeparator(std::string s) {
  while (!s.empty() && (s.back() == '\f' || s.back() == '\n')) s.pop_back();
  return s;
}

// Compares the engine with `tesseract IMAGE - --psm 3` on one 8-bit BGR frame.
void ExpectSameAsCli(OcrPool& pool, const cv::Mat& bgr, const fs::path& png, int* nonempty) {
  ASSERT_TRUE(cv::imwrite(png.string(), bgr));
  const auto cli = test::Run("{ tesseract " + png.string() + " - --psm 3 2>/dev/null; }");
  ASSERT_EQ(cli.status, 0) << "the tesseract program (package tesseract-ocr) is needed: "
                           << cli.output;
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  const std::string api = pool.Recognize(rgb);
  EXPECT_EQ(StripPageSeparator(api), StripPageSeparator(cli.output)) << png;
  *nonempty += !StripPageSeparator(api).empty();
}

TEST(OcrGolden, EngineReadsWhatTheTesseractProgramReads) {
  test::TempDir tmp;
  OcrPool pool(OcrOptions{});
  int nonempty = 0, frames = 0;
  // Frames ncbench renders itself: a terminal screen at the default font, and a large one.
  for (int font : {13, 28}) {
    RenderOptions ro;
    ro.font_px = font;
    Terminal term(12, 60, ro);
    term.Feed(
        "$ ls -la /etc/apt\r\ntotal 32\r\ndrwxr-xr-x 1 root root 4096 Nov 23 sources.list.d\r\n"
        "$ echo $((7 * 6))\r\n42\r\n$ ");
    ExpectSameAsCli(pool, term.Render(), tmp / ("term" + std::to_string(font) + ".png"), &nonempty);
    ++frames;
  }
  if (fs::exists(test::SharedDir() / "README.md")) {
    // Real CLIGen (Clean) frames: the last frame of the first samples, full 1600x900.
    const auto samples = ImportVhsFolder(test::CligenDir(), tmp / "m.jsonl");
    for (size_t i = 0; i < 4 && i < samples.size(); ++i) {
      auto src = OpenFrameSource(samples[i].video);
      cv::Mat frame, last;
      while (src->Read(&frame)) frame.copyTo(last);
      ExpectSameAsCli(pool, last, tmp / (samples[i].id + ".png"), &nonempty);
      ++frames;
    }
  }
  EXPECT_EQ(nonempty, frames) << "every frame shows text; an empty reading means a broken engine";
}

TEST(OcrGolden, PoolAnswersAreWhatPythonPrints) {
  for (const auto& name : ArithmeticPoolNames()) {
    test::TempDir tmp;
    const auto pool = ArithmeticPool(name);
    {
      std::ofstream out(tmp / "exprs.txt");
      for (const auto& p : pool) out << p.expr << "\n";
    }
    const auto r = test::Run(
        "/usr/bin/python3 -c \"import sys\nfor e in open(sys.argv[1]).read().split():"
        " print(repr(eval(e)))\" " +
        (tmp / "exprs.txt").string());
    ASSERT_EQ(r.status, 0) << r.output;
    std::istringstream lines(r.output);
    std::string line;
    int i = 0, mismatches = 0;
    while (std::getline(lines, line)) {
      ASSERT_LT(i, 1000);
      const auto& p = pool[static_cast<size_t>(i)];
      mismatches += line != p.expected;
      EXPECT_EQ(line, p.expected) << name << ": " << p.expr;
      ++i;
    }
    EXPECT_EQ(i, 1000) << name;
    EXPECT_EQ(mismatches, 0) << name;
  }
}

json Recompute(const fs::path& report) {
  const auto r = test::Run("/usr/bin/python3 " +
                           (test::SourceDir() / "tests/tools/ocr_recompute.py").string() + " " +
                           report.string());
  EXPECT_EQ(r.status, 0) << r.output;
  return json::parse(r.output.substr(r.output.find('{')));
}

// The static baseline on real CLIGen samples: scores well away from 0 and 1.
TEST(OcrGolden, CligenScoresEqualAnIndependentRecomputation) {
  NCB_REQUIRE_SHARED();
  test::TempDir tmp;
  const auto all = ImportVhsFolder(test::CligenDir(), tmp / "all.jsonl");
  {
    std::ofstream m(tmp / "subset.jsonl");
    for (size_t i = 0; i < 6; ++i) m << SampleToJson(all[i], tmp.path()).dump() << "\n";
  }
  WriteStaticBaseline(test::CliSpec(1600, 900, 25, "static"), tmp / "static.pt");
  EvalOptions o;
  o.checkpoint = (tmp / "static.pt").string();
  o.manifest = (tmp / "subset.jsonl").string();
  o.metrics = {"ocr"};
  o.out_dir = (tmp / "out").string();
  const json r = RunEval(o).ToJson();
  ASSERT_EQ(r["summary"]["samples_ok"], 6) << r["samples"].dump();
  const double acc = r["aggregates"]["ocr"]["ocr_char_accuracy"].get<double>();
  EXPECT_GT(acc, 0.05);
  EXPECT_LT(acc, 0.95);
  // Ground truth against itself scores 1.
  EXPECT_EQ(r["aggregates"]["ocr"]["ceiling"]["gt_vs_reference_char_accuracy"].get<double>(), 1.0);
  const json check = Recompute(tmp / "out/report.json");
  EXPECT_GE(check["values"].get<int>(), 6 * 5 * 4 + 6 * 3 + 3);
  EXPECT_LE(check["max_abs_diff"].get<double>(), kRecomputeTol);
}

// A recorded set has the true screen text: gt_source=buffer scores against it.
TEST(OcrGolden, BufferScoresEqualAnIndependentRecomputation) {
  test::TempDir tmp;
  std::ofstream(tmp / "t.tape")
      << "# ID: t\nSet TypingSpeed 20ms\nSleep 100ms\nType \"echo hello-$((6*7))\"\n"
         "Enter\nSleep 300ms\nType \"ls /\"\nEnter\nSleep 400ms\n";
  RecordOptions ro;
  ro.rows = 12;
  ro.cols = 48;
  RenderOptions render;
  render.font_px = 24;
  RecordDataset({tmp / "t.tape"}, tmp / "ds", 15.0, ro, render);
  auto src = OpenFrameSource(tmp / "ds/frames/t");
  WriteStaticBaseline(test::CliSpec(src->width(), src->height(), 15, "static"), tmp / "static.pt");
  EvalOptions o;
  o.checkpoint = (tmp / "static.pt").string();
  o.manifest = (tmp / "ds/manifest.jsonl").string();
  o.metrics = {"ocr"};
  o.metric_options["ocr"] = {{"gt_source", "buffer"}};
  o.out_dir = (tmp / "out").string();
  o.align.render = render;
  const json r = RunEval(o).ToJson();
  ASSERT_EQ(r["summary"]["samples_ok"], 1) << r["samples"].dump();
  const auto& agg = r["aggregates"]["ocr_buffer"];
  const auto& frames = r["samples"][0]["scores"]["ocr_frames"];
  ASSERT_EQ(frames.size(), 5u);
  EXPECT_NE(frames.back()["buffer_text"].get<std::string>().find("hello-42"), std::string::npos);
  // With the buffer as reference, the ceiling is the ground truth's OCR against the buffer.
  EXPECT_DOUBLE_EQ(agg["ceiling"]["gt_vs_reference_char_accuracy"].get<double>(),
                   agg["ceiling"]["gt_ocr_vs_buffer_char_accuracy"].get<double>());
  EXPECT_GT(agg["ceiling"]["gt_ocr_vs_buffer_char_accuracy"].get<double>(), 0.6);  // 0.78 measured
  const json check = Recompute(tmp / "out/report.json");
  EXPECT_LE(check["max_abs_diff"].get<double>(), kRecomputeTol);
}

}  // namespace
}  // namespace ncb
