// The recorder: a tape played against a real bash in a pty, captured, rendered, scored.
#include "datasets/record/recorder.h"

#include <fstream>

#include "bench/run/eval_runner.h"
#include "datasets/cast.h"
#include "datasets/manifest.h"
#include "tests/test_util.h"

namespace ncb {
namespace {

TEST(Recorder, RecordsRendersAndReplaysPerfectly) {
  test::TempDir tmp;
  std::ofstream(tmp / "hello.tape") << "# ID: hello\nSet TypingSpeed 20ms\nSleep 100ms\n"
                                       "Type \"echo hello-$((6*7))\"\nEnter\nSleep "
                                       "400ms\nHide\nType \"echo hidden\"\nEnter\nSleep 300ms\n";
  RecordOptions ro;
  ro.rows = 10;
  ro.cols = 40;
  const auto samples = RecordDataset({tmp / "hello.tape"}, tmp / "ds", 15.0, ro, {});
  ASSERT_EQ(samples.size(), 1u);
  const Cast cast = ReadCast(tmp / "ds/casts/hello.cast");
  EXPECT_EQ(cast.width, 40);
  bool input = false;
  std::string output;
  for (const auto& e : cast.events) {
    input |= e.code == "i";
    if (e.code == "o") output += e.data;
  }
  EXPECT_TRUE(input);
  EXPECT_NE(output.find("hello-42"), std::string::npos) << output;
  // Hide ends the visible recording: nothing typed after it is in the cast.
  EXPECT_EQ(output.find("hidden"), std::string::npos) << output;
  // The last frame's true screen text shows the command and its output.
  std::ifstream text(tmp / "ds/text/hello.jsonl");
  std::string line, last;
  while (std::getline(text, line)) last = line;
  const auto j = nlohmann::json::parse(last);
  EXPECT_NE(j["text"].get<std::string>().find("$ echo hello-$((6*7))\nhello-42\n$"),
            std::string::npos)
      << j.dump();
  const auto m = ReadManifest(tmp / "ds/manifest.jsonl");
  ASSERT_TRUE(m.errors.empty());
  EXPECT_EQ(m.samples[0].Caption("regular"),
            "The terminal runs `echo hello-$((6*7))`, and then runs `echo hidden`.");
  // Perfect replay of the rendered frames through the videos adapter.
  EvalOptions o;
  o.checkpoint = "videos:" + (tmp / "ds/frames").string();
  o.manifest = (tmp / "ds/manifest.jsonl").string();
  o.out_dir = (tmp / "out").string();
  const auto r = RunEval(o).ToJson();
  EXPECT_EQ(r["summary"]["samples_ok"], 1) << r["samples"].dump();
  EXPECT_EQ(r["aggregates"]["ssim"]["ssim"].get<double>(), 1.0);
}

}  // namespace
}  // namespace ncb
