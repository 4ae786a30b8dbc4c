// End to end: FVD and LPIPS inside `eval` on real CLIGen (Clean) clips, with stand-in FVD
// detectors the test exports in the detectors' call signatures (tests/tools/fvd_reference.py).
#include <torch/types.h>

#include <fstream>

#include "bench/checkpoint/reference_checkpoints.h"
#include "bench/run/eval_runner.h"
#include "datasets/manifest.h"
#include "datasets/vhs_import.h"
#include "metrics/metric.h"
#include "tests/e2e/same_run.h"
#include "tests/test_util.h"

namespace ncb {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct PerceptualSetup {
  test::TempDir tmp;
  fs::path manifest, static_ckpt, i3d, r3d18;
  PerceptualSetup() {
    const auto samples = ImportVhsFolder(test::CligenDir(), tmp / "all.jsonl");
    manifest = tmp / "five.jsonl";
    std::ofstream m(manifest);
    for (size_t i = 0; i < 5; ++i) m << SampleToJson(samples[i * 20], tmp.path()).dump() << "\n";
    m.close();
    static_ckpt = tmp / "static.pt";
    WriteStaticBaseline(test::CliSpec(1600, 900, 25, "static"), static_ckpt);
    i3d = tmp / "i3d_standin.pt";
    r3d18 = tmp / "r3d18_standin.pt";
    const std::string tool =
        "/usr/bin/python3 " + (test::SourceDir() / "tests/tools/fvd_reference.py").string();
    EXPECT_EQ(test::Run(tool + " standin i3d " + i3d.string()).status, 0);
    EXPECT_EQ(test::Run(tool + " standin r3d18 " + r3d18.string()).status, 0);
  }
  EvalOptions Options(const std::string& checkpoint, const std::string& out) const {
    EvalOptions o;
    o.checkpoint = checkpoint;
    o.manifest = manifest.string();
    o.out_dir = (tmp / out).string();
    o.align.max_frames = 24;
    return o;
  }
};

TEST(Fvd, StandInDetectorsRunEndToEndReplayIsZeroStaticIsNot) {
  NCB_REQUIRE_SHARED();
  PerceptualSetup s;
  // FVD_+15 subsamples/pads the selected frames to 16 whatever the detector; the name says so.
  const auto windowed = CreateMetric("fvd+15", {{"detector_file", s.i3d.string()}});
  EXPECT_EQ(windowed->info().name, "fvd_uniform_+15");
  EXPECT_EQ(windowed->options()["clip"], "uniform");
  for (const auto& [ckpt, out] :
       {std::pair<std::string, std::string>{"videos:" + test::CligenDir().string(), "replay"},
        {s.static_ckpt.string(), "static"}}) {
    auto o = s.Options(ckpt, out);
    o.metrics = {"psnr", "fvd", "fvd+15"};
    o.metric_options["fvd"] = {{"detector_file", s.i3d.string()}};
    o.metric_options["fvd+15"] = {{"detector", "r3d18"}, {"detector_file", s.r3d18.string()}};
    const json r = RunEval(o).ToJson();
    ASSERT_EQ(r["summary"]["samples_ok"], 5) << r["samples"].dump();
    const auto& a = r["aggregates"];
    ASSERT_TRUE(a["fvd"]["fvd"].is_number()) << a.dump();
    EXPECT_EQ(a["fvd"]["clips"], 5);
    EXPECT_NE(a["fvd"]["fvd_warning"].get<std::string>().find("5 clips < feature dimension 400"),
              std::string::npos);
    ASSERT_TRUE(a["fvd_r3d18_+15"]["fvd_+15"].is_number()) << a.dump();
    for (const auto& smp : r["samples"]) {
      EXPECT_EQ(smp["scores"]["fvd_clip_frames"].size(), 16u);  // the i3d protocol's clip
      EXPECT_GT(smp["scores"]["fvd_r3d18_+15_frames"].get<int64_t>(), 0);
    }
    // The per-side statistics are in the report, mergeable.
    EXPECT_EQ(r["metric_states"]["fvd"]["gen_sum"].size(), 400u);
    EXPECT_EQ(r["metric_states"]["fvd"]["gt_sxx_upper"].size(), 400u * 401u / 2u);
    std::printf("%s: fvd %.6g, fvd_r3d18_+15 %.6g\n", out.c_str(), a["fvd"]["fvd"].get<double>(),
                a["fvd_r3d18_+15"]["fvd_+15"].get<double>());
    // The report says how the frames were prepared, per detector.
    for (const auto& m : r["config"]["metrics"]) {
      if (m["name"] == "psnr") {
        EXPECT_FALSE(m.contains("preprocessing"));
        continue;
      }
      const json& p = m["preprocessing"];
      for (const char* k :
           {"clip", "input", "resize", "crop", "normalisation", "features", "distance"}) {
        EXPECT_TRUE(p.contains(k)) << m["name"] << " " << k;
      }
      const bool r3d = m["name"] == "fvd_r3d18_+15";
      EXPECT_NE(p["input"].get<std::string>().find(r3d ? "8-bit" : "not rounded"),
                std::string::npos)
          << p;
      EXPECT_NE(p["clip"].get<std::string>().find(r3d ? "round(linspace(0, T-1, 16))" : "first 16"),
                std::string::npos)
          << p;
    }
    EXPECT_GE(a["fvd"]["fvd"].get<double>(), 0.0);  // a distance, clamped at 0
    EXPECT_GE(a["fvd_r3d18_+15"]["fvd_+15"].get<double>(), 0.0);
    if (out == "replay") {
      EXPECT_NEAR(a["fvd"]["fvd"].get<double>(), 0.0, 1e-6);
      EXPECT_NEAR(a["fvd_r3d18_+15"]["fvd_+15"].get<double>(), 0.0, 1e-6);
    } else {
      // The stand-ins' features barely move (replay: |FVD| ~ 1e-9 from round-off), yet the
      // static baseline is orders of magnitude away.
      EXPECT_GT(a["fvd"]["fvd"].get<double>(), 1e-5);
      EXPECT_GT(a["fvd_r3d18_+15"]["fvd_+15"].get<double>(), 1e-3);
    }
  }
}

// --resume with FVD: samples.jsonl keeps each finished sample's two feature vectors (not in the
// report), and a run resumed from 2 of 5 finished samples gives the uninterrupted run's report,
// FVD and the action-window FVD_+15 (with its excluded-sample count) included.
TEST(Fvd, AResumedRunGivesTheUninterruptedRunsFvd) {
  NCB_REQUIRE_SHARED();
  PerceptualSetup s;
  auto o = s.Options(s.static_ckpt.string(), "whole");
  o.align.max_frames = 16;
  o.metrics = {"psnr", "fvd", "fvd+15"};
  o.metric_options["fvd"] = {{"detector_file", s.i3d.string()}};
  o.metric_options["fvd+15"] = {{"detector", "r3d18"}, {"detector_file", s.r3d18.string()}};
  const json whole = RunEval(o).ToJson();
  ASSERT_EQ(whole["summary"]["samples_ok"], 5) << whole["samples"].dump();
  ASSERT_TRUE(whole["aggregates"]["fvd"]["fvd"].is_number()) << whole["aggregates"].dump();
  EXPECT_FALSE(whole["samples"][0].contains("distribution_kept"));  // samples.jsonl only

  const auto out = s.tmp / "resumed";
  fs::create_directories(out);
  {
    std::ifstream in(s.tmp / "whole/samples.jsonl");
    std::ofstream kept(out / "samples.jsonl");
    std::string line;
    for (int i = 0; i < 2 && std::getline(in, line); ++i) {
      const json rec = json::parse(line);
      EXPECT_EQ(rec["distribution_kept"]["fvd"]["gen"].size(), 400u) << line.substr(0, 300);
      EXPECT_EQ(rec["distribution_kept"]["fvd"]["gt"].size(), 400u);
      EXPECT_TRUE(rec["distribution_kept"].contains("fvd_r3d18_+15"))
          << rec["distribution_kept"].dump().substr(0, 300);
      kept << line << "\n";
    }
  }
  o.out_dir = out.string();
  o.resume = true;
  const json r = RunEval(o).ToJson();
  EXPECT_EQ(r["throughput"]["harness"]["samples_resumed"], 2);
  test::ExpectSameRun(whole, r, /*merged=*/false);

  // A kept line without its FVD record is refused, naming the file and the metric.
  {
    std::ifstream in(s.tmp / "whole/samples.jsonl");
    std::string line;
    std::getline(in, line);
    json rec = json::parse(line);
    rec["distribution_kept"].erase("fvd");
    std::ofstream(out / "samples.jsonl") << rec.dump() << "\n";
  }
  try {
    RunEval(o);
    ADD_FAILURE() << "a kept sample without its FVD features was accepted";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("samples.jsonl"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("distribution_kept of fvd"), std::string::npos)
        << e.what();
  }
}

// Without the I3D file the report says FVD is unavailable and why; every other metric is
// computed and the run exits 0.
TEST(Fvd, MissingDetectorIsReportedAndTheRunFinishes) {
  NCB_REQUIRE_SHARED();
  PerceptualSetup s;
  const auto out = s.tmp / "missing";
  const auto r = test::Run(
      test::NcbenchExe().string() + " eval --checkpoint " + s.static_ckpt.string() + " --dataset " +
      s.manifest.string() + " --max-frames 4 --metrics psnr,fvd" +
      " --metric-option fvd.detector_file=" + (s.tmp / "nope/i3d_torchscript.pt").string() +
      " --out " + out.string());
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("unavailable"), std::string::npos) << r.output;
  const auto rep = test::ReadJson(out / "report.json");
  const std::string why = rep["aggregates"]["fvd"]["unavailable"];
  EXPECT_NE(why.find("nope/i3d_torchscript.pt"), std::string::npos) << why;
  EXPECT_NE(why.find("StyleGAN-V"), std::string::npos) << why;
  EXPECT_EQ(rep["summary"]["metrics_unavailable"], 1);
  EXPECT_TRUE(rep["aggregates"]["psnr"]["psnr"].is_number());
  EXPECT_EQ(rep["summary"]["samples_ok"], 5);
}

// `--metrics lpips` with nothing else: the default backbone (SqueezeNet) from the weights
// folder that the set-up fills. Replay scores exactly 0; the static baseline does not.
TEST(Lpips, DefaultBackboneRunsInEval) {
  NCB_REQUIRE_SHARED();
  PerceptualSetup s;
  double static_lpips = 0;
  for (const auto& [ckpt, out] :
       {std::pair<std::string, std::string>{"videos:" + test::CligenDir().string(), "replay"},
        {s.static_ckpt.string(), "static"}}) {
    auto o = s.Options(ckpt, out);
    o.align.max_frames = 2;  // about 2 s per 1600x900 pair on CI's 2 cores
    o.metrics = {"lpips"};
    o.baselines = "none";  // LPIPS on the static baseline too would double this test's time
    const json r = RunEval(o).ToJson();
    ASSERT_EQ(r["summary"]["samples_ok"], 5) << r.dump();
    ASSERT_TRUE(r["aggregates"]["lpips"]["lpips"].is_number()) << r["aggregates"].dump();
    const auto& cfg = r["config"]["metrics"][0];
    EXPECT_EQ(cfg["options"]["net"], "squeeze");
    EXPECT_EQ(cfg["options"]["provenance"]["weights"]["sha256"],
              "7cd946eed7f1fe14bd62e8de052a03eb5a960d7d03fb8a20da8f5d861058ed5f");
    if (out == "replay") {
      EXPECT_EQ(r["aggregates"]["lpips"]["lpips"].get<double>(), 0.0);
    } else {
      static_lpips = r["aggregates"]["lpips"]["lpips"].get<double>();
    }
  }
  EXPECT_GT(static_lpips, 1e-4);  // two frames in, the terminals have barely changed
}

}  // namespace
}  // namespace ncb
