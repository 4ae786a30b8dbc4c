#include "core/throughput.h"

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/types.h>
#include <torch/version.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <numeric>
#include <opencv2/core.hpp>
#include <thread>

#include "core/stats.h"

#if NCB_TORCH_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace ncb {
using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string CpuModelName() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown";
}

// ---- DeviceTimer ----

#if NCB_TORCH_CUDA
struct DeviceTimer::Cuda {
  at::cuda::CUDAEvent start{cudaEventDefault}, end{cudaEventDefault};
  c10::DeviceIndex index = 0;
};
#else
struct DeviceTimer::Cuda {};
#endif

DeviceTimer::DeviceTimer(const torch::Device& device) {
#if NCB_TORCH_CUDA
  if (device.is_cuda()) {
    cuda_ = std::make_unique<Cuda>();
    cuda_->index = device.has_index() ? device.index() : at::cuda::current_device();
  }
#else
  (void)device;
#endif
}

DeviceTimer::~DeviceTimer() = default;

void DeviceTimer::Start() {
#if NCB_TORCH_CUDA
  if (cuda_) {
    cuda_->start.record(at::cuda::getCurrentCUDAStream(cuda_->index));
    return;
  }
#endif
  start_ = Clock::now();
}

double DeviceTimer::StopSeconds() {
#if NCB_TORCH_CUDA
  if (cuda_) {
    cuda_->end.record(at::cuda::getCurrentCUDAStream(cuda_->index));
    cuda_->end.synchronize();
    return cuda_->start.elapsed_time(cuda_->end) / 1000.0;
  }
#endif
  return std::chrono::duration<double>(Clock::now() - start_).count();
}

std::string DeviceTimer::method() const { return cuda_ ? "cuda_events" : "steady_clock"; }

// ---- latency, phases ----

json LatencySummary::ToJson() const {
  return {{"unit", unit},     {"warmup_excluded", warmup_excluded},
          {"count", count},   {"mean_ms", mean_ms},
          {"p50_ms", p50_ms}, {"p95_ms", p95_ms},
          {"p99_ms", p99_ms}, {"min_ms", min_ms},
          {"max_ms", max_ms}};
}

LatencySummary SummarizeLatency(const std::vector<double>& seconds, int64_t warmup,
                                const std::string& unit) {
  LatencySummary s;
  s.unit = unit;
  const auto skip =
      std::min<size_t>(static_cast<size_t>(std::max<int64_t>(warmup, 0)), seconds.size());
  s.warmup_excluded = static_cast<int64_t>(skip);
  std::vector<double> ms;
  for (size_t i = skip; i < seconds.size(); ++i) ms.push_back(seconds[i] * 1000.0);
  s.count = static_cast<int64_t>(ms.size());
  if (ms.empty()) return s;
  s.mean_ms = std::accumulate(ms.begin(), ms.end(), 0.0) / static_cast<double>(ms.size());
  s.p50_ms = Quantile(ms, 0.50);
  s.p95_ms = Quantile(ms, 0.95);
  s.p99_ms = Quantile(ms, 0.99);
  s.min_ms = *std::min_element(ms.begin(), ms.end());
  s.max_ms = *std::max_element(ms.begin(), ms.end());
  return s;
}

void PhaseTimes::Add(const std::string& phase, double seconds, int64_t frames) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [&](const Entry& e) { return e.name == phase; });
  if (it == entries_.end()) {
    entries_.push_back({phase});
    it = entries_.end() - 1;
  }
  it->seconds += seconds;
  it->calls += 1;
  it->frames += frames;
}

double PhaseTimes::Seconds(const std::string& phase) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& e : entries_) {
    if (e.name == phase) return e.seconds;
  }
  return 0;
}

json PhaseTimes::ToJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  json j = json::object();
  for (const auto& e : entries_) {
    json p = {{"wall_s", e.seconds}, {"calls", e.calls}};
    if (e.frames > 0) {
      p["frames"] = e.frames;
      p["frames_per_s"] = e.seconds > 0 ? static_cast<double>(e.frames) / e.seconds : 0.0;
    }
    j[e.name] = p;
  }
  return j;
}

ScopedPhase::ScopedPhase(PhaseTimes* times, std::string phase, int64_t frames)
    : times_(times), phase_(std::move(phase)), frames_(frames), start_(Clock::now()) {}

ScopedPhase::~ScopedPhase() {
  times_->Add(phase_, std::chrono::duration<double>(Clock::now() - start_).count(), frames_);
}

// ---- memory, device, threads ----

void ResetPeakDeviceMemory(const torch::Device& device) {
#if NCB_TORCH_CUDA
  if (device.is_cuda()) {
    // CUDA and its caching allocator start at the first allocation; LibTorch 2.x refuses to
    // reset the statistics of an allocator that has not started ("Invalid device argument").
    (void)torch::empty({1}, torch::TensorOptions().device(device));
    c10::cuda::CUDACachingAllocator::resetPeakStats(
        device.has_index() ? device.index() : at::cuda::current_device());
  }
#else
  (void)device;
#endif
}

std::optional<int64_t> PeakDeviceMemoryBytes(const torch::Device& device) {
#if NCB_TORCH_CUDA
  if (device.is_cuda()) {
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(
        device.has_index() ? device.index() : at::cuda::current_device());
    // Index 0 is StatType::AGGREGATE (all pools); the enum's namespace moved in LibTorch 2.x.
    return stats.allocated_bytes[0].peak;
  }
#else
  (void)device;
#endif
  return std::nullopt;
}

double PeakRssMiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

double CurrentRssMiB() {
  std::ifstream in("/proc/self/statm");
  long long size = 0, resident = 0;
  if (!(in >> size >> resident)) return 0;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) /
         (1024.0 * 1024.0);
}

json DescribeDevice(const torch::Device& device) {
  json d = {{"type", device.is_cuda() ? "cuda" : "cpu"}, {"libtorch", TORCH_VERSION}};
  d["cuda_runtime"] = nullptr;
  d["cudnn"] = nullptr;
  d["torch_cuda_build"] = static_cast<bool>(NCB_TORCH_CUDA);
#if NCB_TORCH_CUDA
  int runtime = 0;
  if (cudaRuntimeGetVersion(&runtime) == cudaSuccess) {
    d["cuda_runtime"] =
        std::to_string(runtime / 1000) + "." + std::to_string((runtime % 1000) / 10);
  }
  if (device.is_cuda()) {
    const int index = device.has_index() ? device.index() : at::cuda::current_device();
    const cudaDeviceProp* p = at::cuda::getDeviceProperties(index);
    d["index"] = index;
    d["name"] = p->name;
    d["total_memory_mib"] = static_cast<double>(p->totalGlobalMem) / (1024.0 * 1024.0);
    d["compute_capability"] = std::to_string(p->major) + "." + std::to_string(p->minor);
    d["cudnn"] = torch::cuda::cudnn_is_available() ? json(at::detail::getCUDAHooks().versionCuDNN())
                                                   : json(nullptr);
    return d;
  }
#endif
  d["name"] = CpuModelName();
  return d;
}

json DescribeThreads() {
  return {{"intra_op", at::get_num_threads()},
          {"inter_op", at::get_num_interop_threads()},
          {"opencv", cv::getNumThreads()},
          {"hardware", std::thread::hardware_concurrency()}};
}

void SynchronizeDevice(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.has_index() ? device.index() : -1);
}

}  // namespace ncb
