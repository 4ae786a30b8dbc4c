// Throughput accounting: latency percentiles after the warm-up, phase sums, the device block.
#include "core/throughput.h"

#include <torch/cuda.h>
#include <torch/types.h>

#include "tests/test_util.h"

namespace ncb {
namespace {

TEST(ThroughputUnit, LatencyPercentilesExcludeTheWarmUp) {
  // 2 warm-up calls of 1 s, then 1..100 ms: type-7 quantiles of 1..100 are 1 + q * 99.
  std::vector<double> s = {1.0, 1.0};
  for (int i = 1; i <= 100; ++i) s.push_back(i / 1000.0);
  const auto l = SummarizeLatency(s, 2, "step");
  EXPECT_EQ(l.warmup_excluded, 2);
  EXPECT_EQ(l.count, 100);
  EXPECT_NEAR(l.p50_ms, 50.5, 1e-9);
  EXPECT_NEAR(l.p95_ms, 95.05, 1e-9);
  EXPECT_NEAR(l.p99_ms, 99.01, 1e-9);
  EXPECT_NEAR(l.mean_ms, 50.5, 1e-9);
  EXPECT_NEAR(l.min_ms, 1.0, 1e-9);
  EXPECT_NEAR(l.max_ms, 100.0, 1e-9);
  EXPECT_EQ(l.ToJson()["unit"], "step");
  // More warm-up than calls: nothing left, no made-up numbers.
  const auto none = SummarizeLatency({0.1}, 3, "rollout_call");
  EXPECT_EQ(none.warmup_excluded, 1);
  EXPECT_EQ(none.count, 0);
  EXPECT_EQ(none.p50_ms, 0.0);
}

TEST(ThroughputUnit, PhasesSumCallsAndFrames) {
  PhaseTimes p;
  p.Add("rollout", 0.5, 4);
  p.Add("metric:ssim", 0.25, 4);
  p.Add("rollout", 1.5, 4);
  { ScopedPhase s(&p, "aggregate"); }
  const auto j = p.ToJson();
  EXPECT_EQ(j["rollout"]["calls"], 2);
  EXPECT_EQ(j["rollout"]["frames"], 8);
  EXPECT_DOUBLE_EQ(j["rollout"]["wall_s"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(j["rollout"]["frames_per_s"].get<double>(), 4.0);
  EXPECT_FALSE(j["aggregate"].contains("frames"));
  EXPECT_DOUBLE_EQ(p.Seconds("metric:ssim"), 0.25);
  EXPECT_DOUBLE_EQ(p.Seconds("absent"), 0.0);
}

TEST(ThroughputUnit, CpuDeviceAndTimer) {
  const auto d = DescribeDevice(torch::kCPU);
  EXPECT_EQ(d["type"], "cpu");
  EXPECT_FALSE(d["name"].get<std::string>().empty());
  EXPECT_TRUE(d["cuda_runtime"].is_null());
  EXPECT_FALSE(PeakDeviceMemoryBytes(torch::kCPU).has_value());
  EXPECT_GT(PeakRssMiB(), 0.0);
  DeviceTimer t(torch::kCPU);
  EXPECT_EQ(t.method(), "steady_clock");
  t.Start();
  const double s = t.StopSeconds();
  EXPECT_GE(s, 0.0);
  EXPECT_LT(s, 1.0);
  EXPECT_GE(DescribeThreads()["intra_op"].get<int>(), 1);
}

// On a machine with CUDA: events time the device's work, and the allocator's peak is seen.
TEST(ThroughputUnit, CudaTimerAndPeakMemory) {
  if (!torch::cuda::is_available())
    GTEST_SKIP() << "no CUDA device: this LibTorch or machine has none";
  const torch::Device cuda(torch::kCUDA, 0);
  ResetPeakDeviceMemory(cuda);
  DeviceTimer t(cuda);
  EXPECT_EQ(t.method(), "cuda_events");
  t.Start();
  auto x = torch::randn({4096, 4096}, torch::TensorOptions().device(cuda));
  auto y = torch::mm(x, x);
  const double s = t.StopSeconds();
  EXPECT_GT(s, 0.0);
  const auto peak = PeakDeviceMemoryBytes(cuda);
  ASSERT_TRUE(peak.has_value());
  EXPECT_GE(*peak, 2 * 4096 * 4096 * 4);
  const auto d = DescribeDevice(cuda);
  EXPECT_EQ(d["type"], "cuda");
  EXPECT_FALSE(d["cuda_runtime"].is_null());
}

}  // namespace
}  // namespace ncb
