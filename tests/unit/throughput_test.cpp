// Throughput accounting: latency percentiles after the warm-up, phase sums, the device block.
#include "core/throughput.h"

#include <torch/cuda.h>
#include <torch/types.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <utility>
#include <vector>

#include "bench/run/eval_runner.h"
#include "core/errors.h"
#include "core/worker_thread.h"
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
  // The CUDA runtime is the build's: named on a CUDA build of LibTorch even for a CPU run.
  EXPECT_EQ(d["cuda_runtime"].is_null(), !NCB_TORCH_CUDA);
  EXPECT_EQ(d["torch_cuda_build"], static_cast<bool>(NCB_TORCH_CUDA));
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

// A CUDA device that is not there is a clear error before anything runs: on a CPU build or a
// machine without a GPU, and (on a CUDA machine) an index past the last device.
TEST(ThroughputUnit, ADeviceTheMachineLacksIsAClearError) {
  const auto what = [](const std::string& name) {
    try {
      ParseDevice(name);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_NE(what("gpu").find("expected cpu, cuda or cuda:N"), std::string::npos) << what("gpu");
  EXPECT_EQ(ParseDevice("cpu"), torch::Device(torch::kCPU));
  if (!torch::cuda::is_available()) {
    EXPECT_NE(what("cuda:1").find("sees no CUDA device"), std::string::npos) << what("cuda:1");
    return;
  }
  const auto n = torch::cuda::device_count();
  const auto e = what("cuda:" + std::to_string(n));
  EXPECT_NE(e.find("but this machine has " + std::to_string(n) + " CUDA device"), std::string::npos)
      << e;
  EXPECT_EQ(ParseDevice("cuda:0"), torch::Device(torch::kCUDA, 0));
}

// The pipeline's scorer is one thread for the whole run: what LibTorch keeps per thread (cuDNN's
// execution plans on CUDA, the OpenMP team) stays from one frame to the next. Tasks run in
// order, a task's exception reaches get(), and a result left unread waits for its task.
TEST(ThroughputUnit, OneWorkerThreadRunsEveryTaskInOrder) {
  static thread_local int calls_here = 0;  // what a library would cache per thread
  std::vector<int> order;
  std::thread::id first;
  {
    WorkerThread worker;
    for (int i = 0; i < 5; ++i) {
      auto r = worker.Submit([&, i] {
        order.push_back(i);
        return std::make_pair(std::this_thread::get_id(), ++calls_here);
      });
      const auto [id, calls] = r.get();
      if (i == 0) first = id;
      EXPECT_EQ(id, first);
      EXPECT_NE(id, std::this_thread::get_id());
      EXPECT_EQ(calls, i + 1);  // the same thread's state, not a fresh thread's
    }
    auto failing = worker.Submit([]() -> int { throw Error("scoring failed"); });
    EXPECT_THROW(failing.get(), Error);
    std::atomic<bool> done{false};
    {
      auto unread = worker.Submit([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        done = true;
      });
    }  // its destructor waited
    EXPECT_TRUE(done);
  }
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

}  // namespace
}  // namespace ncb
