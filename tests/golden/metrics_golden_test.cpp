// Golden values: ncbench's PSNR and SSIM against scikit-image 0.19.3 (Debian python3-skimage,
// tests/tools/skimage_reference.py) on real CLIGen (Clean) frames and degraded copies of them.
// Tolerance: 1e-4 (SSIM absolute, PSNR in dB), the bound.
#include <torch/types.h>

#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/frame.h"
#include "datasets/frame_source.h"
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
    auto src =
        OpenFrameSource(test::SharedDir() / "data/cligen-clean" / (std::string(id) + ".mp4"));
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

}  // namespace
}  // namespace ncb
