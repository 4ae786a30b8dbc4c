// End to end: `eval --shard i/N` and `ncbench merge` give the report of one process, in
// process and as a Slurm job array with a dependent merge job (bench/slurm) on a real
// single-node Slurm started by the test (bench/slurm/local-cluster.sh).
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "bench/checkpoint/reference_checkpoints.h"
#include "bench/run/eval_runner.h"
#include "bench/run/merge.h"
#include "core/errors.h"
#include "datasets/manifest.h"
#include "datasets/vhs_import.h"
#include "tests/e2e/same_run.h"
#include "tests/test_util.h"

namespace ncb {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// 8 CLIGen (Clean) samples spread over the recordings, an unparsable line among them, a
// static baseline at 320x180 and the FVD stand-in detector (tests/tools/fvd_reference.py).
struct ShardSetup {
  test::TempDir tmp;
  fs::path manifest, ckpt, r3d18;
  ShardSetup() {
    const auto samples = ImportVhsFolder(test::CligenDir(), tmp / "all.jsonl");
    manifest = tmp / "m.jsonl";
    std::ofstream m(manifest);
    for (size_t i = 0; i < 8; ++i) {
      m << SampleToJson(samples[i * 15], tmp.path()).dump() << "\n";
      if (i == 2) m << "{\"id\": \"broken\", \"modality\": \"cli\"\n";
    }
    m.close();
    ckpt = tmp / "static.pt";
    WriteStaticBaseline(test::CliSpec(320, 180, 15, "static"), ckpt);
    r3d18 = tmp / "r3d18_standin.pt";
    const std::string tool =
        "/usr/bin/python3 " + (test::SourceDir() / "tests/tools/fvd_reference.py").string();
    EXPECT_EQ(test::Run(tool + " standin r3d18 " + r3d18.string()).status, 0);
  }
  EvalOptions Options(const std::string& out, int index = 1, int count = 1) const {
    EvalOptions o;
    o.checkpoint = ckpt.string();
    o.manifest = manifest.string();
    o.out_dir = (tmp / out).string();
    o.align.max_frames = 8;
    o.metrics = {"psnr", "ssim", "fvd"};
    o.metric_options["fvd"] = {{"detector", "r3d18"}, {"detector_file", r3d18.string()}};
    o.batch_size = 2;
    o.shard_index = index;
    o.shard_count = count;
    return o;
  }
};

TEST(Shards, FourShardsMergeIntoTheReportOfOneProcess) {
  NCB_REQUIRE_SHARED();
  ShardSetup s;
  const json single = RunEval(s.Options("single")).ToJson();
  ASSERT_EQ(single["summary"]["samples_ok"], 8) << single["samples"].dump().substr(0, 2000);
  ASSERT_EQ(single["summary"]["samples_failed"], 1);
  ASSERT_TRUE(single["aggregates"]["fvd_r3d18"]["fvd"].is_number()) << single["aggregates"].dump();

  MergeOptions mo;
  for (int i = 1; i <= 4; ++i) {
    const json shard = RunEval(s.Options("shard" + std::to_string(i), i, 4)).ToJson();
    EXPECT_EQ(shard["shard"]["index"], i);
    // Round robin over the manifest's samples; the unparsable line goes with shard 1.
    EXPECT_EQ(shard["summary"]["samples_total"], i == 1 ? 3 : 2) << i;
    mo.shards.push_back((s.tmp / ("shard" + std::to_string(i))).string());
  }
  std::reverse(mo.shards.begin(), mo.shards.end());  // any order
  mo.out_dir = (s.tmp / "merged").string();
  const json merged = MergeShards(mo).ToJson();
  test::ExpectSameRun(single, merged);
  EXPECT_EQ(merged, test::ReadJson(s.tmp / "merged/report.json"));
  EXPECT_EQ(merged["throughput"]["rollout"]["frames"], single["throughput"]["rollout"]["frames"]);
  EXPECT_EQ(merged["throughput"]["shards"].size(), 4u);
  // The strips of every shard are beside the merged report.
  for (const auto& smp : merged["samples"]) {
    if (smp["status"] == "ok") {
      EXPECT_TRUE(fs::exists(s.tmp / "merged" / smp["strip"]["file"].get<std::string>()))
          << smp["id"];
    }
  }
}

std::string MergeError(const std::vector<fs::path>& shards, const fs::path& out) {
  MergeOptions mo;
  for (const auto& p : shards) mo.shards.push_back(p.string());
  mo.out_dir = out.string();
  try {
    MergeShards(mo);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Shards, MergeRefusesShardsOfDifferentRunsAndIncompleteSets) {
  NCB_REQUIRE_SHARED();
  ShardSetup s;
  auto quick = [&](const std::string& out, int i, int n, int64_t seed) {
    auto o = s.Options(out, i, n);
    o.metrics = {"psnr"};
    o.metric_options.clear();
    o.align.max_frames = 2;
    o.seed = seed;
    RunEval(o);
    return s.tmp / out;
  };
  const auto a1 = quick("a1", 1, 2, 0), a2 = quick("a2", 2, 2, 0), b2 = quick("b2", 2, 2, 7),
             c3 = quick("c3", 3, 3, 0);
  const auto out = s.tmp / "m";
  EXPECT_EQ(MergeError({a1, a2}, out), "");
  EXPECT_NE(MergeError({a1, b2}, out)
                .find("are shards of different runs: seed is 7 in the first, 0 in the second"),
            std::string::npos)
      << MergeError({a1, b2}, out);
  EXPECT_NE(MergeError({a1}, out).find("shard 2 of 2 is missing"), std::string::npos)
      << MergeError({a1}, out);
  EXPECT_NE(MergeError({a1, a1, a2}, out).find("shard 1 of 2 is given 2 times"), std::string::npos);
  EXPECT_NE(MergeError({a1, c3}, out).find("shard_count is 3"), std::string::npos)
      << MergeError({a1, c3}, out);
  EXPECT_NE(MergeError({s.tmp / "single-missing"}, out).find("cannot open the report"),
            std::string::npos);
  // A report of a run without --shard is not a shard.
  auto whole = s.Options("whole");
  whole.metrics = {"psnr"};
  whole.metric_options.clear();
  whole.align.max_frames = 2;
  RunEval(whole);
  EXPECT_NE(MergeError({s.tmp / "whole"}, out).find("has no field \"shard\""), std::string::npos);
}

// Stops the private cluster whatever the test's outcome.
struct LocalSlurm {
  fs::path dir;
  bool started = false;
  ~LocalSlurm() {
    if (started)
      test::Run((test::SourceDir() / "bench/slurm/local-cluster.sh").string() + " stop " +
                dir.string());
  }
};

TEST(Shards, SlurmJobArrayAndDependentMergeGiveTheReportOfOneProcess) {
  NCB_REQUIRE_SHARED();
  if (test::Run("command -v sbatch && test -x /usr/sbin/slurmctld && test -x /usr/sbin/munged")
          .status != 0) {
    GTEST_SKIP() << "Slurm is not installed (scripts/install-deps.sh installs slurm-wlm)";
  }
  ShardSetup s;
  LocalSlurm slurm{s.tmp / "cluster"};
  const auto up = test::Run((test::SourceDir() / "bench/slurm/local-cluster.sh").string() +
                            " start " + slurm.dir.string());
  ASSERT_EQ(up.status, 0) << up.output;
  slurm.started = true;
  setenv("SLURM_CONF", (slurm.dir / "slurm.conf").c_str(), 1);
  setenv("NCBENCH", test::NcbenchExe().c_str(), 1);

  const fs::path out = s.tmp / "slurm-run";
  const std::string eval_args =
      "--checkpoint " + s.ckpt.string() + " --dataset " + s.manifest.string() +
      " --max-frames 8 --batch-size 2 --metrics psnr,ssim,fvd" +
      " --metric-option fvd.detector=r3d18 --metric-option fvd.detector_file=" + s.r3d18.string();
  const auto sub = test::Run((test::SourceDir() / "bench/slurm/submit.sh").string() +
                             " --shards 4 --out " + out.string() + " -- " + eval_args);
  ASSERT_EQ(sub.status, 0) << sub.output;
  // Wait for the merge job (it runs after all four array tasks).
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(10);
  while (!fs::exists(out / "merged/report.html") && std::chrono::steady_clock::now() < give_up) {
    if (test::Run("squeue -h | wc -l").output == "0\n" && !fs::exists(out / "merged/report.html"))
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  std::string logs;
  for (const auto& e : fs::directory_iterator(out)) {
    if (e.path().filename().string().rfind("slurm-", 0) == 0)
      logs += test::Run("tail -n 5 " + e.path().string()).output;
  }
  ASSERT_TRUE(fs::exists(out / "merged/report.json"))
      << "submit.sh printed: " << sub.output << "\nlogs:\n"
      << logs;
  for (int i = 1; i <= 4; ++i)
    EXPECT_TRUE(fs::exists(out / ("shard-" + std::to_string(i)) / "report.json")) << i;

  const json single = RunEval(s.Options("single")).ToJson();
  test::ExpectSameRun(single, test::ReadJson(out / "merged/report.json"));
}

}  // namespace
}  // namespace ncb
