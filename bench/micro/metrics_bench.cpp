// Micro-benchmarks of the per-frame kernels, at GUIWorld's 1024x768 and CLIGen's 1600x900.
// Targets (2-core CPU, Release): SSIM <= 60 ms and PSNR <= 10 ms per 1600x900 RGB frame, so
// scoring stays a small share of any real checkpoint's rollout time. Run in CI as a smoke
// test with a tiny --benchmark_min_time.
#include <benchmark/benchmark.h>
#include <opencv2/core.hpp>
#include <torch/torch.h>

#include "bench/core/cpu_allocator.h"
#include "bench/core/frame.h"
#include "metrics/perceptual/lpips.h"
#include "metrics/pixel/psnr.h"
#include "metrics/pixel/ssim.h"
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
  for (auto _ : state) benchmark::DoNotOptimize(ncb::Ssim(a, b));
  state.SetItemsProcessed(state.iterations());
}

void BM_Psnr(benchmark::State& state) {
  auto [a, b] = Pair(state);
  for (auto _ : state) benchmark::DoNotOptimize(ncb::SquaredErrorSum(a, b));
  state.SetItemsProcessed(state.iterations());
}

// LPIPS (SqueezeNet, the default) per frame pair; skipped when the weights are not fetched.
void BM_Lpips(benchmark::State& state) {
  auto [a, b] = Pair(state);
  std::unique_ptr<ncb::Lpips> net;
  try {
    net = std::make_unique<ncb::Lpips>(ncb::ResolveLpipsFiles("squeeze", "", "", "", ncb::DefaultWeightsDir()));
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
  for (auto _ : state) benchmark::DoNotOptimize(ncb::ValidateFrame(f, f.size(1), f.size(2)));
  state.SetItemsProcessed(state.iterations());
}

void BM_MatToFrame(benchmark::State& state) {
  cv::Mat img(static_cast<int>(state.range(1)), static_cast<int>(state.range(0)), CV_8UC3);
  cv::randu(img, 0, 255);
  for (auto _ : state) benchmark::DoNotOptimize(ncb::MatToFrame(img));
  state.SetItemsProcessed(state.iterations());
}

#define NCB_SIZES ->Args({1024, 768})->Args({1600, 900})->Unit(benchmark::kMillisecond)
BENCHMARK(BM_Ssim) NCB_SIZES;
BENCHMARK(BM_Psnr) NCB_SIZES;
BENCHMARK(BM_Lpips) NCB_SIZES;
BENCHMARK(BM_ValidateFrame) NCB_SIZES;
BENCHMARK(BM_MatToFrame) NCB_SIZES;

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
