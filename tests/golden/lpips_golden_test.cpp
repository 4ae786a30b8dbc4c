// Golden values: ncbench's LPIPS against an independent PyTorch implementation of the lpips
// package's forward pass (tests/tools/lpips_reference.py, Debian's python3-torch) on real
// CLIGen (Clean) frames. Tolerance 1e-5 absolute, the bound.
#include <torch/types.h>

#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/errors.h"
#include "core/frame.h"
#include "datasets/frame_source.h"
#include "metrics/perceptual/lpips.h"
#include "metrics/perceptual/state_dict.h"
#include "tests/test_util.h"

namespace ncb {
namespace {

constexpr double kLpipsTol = 1e-5;

std::filesystem::path SharedLpipsDir() { return test::SharedDir() / "weights/lpips"; }

std::string Tool() {
  return "/usr/bin/python3 " + (test::SourceDir() / "tests/tools/lpips_reference.py").string();
}

// Real frame pairs: the ground truth against a later frame of the same clip, a JPEG copy and
// a blurred copy; `scale` < 1 shrinks them (the VGG16 pass at 1600x900 would take minutes).
nlohmann::json WritePairs(const test::TempDir& tmp, double scale) {
  nlohmann::json pairs = nlohmann::json::array();
  int idx = 0;
  for (const char* id : {"demo_000003", "demo_000042"}) {
    auto src = OpenFrameSource(test::CligenDir() / (std::string(id) + ".mp4"));
    std::vector<cv::Mat> frames;
    cv::Mat f;
    while (src->Read(&f)) frames.push_back(f.clone());
    auto shrink = [&](const cv::Mat& m) {
      if (scale == 1.0) return m;
      cv::Mat s;
      cv::resize(m, s, cv::Size(), scale, scale, cv::INTER_AREA);
      return s;
    };
    const cv::Mat gt = shrink(frames[frames.size() / 3]);
    std::vector<uchar> jpg;
    cv::imencode(".jpg", gt, jpg, {cv::IMWRITE_JPEG_QUALITY, 20});
    cv::Mat blur;
    cv::GaussianBlur(gt, blur, cv::Size(7, 7), 2.0);
    for (const cv::Mat& gen : {shrink(frames.back()), cv::imdecode(jpg, cv::IMREAD_COLOR), blur}) {
      const auto a = tmp / ("gen" + std::to_string(idx) + ".png"),
                 b = tmp / ("gt" + std::to_string(idx) + ".png");
      cv::imwrite(a.string(), gen);
      cv::imwrite(b.string(), gt);
      pairs.push_back({a.string(), b.string()});
      ++idx;
    }
  }
  std::ofstream(tmp / "pairs.json") << pairs.dump();
  return pairs;
}

// ncbench's distances for the pairs, one pair per call (as the metric sees frames), with the
// backbone in OpenCV's DNN module (the CPU path) or in LibTorch (the CUDA path, run on CPU).
std::vector<double> Score(Lpips& net, const nlohmann::json& pairs, bool use_opencv = true) {
  std::vector<double> out;
  for (const auto& p : pairs) {
    const auto gen = MatToFrame(cv::imread(p[0].get<std::string>())).unsqueeze(0);
    const auto gt = MatToFrame(cv::imread(p[1].get<std::string>())).unsqueeze(0);
    out.push_back(net.Distance(gen, gt, use_opencv).item<double>());
  }
  return out;
}

void ExpectMatches(const std::vector<double>& got, const std::string& reference_cmd,
                   double* worst) {
  const auto r = test::Run(reference_cmd);
  ASSERT_EQ(r.status, 0) << r.output;
  const auto want = nlohmann::json::parse(r.output)["values"];
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], want[i].get<double>(), kLpipsTol) << "pair " << i;
    EXPECT_GT(got[i], 0.0) << "pair " << i;
    *worst = std::max(*worst, std::abs(got[i] - want[i].get<double>()));
  }
}

TEST(Golden, LpipsSqueezeMatchesReferenceOnCligenFrames) {
  NCB_REQUIRE_SHARED();
  test::TempDir tmp;
  const auto pairs = WritePairs(tmp, 1.0);
  LpipsFiles f;
  f.full = SharedLpipsDir() / "lpips_squeeze_full.pt";
  Lpips net(f);
  double worst = 0;
  ExpectMatches(Score(net, pairs),
                Tool() + " score --net squeeze --weights " + f.full.string() + " " +
                    (tmp / "pairs.json").string(),
                &worst);
  std::printf("lpips squeeze, %zu CLIGen pairs at 1600x900: worst |ncbench - reference| = %.3g\n",
              pairs.size(), worst);
}

TEST(Golden, LpipsOfAFrameWithItselfIsZero) {
  NCB_REQUIRE_SHARED();
  LpipsFiles f;
  f.full = SharedLpipsDir() / "lpips_squeeze_full.pt";
  Lpips net(f);
  const auto x = torch::rand({2, 3, 120, 200}, torch::TensorOptions().dtype(torch::kFloat32));
  const auto d = net.Distance(x, x);
  EXPECT_EQ(d[0].item<double>(), 0.0);
  EXPECT_EQ(d[1].item<double>(), 0.0);
}

// The spatial map (lpips_changed's) is the same through OpenCV's DNN module (CPU) and through
// LibTorch (CUDA's path, run on the CPU here); the reference holds the first to the package's.
TEST(Golden, LpipsSpatialMapIsTheSameOnBothPaths) {
  NCB_REQUIRE_SHARED();
  test::TempDir tmp;
  const auto pairs = WritePairs(tmp, 0.5);
  LpipsFiles f;
  f.full = SharedLpipsDir() / "lpips_squeeze_full.pt";
  Lpips net(f);
  const auto gen = MatToFrame(cv::imread(pairs[1][0].get<std::string>())).unsqueeze(0);
  const auto gt = MatToFrame(cv::imread(pairs[1][1].get<std::string>())).unsqueeze(0);
  const auto cv_map = net.SpatialMap(gen, gt, true), torch_map = net.SpatialMap(gen, gt, false);
  ASSERT_EQ(cv_map.sizes(), (std::vector<int64_t>{1, 1, gt.size(2), gt.size(3)}));
  EXPECT_LT((cv_map - torch_map).abs().max().item<double>(), 1e-5);
  EXPECT_GT(cv_map.mean().item<double>(), 0.0);
}

// One code path for every backbone: torchvision-named backbone + official legacy heads. The
// SqueezeNet backbone is cut out of the complete state_dict (legacy and zip format), so it
// must give the complete state_dict's numbers; AlexNet and VGG16 use seeded random stand-ins
// for the ImageNet weights with the real heads, against the reference.
TEST(Golden, LpipsTorchvisionBackbonesWithOfficialHeadsMatchReference) {
  NCB_REQUIRE_SHARED();
  test::TempDir tmp;
  const auto pairs = WritePairs(tmp, 0.25);  // 400x225
  LpipsFiles full;
  full.full = SharedLpipsDir() / "lpips_squeeze_full.pt";
  const auto want_squeeze = Score(*std::make_unique<Lpips>(full), pairs);
  for (const char* format : {"--legacy", ""}) {
    const auto tv = tmp / (std::string("squeeze") + format + ".pth");
    ASSERT_EQ(test::Run(Tool() + " torchvision-squeeze " + full.full.string() + " " + tv.string() +
                        " " + format)
                  .status,
              0);
    LpipsFiles f = ResolveLpipsFiles("squeeze", "", tv, "", SharedLpipsDir());
    EXPECT_EQ(f.heads, SharedLpipsDir() / "squeeze_lin_v0.1.pth");
    const auto got = Score(*std::make_unique<Lpips>(f), pairs);
    for (size_t i = 0; i < got.size(); ++i)
      EXPECT_NEAR(got[i], want_squeeze[i], 1e-6) << format << " pair " << i;
  }
  for (const char* net : {"alex", "vgg"}) {
    const auto tv = tmp / (std::string(net) + ".pth");
    ASSERT_EQ(
        test::Run(Tool() + " random-backbone " + net + " 7 " + tv.string() + " --legacy").status,
        0);
    const auto heads = SharedLpipsDir() / (std::string(net) + "_lin_v0.1.pth");
    Lpips model(ResolveLpipsFiles(net, "", tv, heads, tmp.path()));
    const std::string ref = Tool() + " score --net " + net + " --backbone " + tv.string() +
                            " --heads " + heads.string() + " " + (tmp / "pairs.json").string();
    for (bool use_opencv : {true, false}) {
      double worst = 0;
      ExpectMatches(Score(model, pairs, use_opencv), ref, &worst);
      std::printf(
          "lpips %s (random backbone, official heads), 400x225, backbone in %s: worst difference "
          "%.3g\n",
          net, use_opencv ? "OpenCV" : "LibTorch", worst);
    }
  }
}

TEST(Lpips, MissingAndCorruptWeightsAreClearErrors) {
  test::TempDir tmp;
  try {
    ResolveLpipsFiles("alex", "", "", "", tmp.path());
    FAIL() << "expected MissingError";
  } catch (const MissingError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("alexnet-owt-7be5be79.pth"), std::string::npos) << m;
    EXPECT_NE(m.find("https://download.pytorch.org/models/alexnet-owt-7be5be79.pth"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("lpips.backbone"), std::string::npos) << m;
  }
  EXPECT_THROW(ResolveLpipsFiles("resnet", "", "", "", tmp.path()), Error);
  std::ofstream(tmp / "bad.pt") << "\x80\x02garbage";
  try {
    LoadStateDict(tmp / "bad.pt");
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.pt"), std::string::npos) << e.what();
  }
  // A legacy file cut short loses its storages: a FormatError, not a crash.
  if (std::filesystem::exists(SharedLpipsDir() / "alex_lin_v0.1.pth")) {
    std::ifstream in(SharedLpipsDir() / "alex_lin_v0.1.pth", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(tmp / "cut.pth", std::ios::binary) << bytes.substr(0, bytes.size() - 100);
    EXPECT_THROW(LoadStateDict(tmp / "cut.pth"), FormatError);
    // Heads of the wrong net: a shape error naming the tensor.
    LpipsFiles f;
    f.net = "vgg";
    f.backbone = SharedLpipsDir() / "alex_lin_v0.1.pth";
    f.heads = SharedLpipsDir() / "alex_lin_v0.1.pth";
    EXPECT_THROW(Lpips{f}, FormatError);
  }
}

}  // namespace
}  // namespace ncb
