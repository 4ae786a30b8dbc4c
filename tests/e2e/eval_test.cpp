// End to end: `eval` over real CLIGen (Clean) data, real videos, real TorchScript files.
#include <torch/cuda.h>
#include <torch/types.h>

#include <algorithm>
#include <fstream>
#include <iomanip>
#include <opencv2/imgcodecs.hpp>

#include "bench/checkpoint/reference_checkpoints.h"
#include "bench/run/eval_runner.h"
#include "datasets/frame_source.h"
#include "datasets/manifest.h"
#include "datasets/vhs_import.h"
#include "metrics/metric.h"
#include "tests/test_util.h"

namespace ncb {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr double kGoldenTol = 1e-4;  // against scikit-image, the bound

// A manifest with the given CLIGen samples.
fs::path CligenManifest(const test::TempDir& tmp, const std::vector<std::string>& ids) {
  const auto all = tmp / "all.jsonl";
  const auto samples = ImportVhsFolder(test::CligenDir(), all);
  const auto out = tmp / "subset.jsonl";
  std::ofstream m(out);
  for (const auto& s : samples) {
    if (std::find(ids.begin(), ids.end(), s.id) != ids.end())
      m << SampleToJson(s, tmp.path()).dump() << "\n";
  }
  return out;
}

// Writes the static baseline for frames of width x height at fps; returns its path.
fs::path StaticBaseline(const test::TempDir& tmp, int width, int height, double fps) {
  WriteStaticBaseline(test::CliSpec(width, height, fps, "static"), tmp / "static.pt");
  return tmp / "static.pt";
}

TEST(Eval, CligenVideosAgainstThemselvesGiveSsimOneAndNullPsnr) {
  NCB_REQUIRE_SHARED();
  test::TempDir tmp;
  ImportVhsFolder(test::CligenDir(), tmp / "cligen.jsonl");
  EvalOptions o;
  o.checkpoint = "videos:" + test::CligenDir().string();
  o.manifest = (tmp / "cligen.jsonl").string();
  o.out_dir = (tmp / "out").string();
  o.align.max_frames = 1;  // every sample, its first frame after the first: CI's time budget
  const json r = RunEval(o).ToJson();
  ASSERT_EQ(r["summary"]["samples_total"], 121);
  EXPECT_EQ(r["summary"]["samples_ok"], 121);
  for (const auto& s : r["samples"]) {
    ASSERT_EQ(s["status"], "ok") << s.dump();
    EXPECT_EQ(s["scores"]["ssim"].get<double>(), 1.0) << s["id"];
    EXPECT_TRUE(s["scores"]["psnr"].is_null()) << s["id"];
    EXPECT_NE(s["scores"]["psnr_null_reason"].get<std::string>().find("MSE = 0"),
              std::string::npos);
  }
  EXPECT_TRUE(r["aggregates"]["psnr"]["psnr"].is_null());
  EXPECT_FALSE(r["aggregates"]["psnr"]["psnr_null_reason"].get<std::string>().empty());
  EXPECT_EQ(r["aggregates"]["ssim"]["ssim"].get<double>(), 1.0);
}

TEST(Eval, DegradedCopyMatchesScikitImage) {
  NCB_REQUIRE_SHARED();
  test::TempDir tmp;
  const std::vector<std::string> ids = {"demo_000003", "demo_000067", "demo_000129"};
  const auto manifest = CligenManifest(tmp, ids);
  constexpr int64_t kFrames = 6;
  // The degraded rollouts: every frame through JPEG quality 30, as PNG sequences at 25 fps.
  for (const auto& id : ids) {
    auto src = OpenFrameSource(test::CligenDir() / (id + ".mp4"));
    fs::create_directories(tmp / ("deg/" + id));
    fs::create_directories(tmp / ("gt/" + id));
    cv::Mat f;
    for (int k = 0; k <= kFrames && src->Read(&f); ++k) {
      std::vector<uchar> buf;
      cv::imencode(".jpg", f, buf, {cv::IMWRITE_JPEG_QUALITY, 30});
      std::ostringstream name;
      name << std::setw(6) << std::setfill('0') << k << ".png";
      cv::imwrite((tmp / ("deg/" + id) / name.str()).string(), cv::imdecode(buf, cv::IMREAD_COLOR));
      cv::imwrite((tmp / ("gt/" + id) / name.str()).string(), f);
    }
    std::ofstream(tmp / ("deg/" + id + "/fps.txt")) << src->fps() << "\n";
  }
  EvalOptions o;
  o.checkpoint = "videos:" + (tmp / "deg").string();
  o.manifest = manifest.string();
  o.out_dir = (tmp / "out").string();
  o.align.max_frames = kFrames;
  const json r = RunEval(o).ToJson();
  ASSERT_EQ(r["summary"]["samples_ok"], 3) << r["samples"].dump();
  json pairs = json::array();
  std::vector<json> ours;
  for (const auto& s : r["samples"]) {
    for (const auto& f : s["frames"]) {
      std::ostringstream name;
      name << std::setw(6) << std::setfill('0') << f["index"].get<int>() << ".png";
      pairs.push_back({(tmp / ("deg/" + s["id"].get<std::string>()) / name.str()).string(),
                       (tmp / ("gt/" + s["id"].get<std::string>()) / name.str()).string()});
      ours.push_back(f);
    }
  }
  ASSERT_EQ(pairs.size(), 3u * kFrames);
  std::ofstream(tmp / "pairs.json") << pairs.dump();
  const auto ref = test::Run("/usr/bin/python3 " +
                             (test::SourceDir() / "tests/tools/skimage_reference.py").string() +
                             " " + (tmp / "pairs.json").string());
  ASSERT_EQ(ref.status, 0) << ref.output;
  const auto want = json::parse(ref.output)["values"];
  for (size_t i = 0; i < ours.size(); ++i) {
    EXPECT_NEAR(ours[i]["ssim"].get<double>(), want[i]["ssim"].get<double>(), kGoldenTol)
        << pairs[i];
    EXPECT_NEAR(ours[i]["psnr"].get<double>(), want[i]["psnr"].get<double>(), kGoldenTol)
        << pairs[i];
  }
}

// A sample of the other modality fails alone, naming the manifest, its line and the field; a
// videos: replay takes footage of either modality.
TEST(Eval, ASampleOfAnotherModalityFailsNamingTheField) {
  NCB_REQUIRE_SHARED();
  test::TempDir tmp;
  const auto cli = CligenManifest(tmp, {"demo_000003", "demo_000010"});
  std::ifstream in(cli);
  std::string first, second;
  std::getline(in, first);
  std::getline(in, second);
  json gui = json::parse(second);
  gui["modality"] = "gui";
  const auto mixed = tmp / "mixed.jsonl";
  std::ofstream(mixed) << first << "\n" << gui.dump() << "\n";
  EvalOptions o;
  o.checkpoint = StaticBaseline(tmp, 160, 96, 15).string();
  o.manifest = mixed.string();
  o.out_dir = (tmp / "out").string();
  o.align.max_frames = 2;
  o.strip_frames = 0;
  const json r = RunEval(o).ToJson();
  EXPECT_EQ(r["summary"]["samples_ok"], 1);
  ASSERT_EQ(r["samples"][1]["status"], "error");
  const std::string err = r["samples"][1]["error"];
  EXPECT_EQ(err.rfind(mixed.string() + ": line 2: field \"modality\" is \"gui\"", 0), 0u) << err;
  EXPECT_NE(err.find("the checkpoint is a \"cli\" model"), std::string::npos) << err;
  o.checkpoint = "videos:" + test::CligenDir().string();
  o.out_dir = (tmp / "replay").string();
  EXPECT_EQ(RunEval(o).summary.samples_ok, 2);
}

// A `videos:` rollout of unpadded frame files (1.png .. 13.png, or 0.png .. 12.png) that copy
// the ground truth is read in frame order, not name order (10.png after 9.png, not after 1.png):
// SSIM 1 and PSNR null, as for the video itself.
TEST(Eval, UnpaddedFrameFoldersAreScoredInFrameOrder) {
  NCB_REQUIRE_SHARED();
  test::TempDir tmp;
  const std::string id = "demo_000003";
  const auto manifest = CligenManifest(tmp, {id});
  constexpr int kFrames = 12;
  for (int first : {1, 0}) {
    SCOPED_TRACE("numbered from " + std::to_string(first));
    const fs::path dir = tmp / ("from" + std::to_string(first));
    fs::create_directories(dir / id);
    auto src = OpenFrameSource(test::CligenDir() / (id + ".mp4"));
    cv::Mat f;
    for (int k = 0; k <= kFrames && src->Read(&f); ++k) {
      cv::imwrite((dir / id / (std::to_string(k + first) + ".png")).string(), f);
    }
    std::ofstream(dir / id / "fps.txt") << src->fps() << "\n";
    EvalOptions o;
    o.checkpoint = "videos:" + dir.string();
    o.manifest = manifest.string();
    o.out_dir = (dir / "out").string();
    o.align.max_frames = kFrames;
    o.strip_frames = 0;
    const json r = RunEval(o).ToJson();
    ASSERT_EQ(r["summary"]["samples_ok"], 1) << r["samples"].dump();
    const json& smp = r["samples"][0];
    ASSERT_EQ(smp["frames"].size(), static_cast<size_t>(kFrames));
    EXPECT_EQ(smp["scores"]["ssim"].get<double>(), 1.0);
    EXPECT_TRUE(smp["scores"]["psnr"].is_null()) << smp["scores"].dump();
  }
}

TEST(Eval, BadInputsFailTheirSampleOnlyAndNameFileAndLine) {
  NCB_REQUIRE_SHARED();
  test::TempDir tmp;
  // A corrupt video: the first third of a real mp4.
  {
    std::ifstream in(test::CligenDir() / "demo_000004.mp4", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(tmp / "corrupt.mp4", std::ios::binary) << bytes.substr(0, bytes.size() / 3);
  }
  // A tape with a malformed line 3.
  std::ofstream(tmp / "bad.tape") << "Sleep 100ms\nType \"ls\"\nWiggle 3\nEnter\n";
  // A cast with a bad line 3 as ground truth.
  std::ofstream(tmp / "bad.cast") << "{\"version\": 2, \"width\": 20, \"height\": 5}\n[0.1, \"o\", "
                                     "\"$ \"]\n[0.2, \"o\"]\n[0.5, \"o\", \"x\"]\n";
  const std::string good = (test::CligenDir() / "demo_000003.mp4").string();
  std::ofstream(tmp / "m.jsonl")
      << json{{"id", "good"},
              {"modality", "cli"},
              {"video", good},
              {"actions", (test::CligenDir() / "demo_000003.tape").string()}}
             .dump()
      << "\n"
      << json{{"id", "corrupt"}, {"modality", "cli"}, {"video", "corrupt.mp4"}}.dump() << "\n"
      << json{{"id", "badtape"}, {"modality", "cli"}, {"video", good}, {"actions", "bad.tape"}}
             .dump()
      << "\n"
      << json{{"id", "badcast"}, {"modality", "cli"}, {"video", "bad.cast"}}.dump() << "\n"
      << "{\"id\": \"broken\", \"modality\": \"cli\"\n"
      << json{{"id", "good2"},
              {"modality", "cli"},
              {"video", (test::CligenDir() / "demo_000006.mp4").string()}}
             .dump()
      << "\n";
  EvalOptions o;
  o.checkpoint = StaticBaseline(tmp, 1600, 900, 25).string();
  o.manifest = (tmp / "m.jsonl").string();
  o.out_dir = (tmp / "out").string();
  o.align.max_frames = 4;
  const json r = RunEval(o).ToJson();
  ASSERT_EQ(r["summary"]["samples_total"], 6);
  EXPECT_EQ(r["summary"]["samples_ok"], 2);
  std::map<std::string, json> by_id;
  for (const auto& s : r["samples"]) by_id[s["id"]] = s;
  EXPECT_EQ(by_id["good"]["status"], "ok");
  EXPECT_EQ(by_id["good2"]["status"], "ok");
  EXPECT_GT(by_id["good"]["scores"]["ssim"].get<double>(), 0.5);
  auto err = [&](const std::string& id) { return by_id[id].value("error", std::string()); };
  EXPECT_NE(err("corrupt").find("corrupt.mp4"), std::string::npos) << err("corrupt");
  EXPECT_NE(err("badtape").find("bad.tape:3: unknown command 'Wiggle'"), std::string::npos)
      << err("badtape");
  EXPECT_NE(err("badcast").find("bad.cast:3: expected an event"), std::string::npos)
      << err("badcast");
  EXPECT_NE(err("line 5").find("m.jsonl:5: not valid JSON"), std::string::npos)
      << r["samples"].dump();
  // The report is in manifest order and the per-sample log holds every finished sample.
  EXPECT_EQ(r["samples"][0]["id"], "good");
  std::ifstream jsonl(tmp / "out/samples.jsonl");
  int lines = 0;
  for (std::string l; std::getline(jsonl, l);) ++lines;
  EXPECT_EQ(lines, 5);  // the manifest error never reached a rollout
  EXPECT_TRUE(fs::exists(tmp / "out/report.json"));
}

TEST(Eval, IdenticalInputsGiveIdenticalReports) {
  NCB_REQUIRE_SHARED();
  test::TempDir tmp;
  const auto manifest = CligenManifest(tmp, {"demo_000003", "demo_000022"});
  EvalOptions o;
  o.checkpoint = StaticBaseline(tmp, 800, 450, 15).string();
  o.manifest = manifest.string();
  o.out_dir = (tmp / "out").string();
  o.align.max_frames = 5;
  o.batch_size = 2;
  json a = RunEval(o).ToJson(), b = RunEval(o).ToJson();
  for (json* r : {&a, &b}) {
    (*r)["context"].erase("time");
    r->erase("throughput");
  }
  EXPECT_EQ(a, b);
  // The ground truth (1600x900 at 25 fps) was aligned to the checkpoint's 800x450 at 15 fps.
  EXPECT_TRUE(a["samples"][0]["ground_truth_resized"].get<bool>());
  EXPECT_EQ(a["config"]["alignment"]["fps"], 15.0);
  for (const auto& k :
       {"time", "host", "git_sha", "build_type", "versions", "device", "command_line", "seed"}) {
    EXPECT_TRUE(b["context"].contains(k) || k == std::string("time")) << k;
  }
  EXPECT_EQ(a["checkpoint"]["sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(a["dataset"]["sha256"].get<std::string>().size(), 64u);
}

TEST(Eval, PythonExportedCheckpointLoadsAndRuns) {
  NCB_REQUIRE_SHARED();
  test::TempDir tmp;
  const auto exp =
      test::Run("/usr/bin/python3 " + (test::SourceDir() / "docs/examples/export_nc.py").string() +
                " --out " + (tmp / "py.pt").string() + " --height 90 --width 160 --fps 25");
  ASSERT_EQ(exp.status, 0) << exp.output;
  const auto manifest = CligenManifest(tmp, {"demo_000003", "demo_000042"});
  for (const auto mode : {RolloutMode::kRollout, RolloutMode::kStep}) {
    EvalOptions o;
    o.checkpoint = "torchscript:" + (tmp / "py.pt").string();
    o.manifest = manifest.string();
    o.out_dir = (tmp / "out").string();
    o.align.max_frames = 5;
    o.mode = mode;
    const json r = RunEval(o).ToJson();
    EXPECT_EQ(r["summary"]["samples_ok"], 2) << r["samples"].dump();
    EXPECT_EQ(r["checkpoint"]["spec"]["name"], "tiny-nc-python");
    EXPECT_EQ(r["samples"][0]["rollout_mode"], mode == RolloutMode::kStep ? "step" : "rollout");
    EXPECT_LT(r["aggregates"]["ssim"]["ssim"].get<double>(), 1.0);
  }
}

TEST(Eval, CliReportsExitCodes) {
  NCB_REQUIRE_SHARED();
  test::TempDir tmp;
  const auto manifest = CligenManifest(tmp, {"demo_000003"});
  auto r = test::Run(test::NcbenchExe().string() + " eval --checkpoint /nonexistent.pt --dataset " +
                     manifest.string() + " --out " + (tmp / "o").string());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("/nonexistent.pt: checkpoint does not exist"), std::string::npos)
      << r.output;
  r = test::Run(test::NcbenchExe().string() + " eval --checkpoint videos:" +
                test::CligenDir().string() + " --dataset " + manifest.string() +
                " --max-frames 2 --metrics psnr,lpipsx --out " + (tmp / "o").string());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("unknown metric 'lpipsx'"), std::string::npos) << r.output;
  if (!torch::cuda::is_available()) {
    r = test::Run(test::NcbenchExe().string() +
                  " eval --device cuda --checkpoint videos:" + test::CligenDir().string() +
                  " --dataset " + manifest.string() + " --out " + (tmp / "o").string());
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.output.find("sees no CUDA device"), std::string::npos) << r.output;
  }
  r = test::Run(test::NcbenchExe().string() +
                " eval --checkpoint videos:" + test::CligenDir().string() + " --dataset " +
                manifest.string() + " --max-frames 2 --out " + (tmp / "o").string());
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("report: "), std::string::npos);
  // Numbers read as people write them: "at 25 fps", never "25.000000".
  EXPECT_NE(r.output.find("x900 at 25 fps"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find(".000000"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("html:   "), std::string::npos);
  // --quiet prints the report's path and nothing else.
  r = test::Run(test::NcbenchExe().string() +
                " eval --quiet --checkpoint videos:" + test::CligenDir().string() + " --dataset " +
                manifest.string() + " --max-frames 2 --out " + (tmp / "q").string());
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, "\nreport: " + (tmp / "q").string() + "/report.json\n");
  EXPECT_TRUE(fs::exists(tmp / "q/report.html"));
}

// `eval --help` lists every metric the registry has, with its variants, and one default mode.
TEST(Eval, HelpListsEveryMetricAndTheDefaultMode) {
  const auto r = test::Run(test::NcbenchExe().string() + " eval --help");
  ASSERT_EQ(r.status, 0) << r.output;
  std::string help = r.output;
  help.erase(std::remove(help.begin(), help.end(), '\n'), help.end());  // CLI11 wraps long lines
  help.erase(
      std::unique(help.begin(), help.end(), [](char a, char b) { return a == ' ' && b == ' '; }),
      help.end());
  for (const auto& name : MetricNames()) {
    EXPECT_NE(help.find(name), std::string::npos) << name;
    if (name != "ocr") {
      EXPECT_NE(help.find(name + "+W"), std::string::npos) << name;
    }
    if (name != "ocr" && name != "cursor") {
      EXPECT_NE(help.find(name + "_all"), std::string::npos) << name;
    }
  }
  EXPECT_NE(help.find("fvd_r3d18"), std::string::npos);
  EXPECT_EQ(help.find("auto |"), std::string::npos) << "a mode the runner does not have";
  EXPECT_NE(help.find("--mode TEXT:{rollout,step}=rollout"), std::string::npos) << help;
}

}  // namespace
}  // namespace ncb
