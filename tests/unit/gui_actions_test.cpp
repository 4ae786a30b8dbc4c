// ncbench.actions/1 (datasets/action_encoding.h): the per-frame action tensor from GUI logs,
// the screen geometry, and the errors for events past the video's end.
#include <torch/types.h>

#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "bench/rollout/rollout.h"
#include "core/errors.h"
#include "datasets/action_encoding.h"
#include "datasets/gui_log.h"
#include "datasets/manifest.h"
#include "datasets/record/gui_script.h"
#include "tests/test_util.h"

namespace ncb {
namespace {

std::filesystem::path Write(const test::TempDir& tmp, const std::string& name,
                            const std::string& text) {
  std::ofstream(tmp / name) << text;
  return tmp / name;
}

EncodeOptions Options(int64_t T, int64_t video_frames) {
  EncodeOptions o;
  o.fps = 15;
  o.video_fps = 15;
  o.num_frames = T;
  o.video_frames = video_frames;
  o.map = ScreenMap::Stretch(1024, 768, 1024, 768);
  return o;
}

float At(const torch::Tensor& a, int64_t k, int dim) { return a[k - 1][dim].item<float>(); }

TEST(ActionEncoding, VocabularyAndAliases) {
  EXPECT_EQ(ActionKeyVocabulary().size(), 79u);
  EXPECT_EQ(ActionDim(), 86);
  EXPECT_EQ(ActionKeyVocabulary()[KeyIndex("a")], "a");
  EXPECT_EQ(KeyIndex("A"), KeyIndex("a"));
  EXPECT_EQ(KeyIndex("Key.enter"), KeyIndex("Return"));
  EXPECT_EQ(KeyIndex("Control_R"), KeyIndex("ctrl"));
  EXPECT_EQ(KeyIndex("Key.shift_r"), KeyIndex("Shift_L"));
  EXPECT_EQ(KeyIndex("!"), KeyIndex("1"));
  EXPECT_EQ(KeyIndex("page_down"), KeyIndex("Next"));
  EXPECT_EQ(ActionKeyVocabulary()[KeyIndex("XF86AudioMute")], "other");
}

TEST(ActionEncoding, PerFrameCsvRowKIsFrameK) {
  test::TempDir tmp;
  // Row k stamped (k+1)/15: row 2 clicks and presses a, row 3 releases a and scrolls.
  const auto p = Write(tmp, "rec.csv",
                       "Timestamp,Timestamp_formatted,X,Y,Left Click,Right Click,Key Events\n"
                       "0.0666667,,1023,767,False,False,[]\n"
                       "0.1333333,,512,384,False,False,[]\n"
                       "0.2,,256,192,True,False,\"[('keydown', 'a')]\"\n"
                       "0.2666667,,256,192,False,False,\"[('keyup', 'a'), ('scroll', 'down:3')]\"\n"
                       "0.3333333,,0,0,False,True,[]\n");
  const auto enc = EncodeGuiActions(ReadGuiLog(p), Options(4, 5));
  ASSERT_EQ(enc.actions.sizes(), (std::vector<int64_t>{4, 86}));
  EXPECT_FLOAT_EQ(At(enc.actions, 1, 0), 0.5f);
  EXPECT_FLOAT_EQ(At(enc.actions, 1, 1), 0.5f);
  EXPECT_FLOAT_EQ(At(enc.actions, 2, 0), 0.25f);
  EXPECT_EQ(At(enc.actions, 2, 2), 1);  // left button in frame 2 only
  EXPECT_EQ(At(enc.actions, 3, 2), 0);
  EXPECT_EQ(At(enc.actions, 4, 3), 1);  // right button in frame 4
  EXPECT_EQ(At(enc.actions, 3, 5), 3);  // three notches down in frame 3
  const int a = 7 + KeyIndex("a");
  EXPECT_EQ(At(enc.actions, 1, a), 0);
  EXPECT_EQ(At(enc.actions, 2, a), 1);  // held from its keydown frame ...
  EXPECT_EQ(At(enc.actions, 3, a), 1);  // ... through its keyup frame
  EXPECT_EQ(At(enc.actions, 4, a), 0);
  ASSERT_EQ(enc.cursor.size(), 5u);
  EXPECT_EQ(enc.cursor[0]->first, 1023);  // frame 0's logged position
  EXPECT_EQ(enc.cursor[4]->first, 0);
}

// A mouse log sampled at its own irregular times (about 13 Hz, as NeuralOS logs it), not one
// row per frame: each position goes to frame round(t x fps - 1) (ties to even, at least 0);
// a frame with two samples takes the later, a frame with none keeps the last one before it.
TEST(ActionEncoding, MouseSampledAtItsOwnTimesMapsByTime) {
  test::TempDir tmp;
  const auto p = Write(tmp, "mouse.json", R"({"metadata": {"fps": 13}, "actions": [
      {"timestamp": 0.000, "action": "mouse_move", "x": 10, "y": 1},
      {"timestamp": 0.071, "action": "mouse_move", "x": 20, "y": 1},
      {"timestamp": 0.149, "action": "mouse_move", "x": 30, "y": 1},
      {"timestamp": 0.226, "action": "mouse_move", "x": 40, "y": 1},
      {"timestamp": 0.301, "action": "mouse_move", "x": 50, "y": 1},
      {"timestamp": 0.383, "action": "mouse_move", "x": 60, "y": 1},
      {"timestamp": 0.455, "action": "mouse_move", "x": 70, "y": 1},
      {"timestamp": 0.540, "action": "mouse_move", "x": 80, "y": 1},
      {"timestamp": 0.610, "action": "mouse_move", "x": 90, "y": 1}]})");
  const auto enc = EncodeGuiActions(ReadGuiLog(p), Options(9, 10));
  // t x 15 - 1: -1, 0.065, 1.235, 2.39, 3.515, 4.745, 5.825, 7.1, 8.15
  const std::vector<double> x = {20, 30, 40, 40, 50, 60, 70, 80, 90};
  ASSERT_EQ(enc.cursor.size(), 10u);
  for (size_t k = 0; k < x.size(); ++k) {
    ASSERT_TRUE(enc.cursor[k]) << "frame " << k;
    EXPECT_EQ(enc.cursor[k]->first, x[k]) << "frame " << k;
  }
  EXPECT_FLOAT_EQ(At(enc.actions, 3, 0), 40.0f / 1024);  // no sample in frame 3: frame 2's
  EXPECT_EQ(enc.events, 9);
}

TEST(ActionEncoding, ActionJsonTypeKeyAndUnknownCursor) {
  test::TempDir tmp;
  const auto p = Write(tmp, "rec.json", R"({"metadata": {"fps": 15}, "actions": [
      {"timestamp": 0.2, "action": "type", "text": "Hi"},
      {"timestamp": 0.2666, "action": "key", "key": "ctrl+c"},
      {"timestamp": 0.3333, "action": "left_click", "x": 100, "y": 50}]})");
  auto o = Options(5, 6);
  o.scale_x = o.scale_y = 2;  // a log written at half the video's size
  const auto enc = EncodeGuiActions(ReadGuiLog(p), o);
  EXPECT_EQ(At(enc.actions, 1, 0), -1);  // no position logged before frame 4
  EXPECT_EQ(At(enc.actions, 3, 1), -1);
  EXPECT_EQ(At(enc.actions, 2, 7 + KeyIndex("h")), 1);
  EXPECT_EQ(At(enc.actions, 2, 7 + KeyIndex("i")), 1);
  EXPECT_EQ(At(enc.actions, 2, 7 + KeyIndex("Shift")), 1);  // the capital H
  EXPECT_EQ(At(enc.actions, 3, 7 + KeyIndex("Control")), 1);
  EXPECT_EQ(At(enc.actions, 3, 7 + KeyIndex("c")), 1);
  EXPECT_EQ(At(enc.actions, 3, 7 + KeyIndex("h")), 0);    // typed keys last one frame
  EXPECT_FLOAT_EQ(At(enc.actions, 4, 0), 200.0f / 1024);  // scaled 2x into video pixels
  EXPECT_EQ(At(enc.actions, 4, 2), 1);
  EXPECT_FLOAT_EQ(At(enc.actions, 5, 1), 100.0f / 768);  // the position persists
  // Of a crop at (20, 10) of the log's screen, then resized 2x: video = (log - offset) * 2.
  o.offset_x = 20;
  o.offset_y = 10;
  const auto crop = EncodeGuiActions(ReadGuiLog(p), o);
  EXPECT_FLOAT_EQ(At(crop.actions, 4, 0), 160.0f / 1024);
  EXPECT_FLOAT_EQ(At(crop.actions, 4, 1), 80.0f / 768);
  EXPECT_EQ(crop.cursor[4]->first, 160);
}

TEST(ActionEncoding, EventsPastTheVideosEndAreAnError) {
  test::TempDir tmp;
  const auto p = Write(tmp, "late.json", R"({"actions": [
      {"timestamp": 0.1, "action": "left_click", "x": 1, "y": 1},
      {"timestamp": 2.0, "action": "left_click", "x": 1, "y": 1}]})");
  try {
    EncodeGuiActions(ReadGuiLog(p), Options(9, 10));
    FAIL() << "no error";
  } catch (const FormatError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("late.json:1: left_click at 2.0"), std::string::npos) << m;
    EXPECT_NE(m.find("past the video's end (10 frames at 15"), std::string::npos) << m;
  }
  // Inside the video but after a --max-frames cut: counted, not encoded, no error.
  const auto q = Write(tmp, "cut.json",
                       R"({"actions": [{"timestamp": 0.6, "action": "scroll", "x": 1, "y": 1}]})");
  const auto enc = EncodeGuiActions(ReadGuiLog(q), Options(3, 10));
  EXPECT_EQ(enc.events_after_t, 1);
  EXPECT_EQ(enc.actions.slice(1, 5, 7).abs().sum().item<float>(), 0);
}

TEST(ActionEncoding, LetterboxGeometry) {
  // 1024x768 into a 256x256 canvas: scale 0.25 to 256x192, 32 px bars above and below.
  const auto m = ScreenMap::Letterbox(1024, 768, 256, 256);
  EXPECT_DOUBLE_EQ(m.sx, 0.25);
  EXPECT_DOUBLE_EQ(m.px, 0);
  EXPECT_DOUBLE_EQ(m.py, 32);
  EXPECT_EQ(m.Map(1024, 768), std::make_pair(256.0, 224.0));
  const auto s = ScreenMap::Stretch(1024, 768, 512, 512);
  EXPECT_EQ(s.Map(512, 384), std::make_pair(256.0, 256.0));
}

// Through PrepareSample: a 64x48 recording letterboxed into a 32x32 model gets black bars of 4
// rows above and below, and its cursor lands where the frame's pixels went.
TEST(ActionEncoding, LetterboxedFramesAndCursorAgree) {
  test::TempDir tmp;
  std::filesystem::create_directories(tmp / "v");
  for (int k = 0; k < 3; ++k) {
    cv::imwrite((tmp / "v" / ("00000" + std::to_string(k) + ".png")).string(),
                cv::Mat(48, 64, CV_8UC3, cv::Scalar(200, 200, 200)));
  }
  std::ofstream(tmp / "v" / "fps.txt") << "15\n";
  Write(tmp, "log.csv",
        "Timestamp,X,Y,Left Click,Right "
        "Click\n0.0666667,0,0,False,False\n0.1333333,32,24,False,False\n"
        "0.2,64,0,True,False\n");
  Write(tmp, "m.jsonl",
        R"({"id": "g", "modality": "gui", "video": "v", "actions": "log.csv"})"
        "\n");
  const auto manifest = ReadManifest(tmp / "m.jsonl");
  ASSERT_EQ(manifest.samples.size(), 1u);
  NcSpec spec;
  spec.name = "m";
  spec.modality = "gui";
  spec.height = spec.width = 32;
  spec.fps = 15;
  spec.action_dim = ActionDim();
  spec.action_encoding = kActionEncoding;
  AlignOptions o;
  o.resize = "letterbox";
  const auto p = PrepareSample(manifest.samples[0], spec, o);
  EXPECT_EQ(p.first_frame.sizes(), (std::vector<int64_t>{3, 32, 32}));
  EXPECT_EQ(p.first_frame.slice(1, 0, 4).abs().sum().item<float>(), 0);    // the top bar
  EXPECT_EQ(p.first_frame.slice(1, 28, 32).abs().sum().item<float>(), 0);  // the bottom bar
  EXPECT_GT(p.first_frame.slice(1, 4, 28).min().item<float>(), 0.7);
  ASSERT_EQ(p.actions.sizes(), (std::vector<int64_t>{2, 86}));
  EXPECT_FLOAT_EQ(p.actions[0][0].item<float>(), 0.5f);  // (32, 24) -> (16, 16)
  EXPECT_FLOAT_EQ(p.actions[0][1].item<float>(), 0.5f);
  EXPECT_FLOAT_EQ(p.actions[1][0].item<float>(), 1.0f);  // (64, 0) -> (32, 4)
  EXPECT_FLOAT_EQ(p.actions[1][1].item<float>(), 4.0f / 32);
  EXPECT_EQ(p.actions[1][2].item<float>(), 1);
  EXPECT_EQ(p.cursor.size(), 3u);
}

TEST(GuiScript, ParsesCommandsAndNamesBadLines) {
  test::TempDir tmp;
  const auto ok =
      Write(tmp, "ok.gui",
            "# comment\nCaption \"A caption, with commas\"\nLaunch xterm -geometry 80x24+0+0\n"
            "Wait 500ms\nMove 10 20 1s\nClick right\nType \"a \\\"b\\\"\"\nScroll down "
            "2\nRandomWalk 2s 7\n");
  const auto s = ReadGuiScript(ok);
  EXPECT_EQ(s.caption, "A caption, with commas");
  ASSERT_EQ(s.commands.size(), 7u);
  EXPECT_EQ(s.commands[0].args, std::vector<std::string>{"xterm -geometry 80x24+0+0"});
  EXPECT_DOUBLE_EQ(s.commands[1].seconds, 0.5);
  EXPECT_EQ(s.commands[4].args[0], "a \"b\"");
  for (const auto& [text, want] : std::vector<std::pair<std::string, std::string>>{
           {"Wait 1s\nJump 3\n", "bad.gui:2: unknown command 'Jump'"},
           {"Move 10 20\n", "bad.gui:1: Move takes 3 argument(s), got 2"},
           {"Move -1 20 1s\n", "bad.gui:1: expected a pixel coordinate"},
           {"Click centre\n", "bad.gui:1: Click 'centre'"},
           {"Type \"open\n", "bad.gui:1: a quoted string is never closed"}}) {
    const auto bad = Write(tmp, "bad.gui", text);
    try {
      ReadGuiScript(bad);
      ADD_FAILURE() << "no error for " << text;
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace ncb
