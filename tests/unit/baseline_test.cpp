// The static baseline and skill (metrics/baselines/static_baseline.h): a checkpoint that copies
// its conditioning frame has skill exactly 0, a replay of the ground truth exactly 1, wrapping
// changes none of the model's numbers, and the baseline's state merges and bootstraps with the
// model's.
#include <torch/types.h>

#include "bench/run/intervals.h"
#include "metrics/baselines/static_baseline.h"
#include "metrics/metric.h"
#include "metrics/pixel/changed_region.h"
#include "tests/test_util.h"

namespace ncb {
namespace {
using nlohmann::json;

struct Clip {
  torch::Tensor first, gt;  // [3,H,W], [T,3,H,W]
};

// A clip whose ground truth drifts away from its first frame.
Clip MakeClip(int seed, int64_t T = 3) {
  torch::manual_seed(seed);
  Clip c;
  c.first = torch::rand({3, 32, 48});
  c.gt = torch::empty({T, 3, 32, 48});
  for (int64_t k = 0; k < T; ++k)
    c.gt[k] = (c.first + 0.05 * static_cast<double>(k + 1) * torch::randn({3, 32, 48})).clamp(0, 1);
  return c;
}

std::unique_ptr<Metric> Baselined(const std::string& name) {
  return WithStaticBaseline(CreateMetric(name), CreateMetric(name));
}

// Scores `gen` against the clip's ground truth one frame at a time; returns EndSample's JSON.
json ScoreClip(Metric* m, const Clip& c, const torch::Tensor& gen,
               std::vector<json>* frames = nullptr) {
  const int64_t T = c.gt.size(0);
  m->BeginSample({"s", T, {}, 15, {}, c.first, {}});
  for (int64_t k = 0; k < T; ++k) {
    auto f = m->ObserveFrames(gen.narrow(0, k, 1), c.gt.narrow(0, k, 1), {k + 1, {}});
    if (frames) frames->push_back(f.at(0));
  }
  return m->EndSample();
}

torch::Tensor Static(const Clip& c) {
  return c.first.unsqueeze(0).expand({c.gt.size(0), -1, -1, -1}).contiguous();
}

TEST(StaticBaseline, CopyingTheFirstFrameHasSkillExactlyZero) {
  for (const std::string name : {"ssim", "psnr"}) {
    auto m = Baselined(name);
    const Clip c = MakeClip(1);
    const json s = ScoreClip(m.get(), c, Static(c));
    const std::string key = m->info().name;
    ASSERT_TRUE(s.contains(key + "_static")) << name << ": " << s.dump();
    EXPECT_EQ(s[key], s[key + "_static"]) << name;
    const std::string derived = key + (name == "psnr" ? "_gain" : "_skill");
    ASSERT_TRUE(s[derived].is_number()) << s.dump();
    EXPECT_EQ(s[derived].get<double>(), 0.0) << name;
    const json a = m->Finalize(m->state());
    EXPECT_EQ(a[derived].get<double>(), 0.0) << name << ": " << a.dump();
  }
}

TEST(StaticBaseline, ReplayOfTheGroundTruthHasSkillExactlyOne) {
  auto m = Baselined("ssim");
  const Clip c = MakeClip(2);
  const json s = ScoreClip(m.get(), c, c.gt);
  EXPECT_EQ(s["ssim"].get<double>(), 1.0);
  EXPECT_LT(s["ssim_static"].get<double>(), 1.0);
  EXPECT_EQ(s["ssim_skill"].get<double>(), 1.0);
  EXPECT_EQ(m->Finalize(m->state())["ssim_skill"].get<double>(), 1.0);
}

TEST(StaticBaseline, ChangesNoneOfTheModelsNumbers) {
  auto plain = CreateMetric("ssim");
  auto wrapped = Baselined("ssim");
  for (int i = 0; i < 3; ++i) {
    const Clip c = MakeClip(10 + i);
    const torch::Tensor gen = (c.gt + 0.02 * torch::randn_like(c.gt)).clamp(0, 1);
    std::vector<json> fp, fw;
    const json a = ScoreClip(plain.get(), c, gen, &fp), b = ScoreClip(wrapped.get(), c, gen, &fw);
    for (const auto& [k, v] : a.items()) EXPECT_EQ(b[k], v) << k;
    ASSERT_EQ(fp.size(), fw.size());
    for (size_t k = 0; k < fp.size(); ++k) {
      EXPECT_EQ(fw[k]["ssim"], fp[k]["ssim"]);
      EXPECT_TRUE(fw[k]["ssim_static"].is_number());  // the baseline's curve
    }
  }
  const json pa = plain->Finalize(plain->state()), wa = wrapped->Finalize(wrapped->state());
  for (const auto& [k, v] : pa.items()) EXPECT_EQ(wa[k], v) << k;
  EXPECT_TRUE(wa.contains("ssim_skill"));
}

TEST(StaticBaseline, SkillOfALowerIsBetterKeyAndUndefinedSkill) {
  const json config = {{"name", "lpips"},
                       {"unit", ""},
                       {"direction", "lower_is_better"},
                       {"outputs", json::array({{{"key", "frames"}, {"kind", "count"}}})}};
  json s = {{"lpips", 0.1}, {"frames", 4}};
  AddSkillScores(&s, {{"lpips", 0.4}, {"frames", 4}}, config);
  EXPECT_DOUBLE_EQ(s["lpips_skill"].get<double>(), 0.75);  // (0.1 - 0.4) / (0 - 0.4)
  EXPECT_FALSE(s.contains("frames_static"));               // counts get no baseline
  json ideal = {{"lpips", 0.1}};
  AddSkillScores(&ideal, {{"lpips", 0.0}}, config);  // nothing to compute: undefined
  EXPECT_TRUE(ideal["lpips_skill"].is_null());
  EXPECT_FALSE(ideal["lpips_skill_null_reason"].get<std::string>().empty());
  json undefined = {{"lpips", nullptr}};
  AddSkillScores(&undefined, {{"lpips", 0.3}}, config);
  EXPECT_TRUE(undefined["lpips_skill"].is_null());
  EXPECT_DOUBLE_EQ(undefined["lpips_static"].get<double>(), 0.3);
}

// A frame where nothing changed yet is identical in the baseline (no finite PSNR): the gain
// pairs frames, so it is left out of both sides, not out of the baseline's mean only.
TEST(StaticBaseline, PsnrGainIsPairedByFrame) {
  Clip c = MakeClip(7, 3);
  c.gt[0] = c.first;  // frame 1: the static copy is exact
  torch::Tensor gen = (c.gt + 0.01 * torch::randn_like(c.gt)).clamp(0, 1);
  gen[0] = (c.gt[0] + 0.001 * torch::randn_like(c.gt[0])).clamp(0, 1);  // the easy frame, ~60 dB
  std::vector<json> frames;
  auto m = Baselined("psnr");
  const json s = ScoreClip(m.get(), c, gen, &frames);
  ASSERT_TRUE(frames[0]["psnr_static"].is_null()) << frames[0].dump();
  const double paired =
      ((frames[1]["psnr"].get<double>() - frames[1]["psnr_static"].get<double>()) +
       (frames[2]["psnr"].get<double>() - frames[2]["psnr_static"].get<double>())) /
      2;
  EXPECT_NEAR(s["psnr_gain"].get<double>(), paired, 1e-9) << s.dump();
  // The difference of means would count the easy frame 1 for the model only.
  EXPECT_GT(s["psnr"].get<double>() - s["psnr_static"].get<double>(), paired + 1.0);
  // Dataset: the mean of the samples' gains, also from a state rebuilt from two samples.
  const Clip d = MakeClip(8, 2);
  const json s2 = ScoreClip(m.get(), d, d.gt * 0.9);
  const json a = m->Finalize(m->state());
  EXPECT_NEAR(a["psnr_gain"].get<double>(),
              (s["psnr_gain"].get<double>() + s2["psnr_gain"].get<double>()) / 2, 1e-9);
  // A clip the baseline reproduces on every frame: no paired frame, a null gain with a reason.
  Clip e = MakeClip(9, 2);
  e.gt[0] = e.first, e.gt[1] = e.first;
  auto n = Baselined("psnr");
  const json s3 = ScoreClip(n.get(), e, (e.gt * 0.9));
  EXPECT_TRUE(s3["psnr_gain"].is_null()) << s3.dump();
  EXPECT_TRUE(s3.contains("psnr_gain_null_reason"));
}

TEST(StaticBaseline, ShardsMergeAndTheBootstrapIsPaired) {
  auto one = Baselined("ssim");
  auto shard_a = Baselined("ssim"), shard_b = Baselined("ssim");
  std::vector<MetricState> per_sample;
  for (int i = 0; i < 8; ++i) {
    const Clip c = MakeClip(20 + i);
    const torch::Tensor gen = (c.gt + 0.03 * torch::randn_like(c.gt)).clamp(0, 1);
    const MetricState before = one->state();
    ScoreClip(one.get(), c, gen);
    per_sample.push_back(StateDifference(one->state(), before));
    ScoreClip((i % 2 ? shard_a : shard_b).get(), c, gen);
  }
  MetricState merged = shard_a->state();
  merged.Merge(shard_b->state());
  const json a = one->Finalize(one->state()), b = one->Finalize(merged);
  EXPECT_NEAR(a["ssim_skill"].get<double>(), b["ssim_skill"].get<double>(), 1e-12);
  json agg = a;
  const json config = {{"name", "ssim"}, {"outputs", DescribeOutputs(*one)}};
  AddBootstrapIntervals(
      &agg, per_sample, [&](const MetricState& st) { return one->Finalize(st); }, {200, 7, 0.95},
      config);
  ASSERT_TRUE(agg["ci95"].contains("ssim_skill")) << agg["ci95"].dump();
  const auto ci = agg["ci95"]["ssim_skill"];
  EXPECT_LE(ci[0].get<double>(), a["ssim_skill"].get<double>());
  EXPECT_GE(ci[1].get<double>(), a["ssim_skill"].get<double>());
  EXPECT_TRUE(agg["ci95"].contains("ssim_static"));
}

TEST(ChangedRegion, MaskIsThresholdedAndDilated) {
  const auto c = torch::zeros({3, 20, 20});
  auto gt = c.clone().unsqueeze(0);
  gt[0][0][5][5] = 0.5;     // changed: one pixel, one channel
  gt[0][1][15][15] = 0.05;  // below the threshold (0.1)
  const auto m = ChangedMask(gt, c);
  EXPECT_EQ(m.sum().item<double>(), 25.0);  // a 5x5 square: radius 2
  EXPECT_EQ(m[0][0][3][3].item<float>(), 1.0f);
  EXPECT_EQ(m[0][0][15][15].item<float>(), 0.0f);
  EXPECT_EQ(ChangedMask(gt, c, {0.01, 0}).sum().item<double>(), 2.0);
}

TEST(ChangedRegion, FramesWithoutChangeAreExcludedAndCountedNotScoredOne) {
  const Clip clip = MakeClip(40, 2);
  auto m = CreateMetric("ssim_changed");
  m->BeginSample({"s", 2, {}, 15, {}, clip.first, {}});
  const auto still = clip.first.unsqueeze(0);
  const auto f = m->ObserveFrames(still, still, {1, {}}).at(0);  // nothing changed yet
  EXPECT_TRUE(f["ssim_changed"].is_null());
  EXPECT_EQ(f["ssim_changed_share"].get<double>(), 0.0);
  const auto g = m->ObserveFrames(clip.gt.narrow(0, 1, 1), clip.gt.narrow(0, 1, 1), {2, {}}).at(0);
  EXPECT_NEAR(g["ssim_changed"].get<double>(), 1.0, 1e-6);  // identical where it changed
  const json s = m->EndSample();
  EXPECT_EQ(s["ssim_changed_frames_unchanged"].get<double>(), 1.0);
  const json a = m->Finalize(m->state());
  EXPECT_EQ(a["ssim_changed_frames_unchanged"].get<double>(), 1.0);
  EXPECT_EQ(a["ssim_changed_frames_scored"].get<double>(), 1.0);
  EXPECT_EQ(a["samples"].get<double>(), 1.0);
}

TEST(ChangedRegion, AStaticCopyScoresLowInTheChangedRegionAndHasSkillZero) {
  auto m = Baselined("psnr_changed");
  const Clip c = MakeClip(41);
  const json s = ScoreClip(m.get(), c, Static(c));
  ASSERT_TRUE(s["psnr_changed"].is_number()) << s.dump();
  EXPECT_EQ(s["psnr_changed_gain"].get<double>(), 0.0);
  EXPECT_FALSE(s.contains("psnr_changed_share_static"));  // data, not a score: no baseline
}

}  // namespace
}  // namespace ncb
