// Metric semantics: identity, undefined values, option validation, and that merging the
// states of shards equals one pass.
#include <torch/cuda.h>
#include <torch/types.h>

#include "core/errors.h"
#include "core/recent_memo.h"
#include "metrics/metric.h"
#include "metrics/pixel/psnr.h"
#include "metrics/pixel/ssim.h"
#include "tests/test_util.h"

namespace ncb {
namespace {

constexpr double kTol = 1e-12;  // the same sums in another order

torch::Tensor Frames(int64_t n, int seed) {
  torch::manual_seed(seed);
  return torch::rand({n, 3, 32, 48});
}

TEST(Ssim, IdentityIsExactlyOne) {
  auto x = Frames(2, 1);
  auto s = Ssim(x, x);
  EXPECT_EQ(s[0].item<double>(), 1.0);
  EXPECT_EQ(s[1].item<double>(), 1.0);
}

TEST(Ssim, Float32AgreesWithFloat64) {
  auto x = Frames(1, 1), y = (x + 0.1 * torch::randn_like(x)).clamp(0, 1);
  SsimOptions f64;
  f64.float64 = true;
  EXPECT_NEAR(Ssim(x, y).item<double>(), Ssim(x, y, f64).item<double>(), 1e-5);
}

// Pairs that differ in a small box only are scored on the box grown by the window: the same
// number as the whole map's mean, on both filtering paths, at the box's every position.
TEST(Ssim, SmallDifferencesGiveTheWholeMapsMean) {
  torch::manual_seed(5);
  const auto x = torch::rand({1, 3, 80, 120});
  for (const auto& [r0, c0] :
       std::vector<std::pair<int64_t, int64_t>>{{0, 0}, {40, 60}, {75, 115}, {3, 100}}) {
    auto y = x.clone();
    y.narrow(2, r0, 4).narrow(3, c0, 5).uniform_();  // a glyph's worth of change
    for (bool conv2d : {false, true}) {
      SsimOptions o;
      o.conv2d_on_cpu = conv2d;
      const double whole = SsimChannelMap(x, y, o).to(torch::kFloat64).mean().item<double>();
      EXPECT_NEAR(Ssim(x, y, o).item<double>(), whole, 1e-13) << r0 << "," << c0;
      EXPECT_LT(whole, 1.0);
    }
  }
  // A pair that differs everywhere: each frame's moments are kept, and scoring the same frame
  // again (the ground truth by the model and its baseline) gives the same number.
  const auto noisy = (x + 0.1 * torch::randn_like(x)).clamp(0, 1);
  const double whole = SsimChannelMap(noisy, x).to(torch::kFloat64).mean().item<double>();
  EXPECT_NEAR(Ssim(noisy, x).item<double>(), whole, 1e-13);
  EXPECT_NEAR(Ssim(noisy, x).item<double>(), whole, 1e-13);
  const auto other = (x + 0.05 * torch::randn_like(x)).clamp(0, 1);
  EXPECT_NEAR(Ssim(other, x).item<double>(),
              SsimChannelMap(other, x).to(torch::kFloat64).mean().item<double>(), 1e-13);
  auto written = noisy.clone();
  const double before = Ssim(written, x).item<double>();
  written.mul_(0.5);  // written over in place: not the frame whose moments were kept
  EXPECT_NE(Ssim(written, x).item<double>(), before);
  EXPECT_NEAR(Ssim(written, x).item<double>(),
              SsimChannelMap(written, x).to(torch::kFloat64).mean().item<double>(), 1e-13);
  const auto batch = torch::cat({x, (x + 0.1).clamp(0, 1)});  // one small, one full difference
  const auto ref = torch::cat({x, x});
  const auto s = Ssim(batch, ref);
  EXPECT_EQ(s[0].item<double>(), 1.0);
  EXPECT_NEAR(s[1].item<double>(),
              SsimChannelMap(batch.narrow(0, 1, 1), x).to(torch::kFloat64).mean().item<double>(),
              1e-13);
}

TEST(Ssim, RejectsFramesSmallerThanTheWindow) {
  auto x = torch::rand({1, 3, 8, 8});
  EXPECT_THROW(Ssim(x, x), Error);
}

// The memo in front of SSIM's moments, LPIPS's features and the cursor's searches: a frame
// is found again by identity (not after an in-place write) or by pixels, per tag, and the
// least recently used entry goes first.
TEST(RecentMemo, IdentityPixelsTagsAndCapacity) {
  TensorMemo<int> by_id(2);
  auto a = torch::zeros({3, 4, 4}), b = torch::zeros({3, 4, 4});
  int made = 0;
  const auto make = [&] { return ++made; };
  EXPECT_EQ(by_id.Get(a, make), 1);
  EXPECT_EQ(by_id.Get(a, make), 1);
  EXPECT_EQ(by_id.Get(b, make), 2) << "equal values, another tensor";
  EXPECT_EQ(by_id.Get(a, make, "other"), 3) << "another tag";
  EXPECT_FALSE(by_id.Find(a)) << "the least recently used went first";
  EXPECT_TRUE(by_id.Find(b));
  EXPECT_TRUE(by_id.Find(a, "other"));
  EXPECT_FALSE(by_id.Find(a.view({3, 16}), "other")) << "another view";
  a.add_(1);
  EXPECT_FALSE(by_id.Find(a, "other")) << "written in place since";

  RecentMemo<PixelContent, int> by_pixels(2);
  cv::Mat p(4, 4, CV_8UC3, cv::Scalar(1, 2, 3)), q = p.clone(), r = p.clone();
  r.at<cv::Vec3b>(3, 3)[2] = 4;
  EXPECT_EQ(by_pixels.Get(p, make), 4);
  EXPECT_EQ(by_pixels.Get(q, make), 4) << "the same pixels in another image";
  EXPECT_EQ(by_pixels.Get(r, make), 5) << "one byte differs";
  EXPECT_EQ(by_pixels.Get(p(cv::Rect(0, 0, 2, 2)), make), 6) << "a part is another image";
  EXPECT_FALSE(by_pixels.Find(q));
  const cv::Mat r_before = r.clone();
  r.setTo(cv::Scalar(0, 0, 0));  // the kept key is a copy: the caller's buffer may change
  EXPECT_FALSE(by_pixels.Find(r));
  EXPECT_TRUE(by_pixels.Find(r_before));
}

TEST(Psnr, KnownValueAndIdentity) {
  // A uniform error of 0.1 on [0,1] data: MSE 0.01 -> 20 dB.
  auto x = torch::zeros({1, 3, 4, 4}), y = torch::full({1, 3, 4, 4}, 0.1);
  const double sse = SquaredErrorSum(x, y).item<double>();
  // float32 holds 0.1 as 0.100000001, hence 1e-6 dB rather than exact.
  EXPECT_NEAR(*PsnrFromSse(sse, 48, 1.0), 20.0, 1e-6);
  EXPECT_FALSE(PsnrFromSse(0.0, 48, 1.0).has_value());
}

TEST(Psnr, IdenticalFramesAreNullWithReason) {
  auto m = CreateMetric("psnr");
  auto x = Frames(1, 3);
  m->BeginSample({"s", 1, {}, 25, {}, {}, {}});
  auto f = m->ObserveFrames(x, x, {});
  EXPECT_TRUE(f[0]["psnr"].is_null());
  EXPECT_NE(f[0]["psnr_null_reason"].get<std::string>().find("MSE = 0"), std::string::npos);
  auto s = m->EndSample();
  EXPECT_TRUE(s["psnr"].is_null());
  auto a = m->Finalize(m->state());
  EXPECT_TRUE(a["psnr_pooled"].is_null());
  EXPECT_EQ(a["frames_identical"].get<double>(), 1.0);
}

// Runs `samples` (pairs of clips) through one metric instance.
MetricState OnePass(const std::string& name,
                    const std::vector<std::pair<torch::Tensor, torch::Tensor>>& samples) {
  auto m = CreateMetric(name);
  for (const auto& [g, t] : samples) {
    m->BeginSample({"s", g.size(0), {}, 25, {}, {}, {}});
    for (int64_t k = 0; k < g.size(0); ++k)
      m->ObserveFrames(g.narrow(0, k, 1), t.narrow(0, k, 1), {k + 1, {}});
    m->EndSample();
  }
  return m->state();
}

TEST(MetricState, ShardMergeEqualsOnePass) {
  std::vector<std::pair<torch::Tensor, torch::Tensor>> samples;
  for (int i = 0; i < 6; ++i) {
    auto g = Frames(2 + i % 3, 10 + i);
    samples.emplace_back(g, (g + 0.05 * torch::randn_like(g)).clamp(0, 1));
  }
  for (const std::string name : {"psnr", "ssim"}) {
    const auto whole = OnePass(name, samples);
    MetricState merged;
    for (int shard = 0; shard < 3; ++shard) {
      std::vector<std::pair<torch::Tensor, torch::Tensor>> part;
      for (size_t i = shard; i < samples.size(); i += 3) part.push_back(samples[i]);
      // Through JSON, as shard files carry it.
      merged.Merge(
          MetricState::FromJson(nlohmann::json::parse(OnePass(name, part).ToJson().dump())));
    }
    auto m = CreateMetric(name);
    const auto a = m->Finalize(whole), b = m->Finalize(merged);
    for (const auto& [k, v] : a.items()) {
      if (v.is_number()) {
        EXPECT_NEAR(v.get<double>(), b[k].get<double>(), kTol) << name << "." << k;
      }
    }
  }
}

TEST(Gpu, CudaAgreesWithCpu) {
  if (!torch::cuda::is_available())
    GTEST_SKIP() << "no CUDA device: this LibTorch or machine has none";
  auto x = Frames(2, 5), y = (x + 0.05 * torch::randn_like(x)).clamp(0, 1);
  const auto xc = x.to(torch::kCUDA), yc = y.to(torch::kCUDA);
  const auto cpu = Ssim(x, y), gpu = Ssim(xc, yc).cpu();
  EXPECT_TRUE(torch::allclose(cpu, gpu, 0, 1e-5)) << cpu << gpu;
  EXPECT_TRUE(torch::allclose(SquaredErrorSum(x, y), SquaredErrorSum(xc, yc).cpu(), 1e-9, 0));
}

TEST(Registry, UnknownMetricAndBadOptions) {
  try {
    CreateMetric("fvd2");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("available: cursor, fvd, lpips, lpips_changed, ocr, psnr, "
                                         "psnr_changed, ssim, ssim_changed"),
              std::string::npos)
        << e.what();
  }
  try {
    CreateMetric("psnr", {{"range", 1.0}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown option 'range'; known: data_range"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(CreateMetric("ssim", {{"data_range", -1}}), Error);
  EXPECT_THROW(CreateMetric("psnr", {{"data_range", 0}}), Error);
  // Non-default options change the score name, so differently configured runs never collide.
  EXPECT_EQ(CreateMetric("ssim", {{"float64", true}})->info().name, "ssim_float64");
}

// One naming rule and one type check for every metric, from each metric's option table.
TEST(Registry, OptionTablesNameMetricsOneWayAndCheckTypes) {
  EXPECT_EQ(CreateMetric("psnr")->info().name, "psnr");
  EXPECT_EQ(CreateMetric("psnr", {{"data_range", 255}})->info().name, "psnr_data_range255.0");
  EXPECT_EQ(CreateMetric("ssim", {{"data_range", 2.5}, {"float64", true}})->info().name,
            "ssim_data_range2.5_float64");
  EXPECT_EQ(CreateMetric("ssim", {{"float64", false}})->info().name, "ssim");  // the default
  // The rule itself, on the OCR table (Tesseract is not needed to name it).
  const auto& ocr = MetricOptionTable("ocr");
  EXPECT_EQ(NameSuffix({{"k", 3}, {"gt_source", "buffer"}, {"psm", 3}, {"invert", true}}, ocr),
            "_k3_buffer_invert");
  EXPECT_EQ(NameSuffix({{"threads", 4}, {"k", 5}}, ocr), "");  // threads change no number
  EXPECT_EQ(NameSuffix({{"scales", {1.0, 1.5}}}, MetricOptionTable("cursor")), "_scales1.0-1.5");
  for (const auto& name : MetricNames()) {
    for (const auto& o : MetricOptionTable(name)) {
      EXPECT_FALSE(o.help.empty()) << name << "." << o.key;
      if (!o.default_value.is_null()) {
        EXPECT_NO_THROW(CheckOptions(name, {{o.key, o.default_value}}, MetricOptionTable(name)))
            << name << "." << o.key << ": its default has the table's type";
      }
    }
  }
  try {
    CreateMetric("ocr", {{"k", "3"}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ocr: option k must be an integer, got \"3\""),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(CreateMetric("cursor", {{"scales", "1"}}), Error);
  EXPECT_NE(MetricOptionHelp().find("ocr: k (integer 5, in the name)"), std::string::npos)
      << MetricOptionHelp();
}

}  // namespace
}  // namespace ncb
