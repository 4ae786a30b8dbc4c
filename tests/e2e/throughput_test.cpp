// End to end: every report's throughput block, --throughput-only, the decode pipeline, and
// memory that stays bounded as the dataset grows.
#include <torch/version.h>

#include <fstream>
#include <regex>

#include "bench/checkpoint/reference_checkpoints.h"
#include "bench/run/eval_runner.h"
#include "bench/run/throughput_run.h"
#include "core/errors.h"
#include "datasets/manifest.h"
#include "datasets/vhs_import.h"
#include "tests/test_util.h"

namespace ncb {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A manifest of `copies` samples, each a renamed copy of the first `distinct` CLIGen samples.
fs::path Manifest(const test::TempDir& tmp, int distinct, int copies, const std::string& name) {
  const auto samples = ImportVhsFolder(test::CligenDir(), tmp / "all.jsonl");
  const auto out = tmp / name;
  std::ofstream m(out);
  for (int i = 0; i < copies; ++i) {
    Sample s = samples[static_cast<size_t>(i % distinct)];
    s.id += "_copy" + std::to_string(i);
    m << SampleToJson(s, tmp.path()).dump() << "\n";
  }
  return out;
}

fs::path Static(const test::TempDir& tmp, int w, int h) {
  WriteStaticBaseline(test::CliSpec(w, h, 15, "static"), tmp / "static.pt");
  return tmp / "static.pt";
}

void ExpectOrderedPercentiles(const json& l) {
  EXPECT_GT(l["p50_ms"].get<double>(), 0.0) << l.dump();
  EXPECT_LE(l["min_ms"].get<double>(), l["p50_ms"].get<double>());
  EXPECT_LE(l["p50_ms"].get<double>(), l["p95_ms"].get<double>());
  EXPECT_LE(l["p95_ms"].get<double>(), l["p99_ms"].get<double>());
  EXPECT_LE(l["p99_ms"].get<double>(), l["max_ms"].get<double>());
}

TEST(Throughput, EveryReportCarriesTheBlock) {
  NCB_REQUIRE_SHARED();
  test::TempDir tmp;
  EvalOptions o;
  o.checkpoint = Static(tmp, 320, 180).string();
  o.manifest = Manifest(tmp, 2, 2, "m.jsonl").string();
  o.out_dir = (tmp / "step").string();
  o.align.max_frames = 5;
  o.mode = RolloutMode::kStep;
  o.warmup_steps = 2;
  const json r = RunEval(o).ToJson();
  ASSERT_EQ(r["summary"]["samples_ok"], 2) << r["samples"].dump();
  const auto& t = r["throughput"];
  EXPECT_EQ(t["device"]["type"], "cpu");
  EXPECT_FALSE(t["device"]["name"].get<std::string>().empty());
  EXPECT_EQ(t["device"]["libtorch"], TORCH_VERSION);
  EXPECT_GE(t["threads"]["intra_op"].get<int>(), 1);
  for (const char* p : {"checkpoint_load", "ground_truth", "rollout", "metric:psnr", "metric:ssim",
                        "strips", "aggregate", "report_write"}) {
    ASSERT_TRUE(t["phases"].contains(p)) << p << " " << t["phases"].dump();
    EXPECT_GE(t["phases"][p]["wall_s"].get<double>(), 0.0);
  }
  EXPECT_EQ(t["phases"]["metric:ssim"]["frames"], 10);  // 2 samples x 5 frames
  const auto& ro = t["rollout"];
  EXPECT_EQ(ro["mode"], "step");
  EXPECT_EQ(ro["frames"], 10);
  EXPECT_GT(ro["frames_per_s"].get<double>(), 0.0);
  EXPECT_EQ(ro["timer"], "steady_clock");
  EXPECT_EQ(ro["latency"]["unit"], "step");
  EXPECT_EQ(ro["latency"]["warmup_excluded"], 2);
  EXPECT_EQ(ro["latency"]["count"], 8);  // 10 step() calls, the first 2 excluded
  ExpectOrderedPercentiles(ro["latency"]);
  EXPECT_GT(t["memory"]["peak_rss_mib"].get<double>(), 0.0);
  EXPECT_TRUE(t["memory"]["peak_device_mib"].is_null());
  EXPECT_EQ(t["timeline"].size(), 2u);
  const double share = t["harness"]["share_of_wall"].get<double>();
  EXPECT_TRUE(share >= 0.0 && share <= 1.0) << share;
  EXPECT_EQ(r["config"]["warmup_steps"], 2);

  // Rollout mode: one latency per rollout() call, the first excluded.
  o.mode = RolloutMode::kRollout;
  o.out_dir = (tmp / "rollout").string();
  const json rr = RunEval(o).ToJson();
  EXPECT_EQ(rr["throughput"]["rollout"]["latency"]["unit"], "rollout_call");
  EXPECT_EQ(rr["throughput"]["rollout"]["latency"]["warmup_excluded"], 1);
  EXPECT_EQ(rr["throughput"]["rollout"]["latency"]["count"], 1);
}

TEST(Throughput, PipelineChangesNothingButTime) {
  NCB_REQUIRE_SHARED();
  test::TempDir tmp;
  EvalOptions o;
  o.checkpoint = Static(tmp, 320, 180).string();
  o.manifest = Manifest(tmp, 3, 3, "m.jsonl").string();
  o.out_dir = (tmp / "out").string();
  o.align.max_frames = 4;
  o.batch_size = 2;
  json a = RunEval(o).ToJson();
  o.pipeline = false;
  json b = RunEval(o).ToJson();
  EXPECT_NE(a["throughput"]["harness"]["pipeline"], b["throughput"]["harness"]["pipeline"]);
  for (json* r : {&a, &b}) {
    r->erase("throughput");
    (*r)["context"].erase("time");
  }
  EXPECT_EQ(a, b);
}

// PSNR, SSIM and LPIPS score frame k of every sample of a batch in one kernel call: the
// scores are those of one sample at a time (LPIPS's convolutions may round differently with
// another batch size: within 1e-6).
TEST(Throughput, BatchedMetricsScoreAsOneSampleAtATime) {
  NCB_REQUIRE_SHARED();
  test::TempDir tmp;
  EvalOptions o;
  o.checkpoint = Static(tmp, 320, 180).string();
  o.manifest = Manifest(tmp, 3, 3, "m.jsonl").string();
  o.metrics = {"psnr", "ssim", "lpips", "ssim+15"};
  o.align.max_frames = 4;
  o.batch_size = 1;
  o.out_dir = (tmp / "one").string();
  const json one = RunEval(o).ToJson();
  o.batch_size = 3;
  o.metric_batch = 3;  // on the CPU the default is one sample per call
  o.out_dir = (tmp / "three").string();
  const json three = RunEval(o).ToJson();
  EXPECT_EQ(three["throughput"]["harness"]["metric_batch"], 3);
  EXPECT_EQ(three["throughput"]["harness"]["batched_metrics"], json({"psnr", "ssim", "lpips"}));
  EXPECT_EQ(three["config"]["batch_size"], 3);
  ASSERT_EQ(one["summary"]["samples_ok"], 3) << one["samples"].dump();
  ASSERT_EQ(three["summary"]["samples_ok"], 3) << three["samples"].dump();
  for (size_t i = 0; i < 3; ++i) {
    const json& a = one["samples"][i];
    const json& b = three["samples"][i];
    ASSERT_EQ(a["frames"].size(), b["frames"].size());
    for (size_t k = 0; k < a["frames"].size(); ++k) {
      const json& fa = a["frames"][k];
      const json& fb = b["frames"][k];
      EXPECT_EQ(fa["psnr"], fb["psnr"]) << a["id"] << " frame " << k;
      EXPECT_EQ(fa["ssim"], fb["ssim"]) << a["id"] << " frame " << k;
      EXPECT_NEAR(fa["lpips"].get<double>(), fb["lpips"].get<double>(), 1e-6)
          << a["id"] << " frame " << k;
    }
    json sa = a["scores"], sb = b["scores"];
    EXPECT_NEAR(sa["lpips"].get<double>(), sb["lpips"].get<double>(), 1e-6);
    sa.erase("lpips");
    sb.erase("lpips");
    EXPECT_EQ(sa, sb);  // PSNR, SSIM and the +15 windows' SSIM (not batched: per sample)
  }
}

TEST(Throughput, OnlyModeSweepsBatchSizesWithoutGroundTruth) {
  test::TempDir tmp;
  ThroughputOptions o;
  o.checkpoint = Static(tmp, 64, 48).string();
  o.batch_sizes = {1, 3};
  o.frames = 4;
  o.repeats = 2;
  o.out_dir = (tmp / "out").string();
  const json r = RunThroughput(o).ToJson();
  EXPECT_EQ(r["kind"], "throughput");
  EXPECT_TRUE(fs::exists(tmp / "out/report.json"));
  const auto& sweep = r["throughput"]["sweep"];
  ASSERT_EQ(sweep.size(), 4u);  // 2 batch sizes x (rollout, step): the static baseline steps
  for (const auto& row : sweep) {
    ASSERT_FALSE(row.contains("error")) << row.dump();
    EXPECT_GT(row["frames_per_s"].get<double>(), 0.0);
    EXPECT_EQ(row["frames_per_s_runs"].size(), 2u);
    // step: one latency per step() call of the timed rollouts; rollout: one per call.
    EXPECT_EQ(row["latency"]["count"], row["mode"] == "step" ? 2 * 4 : 2) << row.dump();
    ExpectOrderedPercentiles(row["latency"]);
  }
  EXPECT_EQ(r["config"]["inputs"]["first_frame"], "mid-grey (0.5)");
  EXPECT_NE(ThroughputTable(r).find("| 3 | step |"), std::string::npos) << ThroughputTable(r);

  o.batch_sizes = {0};
  EXPECT_THROW(RunThroughput(o), Error);

  // The command: no dataset needed; without --throughput-only, --dataset is.
  const auto cli = test::Run(test::NcbenchExe().string() + " eval --throughput-only --checkpoint " +
                             o.checkpoint + " --out " + (tmp / "cli").string() +
                             " --batch-sizes 1,2 --frames 3 --repeats 1");
  EXPECT_EQ(cli.status, 0) << cli.output;
  EXPECT_NE(cli.output.find("| 2 | rollout |"), std::string::npos) << cli.output;
  // Each batch's line reads "batch 2, rollout: 1234.5 frames/s", not std::to_string's 6 places.
  EXPECT_TRUE(std::regex_search(cli.output, std::regex(R"(batch 2, rollout: \d+\.\d frames/s)")))
      << cli.output;
  const auto view =
      test::Run(test::NcbenchExe().string() + " report " + (tmp / "cli/report.json").string());
  EXPECT_EQ(view.status, 2) << view.output;
  EXPECT_NE(view.output.find("throughput-only"), std::string::npos) << view.output;
  const auto missing = test::Run(test::NcbenchExe().string() + " eval --checkpoint " +
                                 o.checkpoint + " --out " + (tmp / "cli2").string());
  EXPECT_EQ(missing.status, 2) << missing.output;
  EXPECT_NE(missing.output.find("--dataset is required"), std::string::npos) << missing.output;
}

// Streaming: 10x the samples must not grow peak RSS by 10%. Frames of 640x360 are large
// enough that keeping each sample's rollout (60 samples x 3 frames x 2.8 MB) would.
TEST(Throughput, PeakRssStaysFlatWithTenTimesTheSamples) {
  NCB_REQUIRE_SHARED();
  test::TempDir tmp;
  const auto ckpt = Static(tmp, 640, 360).string();
  double rss[2] = {0, 0};
  const int counts[2] = {6, 60};
  for (int i = 0; i < 2; ++i) {
    const auto m = Manifest(tmp, 3, counts[i], "m" + std::to_string(i) + ".jsonl");
    const auto out = tmp / ("out" + std::to_string(i));
    const auto r = test::Run(test::NcbenchExe().string() + " eval --quiet --no-html --checkpoint " +
                             ckpt + " --dataset " + m.string() +
                             " --max-frames 3 --batch-size 2 --out " + out.string());
    ASSERT_EQ(r.status, 0) << r.output;
    const json rep = test::ReadJson(out / "report.json");
    ASSERT_EQ(rep["summary"]["samples_ok"], counts[i]);
    rss[i] = rep["throughput"]["memory"]["peak_rss_mib"].get<double>();
  }
  std::cout << "peak RSS: " << rss[0] << " MiB with 6 samples, " << rss[1] << " MiB with 60\n";
  EXPECT_LT(rss[1], 1.10 * rss[0]);
}

}  // namespace
}  // namespace ncb
