// Golden values: ncbench's PSNR and SSIM against scikit-image 0.19.3 (Debian python3-skimage,
// tests/tools/skimage_reference.py) on real CLIGen (Clean) frames and degraded copies of them.
// Tolerance: 1e-4 (SSIM absolute, PSNR in dB), the bound. The changed-region scores
// against tests/tools/changed_region_reference.py (NumPy, SciPy, scikit-image), the same bound.
#include <torch/types.h>

#include <array>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/frame.h"
#include "datasets/frame_source.h"
#include "metrics/metric.h"
#include "metrics/pixel/changed_region.h"
#include "metrics/pixel/psnr.h"
#include "metrics/pixel/ssim.h"
#include "tests/test_util.h"

namespace ncb {
namespace {

constexpr double kGoldenTol = 1e-4;

cv::Mat Jpeg(const cv::Mat& img, int quality) {
  std::vector<uchar> buf;
  cv::imencode(".jpg", img, buf, {cv::IMWRITE_JPEG_QUALITY, quality});
  return cv::imdecode(buf, cv::IMREAD_COLOR);
}

TEST(Golden, PsnrAndSsimMatchScikitImageOnCligenFrames) {
  NCB_REQUIRE_SHARED();
  test::TempDir tmp;
  nlohmann::json pairs = nlohmann::json::array();
  int idx = 0;
  for (const char* id : {"demo_000003", "demo_000042", "demo_000120"}) {
    auto src = OpenFrameSource(test::CligenDir() / (std::string(id) + ".mp4"));
    const int64_t n = src->frame_count();
    cv::Mat frame;
    for (int64_t k = 0; k < n; ++k) {
      ASSERT_TRUE(src->Read(&frame));
      if (k != 0 && k != n / 2 && k != n - 1) continue;
      // JPEG quality 30 on every chosen frame; a blur on the middle one, the identical frame
      // on the first.
      std::vector<cv::Mat> gens = {Jpeg(frame, 30)};
      if (k == n / 2) {
        gens.emplace_back();
        cv::GaussianBlur(frame, gens.back(), cv::Size(5, 5), 1.2);
      }
      if (k == 0) gens.push_back(frame);
      for (const cv::Mat& gen : gens) {
        const auto gt_path = tmp / ("gt_" + std::to_string(idx) + ".png");
        const auto gen_path = tmp / ("gen_" + std::to_string(idx) + ".png");
        cv::imwrite(gt_path.string(), frame);
        cv::imwrite(gen_path.string(), gen);
        pairs.push_back({gen_path.string(), gt_path.string()});
        ++idx;
      }
    }
  }
  std::ofstream(tmp / "pairs.json") << pairs.dump();
  const auto r = test::Run("/usr/bin/python3 " +
                           (test::SourceDir() / "tests/tools/skimage_reference.py").string() + " " +
                           (tmp / "pairs.json").string());
  ASSERT_EQ(r.status, 0) << r.output;
  const auto ref = nlohmann::json::parse(r.output);
  ASSERT_EQ(ref["values"].size(), pairs.size());
  EXPECT_EQ(ref["skimage_version"], "0.19.3");  // the version the headers cite
  double worst_ssim = 0, worst_psnr = 0, worst_conv2d = 0;
  SsimOptions conv2d;  // the code CUDA runs (torch::conv2d), here on the CPU
  conv2d.conv2d_on_cpu = true;
  for (size_t i = 0; i < pairs.size(); ++i) {
    const auto gen = MatToFrame(cv::imread(pairs[i][0].get<std::string>())).unsqueeze(0);
    const auto gt = MatToFrame(cv::imread(pairs[i][1].get<std::string>())).unsqueeze(0);
    const double ssim = Ssim(gen, gt).item<double>();
    const auto psnr = PsnrFromSse(SquaredErrorSum(gen, gt).item<double>(), gen.numel(), 1.0);
    const auto& want = ref["values"][i];
    EXPECT_NEAR(ssim, want["ssim"].get<double>(), kGoldenTol) << pairs[i];
    worst_ssim = std::max(worst_ssim, std::abs(ssim - want["ssim"].get<double>()));
    const double ssim_conv2d = Ssim(gen, gt, conv2d).item<double>();
    EXPECT_NEAR(ssim_conv2d, want["ssim"].get<double>(), kGoldenTol) << pairs[i];
    EXPECT_NEAR(ssim_conv2d, ssim, 1e-5) << "conv2d vs OpenCV path " << pairs[i];
    worst_conv2d = std::max(worst_conv2d, std::abs(ssim_conv2d - ssim));
    if (want["psnr"].is_null()) {
      EXPECT_FALSE(psnr.has_value()) << pairs[i];
    } else {
      ASSERT_TRUE(psnr.has_value()) << pairs[i];
      EXPECT_NEAR(*psnr, want["psnr"].get<double>(), kGoldenTol) << pairs[i];
      worst_psnr = std::max(worst_psnr, std::abs(*psnr - want["psnr"].get<double>()));
    }
  }
  std::cout << pairs.size() << " pairs; worst |SSIM - skimage| = " << worst_ssim
            << ", worst |PSNR - skimage| = " << worst_psnr
            << " dB, worst |SSIM conv2d path - OpenCV path| = " << worst_conv2d << "\n";
}

// psnr_changed and ssim_changed as `eval` runs them (the metrics, one frame at a time) against
// the documented definition computed independently, on real CLIGen (Clean) frames: the
// ground truth at three times against frame 0, scored for a JPEG copy, a blurred copy and the
// conditioning frame itself (the static baseline).
TEST(Golden, ChangedRegionScoresMatchTheReferenceOnCligenFrames) {
  NCB_REQUIRE_SHARED();
  test::TempDir tmp;
  nlohmann::json triples = nlohmann::json::array();
  std::vector<std::array<torch::Tensor, 3>> frames;
  for (const char* id : {"demo_000003", "demo_000042", "demo_000120"}) {
    auto src = OpenFrameSource(test::CligenDir() / (std::string(id) + ".mp4"));
    const int64_t n = src->frame_count();
    cv::Mat frame, first;
    for (int64_t k = 0; k < n; ++k) {
      ASSERT_TRUE(src->Read(&frame));
      if (k == 0) first = frame.clone();
      if (k != 1 && k != n / 2 && k != n - 1) continue;
      cv::Mat blur;
      cv::GaussianBlur(frame, blur, cv::Size(5, 5), 1.2);
      for (const cv::Mat& gen : {Jpeg(frame, 30), blur, first}) {
        const std::string i = std::to_string(triples.size());
        const auto gen_p = tmp / ("gen" + i + ".png"), gt_p = tmp / ("gt" + i + ".png"),
                   c_p = tmp / ("c" + i + ".png");
        cv::imwrite(gen_p.string(), gen);
        cv::imwrite(gt_p.string(), frame);
        cv::imwrite(c_p.string(), first);
        triples.push_back({gen_p.string(), gt_p.string(), c_p.string()});
        frames.push_back({MatToFrame(cv::imread(gen_p.string())),
                          MatToFrame(cv::imread(gt_p.string())),
                          MatToFrame(cv::imread(c_p.string()))});
      }
    }
  }
  std::ofstream(tmp / "triples.json") << triples.dump();
  const auto r =
      test::Run("/usr/bin/python3 " +
                (test::SourceDir() / "tests/tools/changed_region_reference.py").string() + " " +
                (tmp / "triples.json").string());
  ASSERT_EQ(r.status, 0) << r.output;
  const auto ref = nlohmann::json::parse(r.output)["values"];
  ASSERT_EQ(ref.size(), frames.size());
  double worst = 0;
  int scored = 0;
  for (size_t i = 0; i < frames.size(); ++i) {
    const auto& [gen, gt, c] = frames[i];
    for (const std::string name : {"psnr_changed", "ssim_changed"}) {
      auto m = CreateMetric(name);
      m->BeginSample({"s", 1, {}, 15, {}, c, {}});
      const auto f = m->ObserveFrames(gen.unsqueeze(0), gt.unsqueeze(0), {1, {}}).at(0);
      EXPECT_NEAR(f[name + "_share"].get<double>(), ref[i]["share"].get<double>(), 1e-12)
          << triples[i];
      if (ref[i][name].is_null()) {
        EXPECT_TRUE(f[name].is_null()) << name << " " << triples[i] << f.dump();
        continue;
      }
      ASSERT_TRUE(f[name].is_number()) << name << " " << triples[i] << f.dump();
      EXPECT_NEAR(f[name].get<double>(), ref[i][name].get<double>(), kGoldenTol)
          << name << " " << triples[i];
      worst = std::max(worst, std::abs(f[name].get<double>() - ref[i][name].get<double>()));
      ++scored;
    }
  }
  EXPECT_GE(scored, 20);  // most frames of a terminal session change somewhere
  std::cout << scored << " changed-region scores; worst |ncbench - reference| = " << worst << "\n";

  // lpips_changed (SqueezeNet, the complete lpips state_dict) against the lpips package's
  // spatial map in tests/tools/lpips_reference.py, on three triples at half size (the
  // reference takes about 9 s a frame at 1600x900): one per clip, the JPEG copy and the blurred
  // copy at mid-clip and the static copy at the end (triples go clip, time, then
  // JPEG/blur/copy); LPIPS's bound, 1e-5.
  ASSERT_EQ(triples.size(), 27u);
  nlohmann::json some = nlohmann::json::array();
  std::vector<std::array<torch::Tensor, 3>> halves;
  for (size_t i : {0 * 9 + 1 * 3 + 0, 1 * 9 + 1 * 3 + 1, 2 * 9 + 2 * 3 + 2}) {
    nlohmann::json half = nlohmann::json::array();
    std::array<torch::Tensor, 3> t;
    for (size_t j = 0; j < 3; ++j) {
      cv::Mat small;
      cv::resize(cv::imread(triples[i][j].get<std::string>()), small, cv::Size(), 0.5, 0.5,
                 cv::INTER_AREA);
      const auto path = tmp / ("half" + std::to_string(i) + "_" + std::to_string(j) + ".png");
      cv::imwrite(path.string(), small);
      half.push_back(path.string());
      t[j] = MatToFrame(cv::imread(path.string()));
    }
    some.push_back(half);
    halves.push_back(t);
  }
  std::ofstream(tmp / "some.json") << some.dump();
  const auto weights = test::SharedDir() / "weights/lpips/lpips_squeeze_full.pt";
  const auto lr = test::Run(
      "/usr/bin/python3 " + (test::SourceDir() / "tests/tools/lpips_reference.py").string() +
      " changed --net squeeze --weights " + weights.string() + " " + (tmp / "some.json").string());
  ASSERT_EQ(lr.status, 0) << lr.output;
  const auto lref = nlohmann::json::parse(lr.output)["values"];
  ASSERT_EQ(lref.size(), halves.size());
  double lworst = 0;
  int lscored = 0;
  auto m = CreateMetric("lpips_changed", {{"weights", weights.string()}});
  for (size_t j = 0; j < halves.size(); ++j) {
    const auto& [gen, gt, c] = halves[j];
    m->BeginSample({"s", 1, {}, 15, {}, c, {}});
    const auto f = m->ObserveFrames(gen.unsqueeze(0), gt.unsqueeze(0), {1, {}}).at(0);
    m->EndSample();
    if (lref[j]["lpips_changed"].is_null()) {
      EXPECT_TRUE(f["lpips_changed"].is_null()) << some[j] << f.dump();
      continue;
    }
    ASSERT_TRUE(f["lpips_changed"].is_number()) << some[j] << f.dump();
    const double want = lref[j]["lpips_changed"].get<double>();
    EXPECT_NEAR(f["lpips_changed"].get<double>(), want, 1e-5) << some[j];
    lworst = std::max(lworst, std::abs(f["lpips_changed"].get<double>() - want));
    ++lscored;
  }
  EXPECT_EQ(lscored, 3);
  std::cout << lscored << " lpips_changed scores; worst |ncbench - reference| = " << lworst << "\n";
}

}  // namespace
}  // namespace ncb
