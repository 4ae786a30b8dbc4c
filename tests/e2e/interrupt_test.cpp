// End to end: Ctrl-C stops a run cleanly: what finished is written, the rest is counted, and
// the program exits 130. A run killed outright (SIGKILL) and resumed gives the report of an
// uninterrupted run.
#include "core/interrupt.h"

#include <signal.h>

#include <fstream>
#include <thread>

#include "bench/checkpoint/reference_checkpoints.h"
#include "bench/run/eval_runner.h"
#include "core/child_process.h"
#include "datasets/manifest.h"
#include "datasets/vhs_import.h"
#include "tests/e2e/same_run.h"
#include "tests/test_util.h"

namespace ncb {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// `copies` renamed copies of the first CLIGen (Clean) sample.
fs::path Copies(const test::TempDir& tmp, int copies) {
  const auto samples = ImportVhsFolder(test::CligenDir(), tmp / "all.jsonl");
  const auto out = tmp / "m.jsonl";
  std::ofstream m(out);
  for (int i = 0; i < copies; ++i) {
    Sample s = samples[0];
    s.id += "_copy" + std::to_string(i);
    m << SampleToJson(s, tmp.path()).dump() << "\n";
  }
  return out;
}

int64_t Lines(const fs::path& p) {
  std::ifstream in(p);
  int64_t n = 0;
  for (std::string line; std::getline(in, line);) n += !line.empty();
  return n;
}

TEST(Interrupt, CtrlCWritesWhatFinishedAndExits130) {
  NCB_REQUIRE_SHARED();
  test::TempDir tmp;
  WriteStaticBaseline(test::CliSpec(320, 180, 15, "static"), tmp / "static.pt");
  const auto manifest = Copies(tmp, 60);
  const auto out = tmp / "out";
  ChildProcess run("exec " + test::NcbenchExe().string() + " eval --checkpoint " +
                   (tmp / "static.pt").string() + " --dataset " + manifest.string() +
                   " --max-frames 20 --no-html --quiet --out " + out.string());
  // Interrupt once two samples have finished.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (Lines(out / "samples.jsonl") < 2 && std::chrono::steady_clock::now() < give_up) {
    ASSERT_EQ(run.ExitDescription(0), "") << "ncbench ended before it was interrupted";
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_GE(Lines(out / "samples.jsonl"), 2);
  kill(run.pid(), SIGINT);
  EXPECT_EQ(run.ExitDescription(60), "exited with status 130");
  const json r = test::ReadJson(out / "report.json");
  const json& sum = r["summary"];
  EXPECT_EQ(sum["interrupted"], true);
  const int64_t done = sum["samples_total"].get<int64_t>();
  EXPECT_GE(done, 2);
  EXPECT_EQ(sum["samples_ok"], done);
  EXPECT_EQ(sum["samples_not_run"].get<int64_t>(), 60 - done);
  EXPECT_GT(sum["samples_not_run"].get<int64_t>(), 0);
  EXPECT_EQ(Lines(out / "samples.jsonl"), done);  // every finished sample, none in flight
  EXPECT_EQ(r["aggregates"]["psnr"]["samples"].get<double>(), static_cast<double>(done));
}

TEST(Interrupt, ARunInterruptedBeforeItsFirstSampleReportsNoneRun) {
  NCB_REQUIRE_SHARED();
  test::TempDir tmp;
  WriteStaticBaseline(test::CliSpec(320, 180, 15, "static"), tmp / "static.pt");
  EvalOptions o;
  o.checkpoint = (tmp / "static.pt").string();
  o.manifest = Copies(tmp, 3).string();
  o.out_dir = (tmp / "out").string();
  o.probes = {"arithmetic"};
  SetInterrupted(true);
  const json r = RunEval(o).ToJson();
  SetInterrupted(false);
  EXPECT_EQ(r["summary"]["interrupted"], true);
  EXPECT_EQ(r["summary"]["samples_total"], 0);
  EXPECT_EQ(r["summary"]["samples_not_run"], 3);
  EXPECT_EQ(r["probes"]["arithmetic"]["error"], "not run: the run was interrupted");
  EXPECT_TRUE(fs::exists(tmp / "out/report.json"));
}

TEST(Resume, ARunKilledMidwayAndResumedEqualsAnUninterruptedRun) {
  NCB_REQUIRE_SHARED();
  test::TempDir tmp;
  WriteStaticBaseline(test::CliSpec(320, 180, 15, "static"), tmp / "static.pt");
  // 12 different CLIGen samples (their scores differ), and a line that does not parse.
  const auto samples = ImportVhsFolder(test::CligenDir(), tmp / "all.jsonl");
  const auto manifest = tmp / "m.jsonl";
  {
    std::ofstream m(manifest);
    for (size_t i = 0; i < 12; ++i) {
      m << SampleToJson(samples[i * 10], tmp.path()).dump() << "\n";
      if (i == 4) m << "{\"id\": 5\n";
    }
  }
  const std::string args = " --checkpoint " + (tmp / "static.pt").string() + " --dataset " +
                           manifest.string() +
                           " --metrics psnr,ssim --max-frames 12 --no-html --quiet --out ";
  const auto out = tmp / "out";
  ChildProcess run("exec " + test::NcbenchExe().string() + " eval" + args + out.string());
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (Lines(out / "samples.jsonl") < 4 && std::chrono::steady_clock::now() < give_up) {
    ASSERT_EQ(run.ExitDescription(0), "") << "ncbench ended before it was killed";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(run.pid(), SIGKILL);
  EXPECT_EQ(run.ExitDescription(30), "killed by signal 9");
  const int64_t kept = Lines(out / "samples.jsonl");
  ASSERT_GE(kept, 4);
  ASSERT_LT(kept, 13) << "the run finished before it was killed";
  EXPECT_FALSE(fs::exists(out / "report.json"));
  // A kill can cut the last line short: the resumed run drops such a line.
  { std::ofstream(out / "samples.jsonl", std::ios::app) << "{\"id\": \"half a li"; }

  // Another configuration in the same folder is refused; the same one resumes.
  const auto other =
      test::Run(test::NcbenchExe().string() + " eval" + args + out.string() + " --resume --seed 5");
  EXPECT_EQ(other.status, 2) << other.output;
  EXPECT_NE(
      other.output.find("is a sample of another run (run.seed is 5 now, 0 in the earlier run)"),
      std::string::npos)
      << other.output;
  const auto resumed =
      test::Run(test::NcbenchExe().string() + " eval" + args + out.string() + " --resume");
  EXPECT_EQ(resumed.status, 3) << resumed.output;  // the unparsable manifest line
  const auto whole =
      test::Run(test::NcbenchExe().string() + " eval" + args + (tmp / "whole").string());
  EXPECT_EQ(whole.status, 3) << whole.output;

  const json r = test::ReadJson(out / "report.json");
  // Every ok line of the killed run was kept (the manifest error is not a finished sample).
  EXPECT_GE(r["throughput"]["harness"]["samples_resumed"].get<int64_t>(), kept - 1);
  EXPECT_EQ(r["summary"]["samples_ok"], 12);
  EXPECT_EQ(Lines(out / "samples.jsonl"),
            12);  // the half line is gone; manifest errors have no line
  test::ExpectSameRun(test::ReadJson(tmp / "whole/report.json"), r, /*merged=*/false);
}

}  // namespace
}  // namespace ncb
