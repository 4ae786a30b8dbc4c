// Micro-benchmarks of the metric kernels, at GUIWorld's 1024x768 and CLIGen's 1600x900.
// Targets (2-core CPU, Release), so scoring stays a small share of any real checkpoint's
// rollout time: per 1600x900 RGB frame SSIM <= 80 ms, PSNR <= 10 ms, LPIPS (SqueezeNet)
// <= 2.5 s, decoding a frame of an H.264 video <= 15 ms; the Levenshtein distance of a whole
// screen's text <= 50 ms (under 5% of OCR'ing that frame); a Frechet distance of I3D's 400-d
// statistics <= 500 ms (once per run). Each kernel runs once before its timing starts. Run in CI as
// a smoke test with a tiny --benchmark_min_time; bench-peers compares the same kernels with other
// tools.
#include <benchmark/benchmark.h>
#include <torch/types.h>
#include <unistd.h>

#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "core/cpu_allocator.h"
#include "core/frame.h"
#include "core/sanitizer_defaults.h"
#include "datasets/frame_source.h"
#include "metrics/perceptual/lpips.h"
#include "metrics/pixel/psnr.h"
#include "metrics/pixel/ssim.h"
#include "metrics/text/text_accuracy.h"
#include "metrics/video/frechet.h"
#include "metrics/weights.h"

namespace {

std::pair<torch::Tensor, torch::Tensor> Pair(benchmark::State& state) {
  torch::manual_seed(0);
  const int64_t w = state.range(0), h = state.range(1);
  auto a = torch::rand({1, 3, h, w});
  auto b = (a + 0.05 * torch::randn({1, 3, h, w})).clamp(0, 1);
  return {a, b};
}

void BM_Ssim(benchmark::State& state) {
  auto [a, b] = Pair(state);
  ncb::Ssim(a, b);  // warm-up outside the timing: the first call faults its buffers in
  for (auto _ : state) benchmark::DoNotOptimize(ncb::Ssim(a, b));
  state.SetItemsProcessed(state.iterations());
}

void BM_Psnr(benchmark::State& state) {
  auto [a, b] = Pair(state);
  ncb::SquaredErrorSum(a, b);  // warm-up
  for (auto _ : state) benchmark::DoNotOptimize(ncb::SquaredErrorSum(a, b));
  state.SetItemsProcessed(state.iterations());
}

// LPIPS (SqueezeNet, the default) per frame pair; skipped when the weights are not fetched.
void BM_Lpips(benchmark::State& state) {
  auto [a, b] = Pair(state);
  std::unique_ptr<ncb::Lpips> net;
  try {
    net = std::make_unique<ncb::Lpips>(
        ncb::ResolveLpipsFiles("squeeze", "", "", "", ncb::DefaultWeightsDir()));
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(net->Distance(a, b));
  state.SetItemsProcessed(state.iterations());
}

void BM_ValidateFrame(benchmark::State& state) {
  auto [a, b] = Pair(state);
  auto f = a[0];
  ncb::ValidateFrame(f, f.size(1), f.size(2));  // warm-up
  for (auto _ : state) benchmark::DoNotOptimize(ncb::ValidateFrame(f, f.size(1), f.size(2)));
  state.SetItemsProcessed(state.iterations());
}

void BM_MatToFrame(benchmark::State& state) {
  cv::Mat img(static_cast<int>(state.range(1)), static_cast<int>(state.range(0)), CV_8UC3);
  cv::randu(img, 0, 255);
  ncb::MatToFrame(img);  // warm-up
  for (auto _ : state) benchmark::DoNotOptimize(ncb::MatToFrame(img));
  state.SetItemsProcessed(state.iterations());
}

// Frechet distance of two Gaussians of dimension range(0) (400: I3D logits, 512: r3d_18).
void BM_Frechet(benchmark::State& state) {
  torch::manual_seed(0);
  const int64_t d = state.range(0);
  ncb::FeatureStats a(d), b(d);
  a.Add(torch::randn({2 * d, d}));
  b.Add(torch::randn({2 * d, d}) * 1.1 + 0.1);
  const auto ma = a.Mean(), ca = a.Covariance(), mb = b.Mean(), cb = b.Covariance();
  ncb::FrechetDistance(ma, ca, mb, cb);  // warm-up
  for (auto _ : state) benchmark::DoNotOptimize(ncb::FrechetDistance(ma, ca, mb, cb));
  state.SetItemsProcessed(state.iterations());
}

// Levenshtein distance between the texts of two whole screens at width x height with 12x25
// px cells (CLIGen's font at 20 px): 85x30 cells at 1024x768, 133x36 at 1600x900, 10% of the
// characters differing.
void BM_Levenshtein(benchmark::State& state) {
  const int64_t cells = (state.range(0) / 12) * (state.range(1) / 25);
  std::u32string a, b;
  uint64_t x = 88172645463325252ull;
  for (int64_t i = 0; i < cells; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    const char32_t c = U'a' + static_cast<char32_t>(x % 26);
    a.push_back(c);
    b.push_back(x % 10 == 0 ? U'#' : c);
  }
  for (auto _ : state) benchmark::DoNotOptimize(ncb::Levenshtein(a, b));
  state.SetItemsProcessed(state.iterations());
  state.counters["chars"] = static_cast<double>(cells);
}

// Decoding ground truth: frames of a 30-frame video at width x height (written once with
// OpenCV's FFmpeg backend, H.264 where the build has an encoder, else MPEG-4 Part 2), read
// through ncbench's FrameSource, reopened when it runs out.
void BM_FrameDecode(benchmark::State& state) {
  const int w = static_cast<int>(state.range(0)), h = static_cast<int>(state.range(1));
  const auto path =
      std::filesystem::temp_directory_path() /
      ("ncbench-decode-" + std::to_string(getpid()) + "-" + std::to_string(w) + ".mp4");
  std::string codec = "avc1";
  {
    cv::VideoWriter writer(path.string(), cv::VideoWriter::fourcc('a', 'v', 'c', '1'), 15, {w, h});
    if (!writer.isOpened()) {
      codec = "mp4v";
      writer.open(path.string(), cv::VideoWriter::fourcc('m', 'p', '4', 'v'), 15, {w, h});
    }
    if (!writer.isOpened()) {
      state.SkipWithError("OpenCV cannot write an mp4 here");
      return;
    }
    cv::Mat frame(h, w, CV_8UC3);
    for (int i = 0; i < 30; ++i) {  // a moving gradient with text-like noise
      cv::randu(frame, 0, 40);
      cv::rectangle(frame, {i * 8, i * 4, w / 3, h / 3}, cv::Scalar(200, 180, 40), cv::FILLED);
      writer.write(frame);
    }
  }
  std::unique_ptr<ncb::FrameSource> src;
  cv::Mat bgr;
  for (auto _ : state) {
    if (!src || !src->Read(&bgr)) {
      state.PauseTiming();
      src = ncb::OpenFrameSource(path);
      state.ResumeTiming();
      src->Read(&bgr);
    }
    benchmark::DoNotOptimize(bgr.data);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(codec);
  std::filesystem::remove(path);
}

#define NCB_SIZES ->Args({1024, 768})->Args({1600, 900})->Unit(benchmark::kMillisecond)
BENCHMARK(BM_Ssim) NCB_SIZES;
BENCHMARK(BM_Psnr) NCB_SIZES;
BENCHMARK(BM_Lpips) NCB_SIZES;
BENCHMARK(BM_ValidateFrame) NCB_SIZES;
BENCHMARK(BM_MatToFrame) NCB_SIZES;
BENCHMARK(BM_FrameDecode) NCB_SIZES;
BENCHMARK(BM_Levenshtein) NCB_SIZES;
BENCHMARK(BM_Frechet)->Arg(400)->Arg(512)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  // Without the caching allocator (--system_allocator) the numbers show what it saves.
  bool system_allocator = false;
  for (int i = 1; i < argc; ++i) system_allocator |= std::string(argv[i]) == "--system_allocator";
  if (!system_allocator) ncb::InstallCachingCpuAllocator();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
