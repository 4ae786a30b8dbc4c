#include "core/cpu_allocator.h"

#include <c10/core/CPUAllocator.h>
#include <sanitizer/asan_interface.h>  // poisons cached blocks under AddressSanitizer; no-ops otherwise

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ncb {
namespace {

constexpr size_t kAlign = 64;           // what LibTorch's own allocator guarantees
constexpr size_t kMinCached = 1 << 16;  // small blocks: glibc's bins already cache them

class CachingCpuAllocator final : public c10::Allocator {
 public:
  explicit CachingCpuAllocator(size_t max_cached) : max_cached_(max_cached) {}

  // LibTorch 1.13 (Debian) declares allocate() const; LibTorch 2.3 and later declare it non-const
  // and add copy_data(). Both forms are defined, without `override`, so either LibTorch finds
  // the one it calls.
  c10::DataPtr allocate(size_t n) { return std::as_const(*this).allocate(n); }
  void copy_data(void* dest, const void* src, size_t count) const {
    if (count > 0) std::memcpy(dest, src, count);
  }

  c10::DataPtr allocate(size_t n) const {
    const size_t size = ((n + 4095) / 4096) * 4096;
    void* p = nullptr;
    if (size >= kMinCached) {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = free_.find(size);
      if (it != free_.end() && !it->second.empty()) {
        p = it->second.back();
        it->second.pop_back();
        cached_ -= size;
        ASAN_UNPOISON_MEMORY_REGION(p, size);
      }
    }
    if (!p) {
      if (posix_memalign(&p, kAlign, size == 0 ? kAlign : size) != 0) throw std::bad_alloc();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      sizes_[p] = size;
    }
    return {p, p, &Release, c10::Device(c10::DeviceType::CPU)};
  }

  c10::DeleterFnPtr raw_deleter() const override { return &Release; }

  static void Release(void* p) {
    if (!p) return;
    auto* self = instance_;
    std::unique_lock<std::mutex> lock(self->mu_);
    auto it = self->sizes_.find(p);
    const size_t size = it == self->sizes_.end() ? 0 : it->second;
    if (it != self->sizes_.end()) self->sizes_.erase(it);
    if (size >= kMinCached && self->cached_ + size <= self->max_cached_) {
      self->free_[size].push_back(p);
      self->cached_ += size;
      // A tensor's memory used after its release is then an ASan report, as it would be with
      // free().
      ASAN_POISON_MEMORY_REGION(p, size);
      return;
    }
    lock.unlock();
    std::free(p);
  }

  size_t cached() const {
    std::lock_guard<std::mutex> lock(mu_);
    return cached_;
  }

  static CachingCpuAllocator* instance_;

 private:
  size_t max_cached_;
  mutable std::mutex mu_;
  mutable std::map<size_t, std::vector<void*>> free_;
  mutable std::unordered_map<void*, size_t> sizes_;
  mutable size_t cached_ = 0;
};

CachingCpuAllocator* CachingCpuAllocator::instance_ = nullptr;

}  // namespace

void InstallCachingCpuAllocator(size_t max_cached_bytes) {
  static std::once_flag once;
  std::call_once(once, [&] {
    // Never destroyed: tensors may outlive static destruction order.
    CachingCpuAllocator::instance_ = new CachingCpuAllocator(max_cached_bytes);
    c10::SetCPUAllocator(CachingCpuAllocator::instance_, /*priority=*/1);
  });
}

size_t CachedCpuBytes() {
  return CachingCpuAllocator::instance_ ? CachingCpuAllocator::instance_->cached() : 0;
}

}  // namespace ncb
