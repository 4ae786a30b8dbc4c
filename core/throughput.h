// Throughput: where a run's time and memory went, measured on the device it ran on.
//
// Every report carries a `throughput` block (docs/report.md):
//   device     name, type, memory, LibTorch / CUDA / cuDNN versions
//   threads    LibTorch intra-op and inter-op, OpenCV, hardware, OCR workers
//   phases     by phase (checkpoint_load, ground_truth, rollout, metric:<name>, strips,
//              probe:<name>, aggregate, report_write): wall seconds, calls, frames, frames/s
//   rollout    frames/s of the model alone, and its latency percentiles (p50/p95/p99) per
//              step() call (step mode) or per rollout() call (rollout mode), the first
//              `warmup` calls excluded and the number stated
//   memory     peak host RSS; peak device memory (CUDA caching allocator) where there is one
//   timeline   per finished sample {id, end_s, frames}, for the throughput-over-time plot
//
// On CUDA a region is timed with a pair of CUDA events on the current stream and the end event
// is synchronised before it is read, so asynchronous kernels are counted where they ran; on
// the CPU the steady clock is read. CUDA-only code is compiled where LibTorch was built with
// CUDA (NCB_TORCH_CUDA, set by CMake) and skipped otherwise.
#pragma once

#include <torch/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ncb {

// Seconds between two readings of the steady clock, and from one to now (host time: for
// work queued on a GPU, DeviceTimer).
inline double SecondsBetween(std::chrono::steady_clock::time_point start,
                             std::chrono::steady_clock::time_point end) {
  return std::chrono::duration<double>(end - start).count();
}
inline double SecondsSince(std::chrono::steady_clock::time_point start) {
  return SecondsBetween(start, std::chrono::steady_clock::now());
}

// Times one region at a time on `device`.
class DeviceTimer {
 public:
  explicit DeviceTimer(const torch::Device& device);
  ~DeviceTimer();
  DeviceTimer(const DeviceTimer&) = delete;
  DeviceTimer& operator=(const DeviceTimer&) = delete;
  void Start();
  double StopSeconds();  // seconds since Start(); on CUDA, waits for the work queued meanwhile
  // "cuda_events" or "steady_clock".
  std::string method() const;

 private:
  struct Cuda;
  std::unique_ptr<Cuda> cuda_;
  std::chrono::steady_clock::time_point start_;
};

// Percentiles (linear interpolation, type 7) of call latencies after excluding the first
// `warmup` calls.
struct LatencySummary {
  std::string unit;  // "step" or "rollout_call"
  int64_t warmup_excluded = 0;
  int64_t count = 0;  // calls summarised (after the warm-up)
  double mean_ms = 0, p50_ms = 0, p95_ms = 0, p99_ms = 0, min_ms = 0, max_ms = 0;
  nlohmann::json ToJson() const;
};
LatencySummary SummarizeLatency(const std::vector<double>& seconds, int64_t warmup,
                                const std::string& unit);

// Wall time per phase (the JSON is keyed by phase name).
// Safe to add to from several threads (the runner scores on a second thread).
class PhaseTimes {
 public:
  void Add(const std::string& phase, double seconds, int64_t frames = 0);
  double Seconds(const std::string& phase) const;
  // {phase: {wall_s, calls, frames, frames_per_s}} (frames and frames_per_s where frames > 0).
  nlohmann::json ToJson() const;

 private:
  struct Entry {
    std::string name;
    double seconds = 0;
    int64_t calls = 0, frames = 0;
  };
  mutable std::mutex mu_;
  std::vector<Entry> entries_;
};

// Adds the steady-clock time of its scope to a phase.
class ScopedPhase {
 public:
  ScopedPhase(PhaseTimes* times, std::string phase, int64_t frames = 0);
  ~ScopedPhase();
  ScopedPhase(const ScopedPhase&) = delete;
  ScopedPhase& operator=(const ScopedPhase&) = delete;

 private:
  PhaseTimes* times_;
  std::string phase_;
  int64_t frames_;
  std::chrono::steady_clock::time_point start_;
};

// Peak device memory since the last reset, in bytes: CUDA's caching allocator's peak of
// allocated bytes; nullopt on the CPU (host memory is the RSS) or without CUDA support.
void ResetPeakDeviceMemory(const torch::Device& device);
std::optional<int64_t> PeakDeviceMemoryBytes(const torch::Device& device);

// The CPU's model name from /proc/cpuinfo ("unknown" elsewhere).
std::string CpuModelName();

// Peak resident set size of this process (VmHWM), MiB.
double PeakRssMiB();
// Resident set size now (/proc/self/statm), MiB.
double CurrentRssMiB();

// What the run ran on: {name, type, index, total_memory_mib, libtorch, cuda_runtime, cudnn}.
nlohmann::json DescribeDevice(const torch::Device& device);

// Thread counts: {intra_op, inter_op, opencv, hardware}.
nlohmann::json DescribeThreads();

// "cuda" devices: waits for all queued work (a no-op on the CPU).
void SynchronizeDevice(const torch::Device& device);

}  // namespace ncb
