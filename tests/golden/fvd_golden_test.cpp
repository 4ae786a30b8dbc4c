// The Frechet distance of FVD against SciPy (StyleGAN-V's formula with scipy.linalg.sqrtm,
// tests/tools/fvd_reference.py) on fixed feature sets, and the exactness of merged statistics.
#include <torch/types.h>

#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "core/errors.h"
#include "core/frame.h"
#include "datasets/frame_source.h"
#include "metrics/video/frechet.h"
#include "metrics/video/video_features.h"
#include "tests/test_util.h"

namespace ncb {
namespace {

constexpr double kRelTol = 1e-6;  // the bound against scipy

// Two correlated Gaussian feature sets with different means and covariances.
std::pair<torch::Tensor, torch::Tensor> Features(int64_t na, int64_t nb, int64_t d, int64_t seed) {
  torch::manual_seed(seed);
  const auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  const auto a = torch::randn({na, d}, opts).matmul(torch::randn({d, d}, opts) / std::sqrt(d));
  const auto b =
      torch::randn({nb, d}, opts).matmul(torch::randn({d, d}, opts) / std::sqrt(d)) * 1.3 + 0.2;
  return {a.to(torch::kFloat32).to(torch::kFloat64), b.to(torch::kFloat32).to(torch::kFloat64)};
}

double Ours(const torch::Tensor& a, const torch::Tensor& b) {
  FeatureStats sa(a.size(1)), sb(b.size(1));
  sa.Add(a);
  sb.Add(b);
  return FrechetDistance(sa.Mean(), sa.Covariance(), sb.Mean(), sb.Covariance());
}

double Scipy(const test::TempDir& tmp, const torch::Tensor& a, const torch::Tensor& b) {
  auto rows = [](const torch::Tensor& t) {
    nlohmann::json j = nlohmann::json::array();
    for (int64_t i = 0; i < t.size(0); ++i) {
      const auto r = t[i].contiguous();
      j.push_back(std::vector<double>(r.data_ptr<double>(), r.data_ptr<double>() + r.numel()));
    }
    return j;
  };
  std::ofstream(tmp / "f.json") << nlohmann::json{{"a", rows(a)}, {"b", rows(b)}}.dump();
  const auto r = test::Run("/usr/bin/python3 " +
                           (test::SourceDir() / "tests/tools/fvd_reference.py").string() +
                           " frechet " + (tmp / "f.json").string());
  EXPECT_EQ(r.status, 0) << r.output;
  return nlohmann::json::parse(r.output)["fd"].get<double>();
}

TEST(Golden, FrechetDistanceMatchesScipySqrtm) {
  test::TempDir tmp;
  for (auto [na, nb, d] :
       {std::tuple<int64_t, int64_t, int64_t>{600, 500, 64}, {2000, 1500, 400}, {300, 300, 16}}) {
    const auto [a, b] = Features(na, nb, d, d);
    const double ours = Ours(a, b), ref = Scipy(tmp, a, b);
    EXPECT_NEAR(ours, ref, kRelTol * std::abs(ref)) << na << "x" << d;
    std::printf("frechet n=%lld/%lld d=%lld: ncbench %.12g scipy %.12g rel %.2g\n", (long long)na,
                (long long)nb, (long long)d, ours, ref, std::abs(ours - ref) / std::abs(ref));
  }
  // Identical sets: 0 up to round-off.
  const auto [a, b] = Features(500, 10, 32, 1);
  EXPECT_NEAR(Ours(a, a), 0.0, 1e-9);
}

// Fewer clips than feature dimensions (12 clips, 512-d: the covariances are singular):
// scipy's sqrtm is itself inexact there, and the two agree less closely than above. The
// README states the figure this prints.
TEST(Golden, FrechetDistanceWithFewerClipsThanDimensions) {
  test::TempDir tmp;
  const auto [a, b] = Features(12, 12, 512, 7);
  const double ours = Ours(a, b), ref = Scipy(tmp, a, b);
  std::printf("frechet n=12/12 d=512: ncbench %.12g scipy %.12g rel %.2g\n", ours, ref,
              std::abs(ours - ref) / std::abs(ref));
  EXPECT_NEAR(ours, ref, 1e-5 * std::abs(ref));
}

// FVD of two equal feature sets is 0, never the slightly negative value round-off gives.
TEST(Frechet, EqualSetsGiveZeroNotANegativeDistance) {
  int negative_raw = 0;
  for (int64_t seed = 0; seed < 40; ++seed) {
    const auto [a, unused] = Features(12, 2, 64, seed);
    FeatureStats s(64);
    s.Add(a);
    const double raw = FrechetDistance(s.Mean(), s.Covariance(), s.Mean(), s.Covariance());
    negative_raw += raw < 0;
    // Singular covariances (12 clips, 64-d): the square roots of round-off-sized eigenvalues
    // leave about 1e-5 of a trace of about 64.
    EXPECT_NEAR(raw, 0.0, 1e-4);
    EXPECT_GE(FrechetDistanceOfSets(s, s), 0.0) << seed;
    EXPECT_LE(FrechetDistanceOfSets(s, s), std::max(raw, 0.0)) << seed;
  }
  std::printf("equal sets: %d of 40 raw distances were negative\n", negative_raw);
  EXPECT_GT(negative_raw, 0) << "no case exercises the clamp";
}

TEST(Frechet, ShardStatisticsMergeToTheOnePassResult) {
  const auto [a, b] = Features(900, 700, 48, 5);
  const double whole = Ours(a, b);
  MetricState merged;
  for (int shard = 0; shard < 4; ++shard) {
    MetricState st;
    FeatureStats sa(48), sb(48);
    for (int64_t i = shard; i < a.size(0); i += 4) sa.Add(a.narrow(0, i, 1));
    for (int64_t i = shard; i < b.size(0); i += 4) sb.Add(b.narrow(0, i, 1));
    sa.Store("gen", &st);
    sb.Store("gt", &st);
    // Through JSON, as shard reports carry it: 17 significant digits round-trip exactly.
    const auto again = MetricState::FromJson(nlohmann::json::parse(st.ToJson().dump()));
    EXPECT_EQ(again.arrays, st.arrays);
    EXPECT_EQ(again.sums, st.sums);
    merged.Merge(again);
  }
  const auto ga = FeatureStats::Load("gen", merged), gb = FeatureStats::Load("gt", merged);
  EXPECT_EQ(ga.n(), 900);
  EXPECT_EQ(gb.n(), 700);
  const double m = FrechetDistance(ga.Mean(), ga.Covariance(), gb.Mean(), gb.Covariance());
  // The same sums added in another order: equal to float64 round-off.
  EXPECT_NEAR(m, whole, 1e-12 * std::abs(whole));
  MetricState other;
  other.AddArray("gen_sum", std::vector<double>(3, 1.0));
  EXPECT_THROW(merged.Merge(other), Error);
}

TEST(VideoFeatures, ClipIndicesSubsampleAndPad) {
  EXPECT_EQ(ClipIndices(16, 16, "uniform"),
            (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}));
  // 31 frames: i * 30 / 15 = 2i exactly.
  const auto u = ClipIndices(31, 16, "uniform");
  for (int64_t i = 0; i < 16; ++i) EXPECT_EQ(u[i], 2 * i);
  // 21 frames: i * 20 / 15; 7.5 -> 8 (i = 6? 6*4/3 = 8 exactly), 2.5 -> 2 is not hit; check ends
  // and order.
  const auto v = ClipIndices(21, 16, "uniform");
  EXPECT_EQ(v.front(), 0);
  EXPECT_EQ(v.back(), 20);
  EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
  EXPECT_EQ(ClipIndices(5, 8, "uniform"), (std::vector<int64_t>{0, 1, 2, 3, 4, 4, 4, 4}));
  EXPECT_EQ(ClipIndices(40, 4, "first"), (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(ClipIndices(2, 4, "first"), (std::vector<int64_t>{0, 1, 1, 1}));
  EXPECT_TRUE(ClipIndices(0, 16, "uniform").empty());
}

// The detectors' inputs as their protocols' own code makes them, on a real CLIGen frame:
// common_metrics_on_video_quality's preprocess_single for i3d, torchvision's Kinetics preset
// for r3d18 (tests/tools/fvd_reference.py prepare).
TEST(Golden, FvdPreprocessingMatchesTheProtocolsOwnCode) {
  NCB_REQUIRE_SHARED();
  test::TempDir tmp;
  auto src = OpenFrameSource(test::SharedDir() / "data/cligen-clean/demo_000042.mp4");
  cv::Mat frame;
  for (int i = 0; i < 30 && src->Read(&frame); ++i) {
  }
  cv::imwrite((tmp / "f.png").string(), frame);
  const auto t = MatToFrame(frame);
  // The real r3d_18 architecture (random weights: the Kinetics ones need a download), exported
  // by the script users run.
  const auto r3d = tmp / "r3d18.pt";
  const auto ex = test::Run("/usr/bin/python3 " +
                            (test::SourceDir() / "docs/examples/export_r3d18.py").string() + " " +
                            r3d.string() + " --random-weights");
  ASSERT_EQ(ex.status, 0) << ex.output;
  for (const std::string protocol : {"i3d", "r3d18"}) {
    const auto r = test::Run("/usr/bin/python3 " +
                             (test::SourceDir() / "tests/tools/fvd_reference.py").string() +
                             " prepare " + protocol + " " + (tmp / "f.png").string());
    ASSERT_EQ(r.status, 0) << r.output.substr(0, 2000);
    const auto ref = nlohmann::json::parse(r.output);
    const auto want = torch::tensor(ref["values"].get<std::vector<float>>())
                          .view(ref["shape"].get<std::vector<int64_t>>());
    const auto got = VideoFeatureExtractor::Prepare(FeatureProtocol(protocol), t);
    ASSERT_EQ(got.sizes(), want.sizes()) << protocol;
    const double worst = (got - want).abs().max().item<double>();
    EXPECT_LT(worst, 1e-5) << protocol;
    std::printf("%s input from a 1600x900 CLIGen frame: worst |ncbench - reference| = %.3g\n",
                protocol.c_str(), worst);
    if (protocol ==
        "r3d18") {  // the exported r3d_18 takes ncbench's clips: [1, 3, 16, 112, 112] -> [1, 512]
      VideoFeatureExtractor x(protocol, r3d);
      const auto f =
          x.Features(got.unsqueeze(1).expand({3, 16, 112, 112}).unsqueeze(0).contiguous());
      EXPECT_EQ(f.sizes(), (std::vector<int64_t>{1, 512}));
      EXPECT_TRUE(torch::isfinite(f).all().item<bool>());
    }
  }
}

}  // namespace
}  // namespace ncb
