// The recorder: a tape played against a real bash in a pty, captured, rendered, scored.
#include "datasets/record/recorder.h"

#include <cmath>
#include <fstream>

#include "bench/run/eval_runner.h"
#include "core/errors.h"
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

// vhs's timing lines: Set Framerate gives the frames' rate where --fps does not, and Set
// PlaybackSpeed 2 makes a recording half as long at the same rate.
TEST(Recorder, FramerateAndPlaybackSpeedAsVhsReadsThem) {
  test::TempDir tmp;
  const std::string body = "Set TypingSpeed 20ms\nType \"echo hi\"\nEnter\nSleep 1s\n";
  std::ofstream(tmp / "normal.tape") << "# ID: normal\nSet Framerate 20\n" << body;
  std::ofstream(tmp / "fast.tape") << "# ID: fast\nSet Framerate 20\nSet PlaybackSpeed 2\n" << body;
  std::ofstream(tmp / "bad.tape") << "# ID: bad\nSet PlaybackSpeed 0\n" << body;
  RecordOptions ro;
  ro.rows = 5;
  ro.cols = 30;
  const auto samples =
      RecordDataset({tmp / "normal.tape", tmp / "fast.tape"}, tmp / "ds", 0, ro, {});
  ASSERT_EQ(samples.size(), 2u);
  const auto frames = [&](const std::string& id) {
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator(tmp / "ds/frames" / id))
      n += e.path().extension() == ".png";
    return n;
  };
  EXPECT_EQ(samples[0].fps, 20.0);
  EXPECT_EQ(samples[1].fps, 20.0);
  // The casts' own lengths (real time) set the expected counts: floor(d x 20) + 1, and at
  // speed 2 floor(d x 10) + 1.
  const double d0 = ReadCast(tmp / "ds/casts/normal.cast").duration;
  const double d1 = ReadCast(tmp / "ds/casts/fast.cast").duration;
  EXPECT_GT(d0, 1.0);
  EXPECT_EQ(frames("normal"), static_cast<int>(std::floor(d0 * 20 + 1e-9)) + 1);
  EXPECT_EQ(frames("fast"), static_cast<int>(std::floor(d1 * 10 + 1e-9)) + 1);
  // --fps wins over the tape's Framerate.
  EXPECT_EQ(RecordDataset({tmp / "normal.tape"}, tmp / "ds15", 15, ro, {})[0].fps, 15.0);
  try {
    RecordDataset({tmp / "bad.tape"}, tmp / "dsbad", 0, ro, {});
    ADD_FAILURE() << "PlaybackSpeed 0 accepted";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "bad.tape: Set PlaybackSpeed '0'; expected a number from 0.1 to 10"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace ncb
