// The +15 action-window selection (metrics/selection/frame_selection.h), on hand-worked
// examples, and the wrapper any metric takes.
#include <torch/types.h>

#include "core/errors.h"
#include "core/frame.h"
#include "metrics/metric.h"
#include "metrics/selection/frame_selection.h"
#include "tests/test_util.h"

namespace ncb {
namespace {

std::vector<int64_t> Range(int64_t a, int64_t b) {
  std::vector<int64_t> r;
  for (int64_t k = a; k <= b; ++k) r.push_back(k);
  return r;
}

TEST(ActionWindow, OneEventSkipsItsFrameAndTakesTheNextFifteen) {
  // tau = 1 s at 15 fps: round(15) = 15; with the released loader's offset -1, f = 14: 15..29.
  EXPECT_EQ(ActionWindowFrames({1.0}, 15, 100, 15, -1), Range(15, 29));
  // Offset 0 (the paper's text): f = 15, frames 16..30.
  EXPECT_EQ(ActionWindowFrames({1.0}, 15, 100, 15, 0), Range(16, 30));
  // A window of 1.
  EXPECT_EQ(ActionWindowFrames({1.0}, 15, 100, 1, 0), Range(16, 16));
}

TEST(ActionWindow, RoundsHalfToEvenAsPythonWithTheOffsetInside) {
  // tau * fps = 2.5 -> 2 and 3.5 -> 4 (Python's round), offset 0, window 2.
  EXPECT_EQ(ActionWindowFrames({1.25}, 2, 100, 2, 0), Range(3, 4));
  EXPECT_EQ(ActionWindowFrames({1.75}, 2, 100, 2, 0), Range(5, 6));
  // The released loader rounds t * fps - 1: 2.5 - 1 = 1.5 -> 2, not round(2.5) - 1 = 1.
  EXPECT_EQ(ActionWindowFrames({1.25}, 2, 100, 2, -1), Range(3, 4));
  // 3.5 - 1 = 2.5 -> 2 (round(3.5) - 1 would be 3).
  EXPECT_EQ(ActionWindowFrames({1.75}, 2, 100, 2, -1), Range(3, 4));
}

TEST(ActionWindow, ClipsToTheComparedFrames) {
  // Near the end: fps 10, tau 9 s, offset -1: f = 89, 90..104 clipped to T = 95.
  EXPECT_EQ(ActionWindowFrames({9.0}, 10, 95, 15, -1), Range(90, 95));
  // At the start: tau 0, offset -1: round(-1) = -1 is clamped to frame 0 (as the released
  // loader clamps to its first row), so 1..15.
  EXPECT_EQ(ActionWindowFrames({0.0}, 10, 95, 15, -1), Range(1, 15));
  // Past the clip: f is clamped to T = 95, and its window lies past the end: nothing.
  EXPECT_TRUE(ActionWindowFrames({20.0}, 10, 95, 15, -1).empty());
  // The last frame itself: f = 94, window 95 only.
  EXPECT_EQ(ActionWindowFrames({9.5}, 10, 95, 15, -1), Range(95, 95));
  EXPECT_TRUE(ActionWindowFrames({}, 10, 95, 15, -1).empty());
}

TEST(ActionWindow, UnionOverEventsIsDeduplicatedAndChronological) {
  // fps 10, offset 0, window 5: 1.2 s -> 13..17, 1.0 s -> 11..15, 4.0 s -> 41..45.
  auto want = Range(11, 17);
  for (int64_t k : Range(41, 45)) want.push_back(k);
  EXPECT_EQ(ActionWindowFrames({1.2, 1.0, 4.0}, 10, 100, 5, 0), want);
}

// ssim+W sees exactly the selected frames: its sample score is the mean SSIM over them, a
// clip without a window is excluded and counted, and the keys carry the suffix.
TEST(ActionWindow, WrapperScoresOnlyTheSelectedFramesAndExcludesClipsWithoutWindow) {
  torch::manual_seed(3);
  const int64_t T = 10;
  const auto gt = torch::rand({T, 3, 32, 32});
  const auto gen = (gt + 0.1 * torch::randn_like(gt)).clamp(0, 1);
  auto plain = CreateMetric("ssim");
  plain->BeginSample({"a", T, {}, 10, {}, {}, {}});
  const auto per_frame = plain->ObserveFrames(gen, gt, {1, {}});
  plain->EndSample();

  auto m = CreateMetric("ssim+3", {{"window_offset", 0}});
  EXPECT_EQ(m->info().name, "ssim_+3_offset0");
  // Event at 0.2 s, 10 fps, offset 0: f = 2, frames 3..5.
  m->BeginSample({"a", T, {0.2}, 10, {}, {}, {}});
  std::vector<nlohmann::json> frames;
  for (int64_t k = 1; k <= T; k += 4) {  // frames arrive in chunks, as batches do
    const int64_t n = std::min<int64_t>(4, T - k + 1);
    for (auto& f : m->ObserveFrames(gen.narrow(0, k - 1, n), gt.narrow(0, k - 1, n), {k, {}}))
      frames.push_back(f);
  }
  const auto s = m->EndSample();
  ASSERT_EQ(frames.size(), 10u);
  double want = 0;
  for (int64_t k = 3; k <= 5; ++k) {
    EXPECT_NEAR(frames[k - 1]["ssim_+3_offset0"].get<double>(),
                per_frame[k - 1]["ssim"].get<double>(), 1e-12);
    want += per_frame[k - 1]["ssim"].get<double>() / 3;
  }
  EXPECT_TRUE(frames[0].empty());
  EXPECT_TRUE(frames[5].empty());
  EXPECT_NEAR(s["ssim_+3_offset0"].get<double>(), want, 1e-12);
  EXPECT_EQ(s["ssim_+3_offset0_frames"], 3);
  // A clip whose only event lies past its end.
  m->BeginSample({"b", T, {5.0}, 10, {}, {}, {}});
  m->ObserveFrames(gen, gt, {1, {}});
  const auto excluded = m->EndSample();
  EXPECT_TRUE(excluded.contains("ssim_+3_offset0_excluded"));
  const auto a = m->Finalize(m->state());
  EXPECT_EQ(a["samples"].get<double>(), 1.0);
  EXPECT_EQ(a["samples_excluded"].get<double>(), 1.0);
  EXPECT_NEAR(a["ssim_+3_offset0"].get<double>(), want, 1e-12);
  EXPECT_TRUE(a.contains("ssim_+3_offset0_frame_mean"));
}

TEST(ActionWindow, BadSpecsAreRefused) {
  EXPECT_THROW(CreateMetric("ssim+"), Error);
  EXPECT_THROW(CreateMetric("ssim+x"), Error);
  EXPECT_THROW(CreateMetric("ssim+0"), Error);
  EXPECT_THROW(CreateMetric("ocr+15"), Error);
  EXPECT_THROW(CreateMetric("nope+15"), Error);
}

// The GUIWorld decode: 3 fps of a 15 fps rollout is every 5th frame, at most 5 s.
TEST(Decode, FramesAtTheDecodeRateUpToTheLimit) {
  EXPECT_EQ(DecodeFrames(15, 100, {}),
            (std::vector<int64_t>{5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75}));
  EXPECT_EQ(DecodeFrames(15, 12, {}), (std::vector<int64_t>{5, 10}));
  EXPECT_EQ(DecodeFrames(10, 10, {3, 256, 5}),
            (std::vector<int64_t>{3, 6, 10}));  // floor(j * 10 / 3)
  EXPECT_EQ(DecodeFrames(2, 10, {3, 0, 5}),
            (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));  // no repeats
}

// ssim_all scores the decoded frames at the decoded size: the same as SSIM on those frames,
// resized by hand; the keys and the name say "_all".
TEST(Decode, SsimAllIsSsimOnTheDecodedResizedFrames) {
  torch::manual_seed(4);
  const int64_t T = 12;
  const auto gt = torch::rand({T, 3, 48, 64});
  const auto gen = (gt + 0.1 * torch::randn_like(gt)).clamp(0, 1);
  auto m = CreateMetric("ssim_all", {{"decode_size", 24}});
  EXPECT_EQ(m->info().name, "ssim_all_3fps_24px_5s");
  EXPECT_EQ(m->options()["decode"]["size"], 24);
  m->BeginSample({"a", T, {}, 15, {}, {}, {}});
  const auto frames = m->ObserveFrames(gen, gt, {1, {}});
  const auto s = m->EndSample();
  auto plain = CreateMetric("ssim");
  plain->BeginSample({"a", 2, {}, 15, {}, {}, {}});
  for (int64_t k : {5, 10}) {
    const auto g = ResizeFrame(gen[k - 1], 24, 32).unsqueeze(0),
               t = ResizeFrame(gt[k - 1], 24, 32).unsqueeze(0);
    const auto want = plain->ObserveFrames(g, t, {1, {}})[0]["ssim"].get<double>();
    EXPECT_NEAR(frames[static_cast<size_t>(k - 1)]["ssim_all_3fps_24px_5s"].get<double>(), want,
                1e-12);
  }
  EXPECT_TRUE(frames[0].empty());
  EXPECT_EQ(s["ssim_all_3fps_24px_5s_frames"], 2);
  EXPECT_EQ(CreateMetric("ssim_all")->info().name, "ssim_all");
  EXPECT_THROW(CreateMetric("ocr_all"), Error);
  EXPECT_THROW(CreateMetric("ssim_all", {{"decode_fps", 0}}), Error);
}

}  // namespace
}  // namespace ncb
