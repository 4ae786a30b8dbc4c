// End to end: Ctrl-C stops a run cleanly: what finished is written, the rest is counted, and
// the program exits 130.
#include <signal.h>

#include <fstream>
#include <thread>

#include "bench/checkpoint/reference_checkpoints.h"
#include "bench/core/child_process.h"
#include "bench/core/interrupt.h"
#include "bench/run/eval_runner.h"
#include "datasets/manifest.h"
#include "datasets/vhs_import.h"
#include "tests/test_util.h"

namespace ncb {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// `copies` renamed copies of the first CLIGen (Clean) sample.
fs::path Copies(const test::TempDir& tmp, int copies) {
  const auto samples = ImportVhsFolder(test::SharedDir() / "data/cligen-clean", tmp / "all.jsonl");
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
  ChildProcess run("exec " + test::NcbenchExe().string() + " eval --checkpoint " + (tmp / "static.pt").string() +
                   " --dataset " + manifest.string() + " --max-frames 20 --no-html --quiet --out " + out.string());
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
  const json r = RunEval(o);
  SetInterrupted(false);
  EXPECT_EQ(r["summary"]["interrupted"], true);
  EXPECT_EQ(r["summary"]["samples_total"], 0);
  EXPECT_EQ(r["summary"]["samples_not_run"], 3);
  EXPECT_EQ(r["probes"]["arithmetic"]["error"], "not run: the run was interrupted");
  EXPECT_TRUE(fs::exists(tmp / "out/report.json"));
}

}  // namespace
}  // namespace ncb
