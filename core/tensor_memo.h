// What was computed from a frame, kept for the last few frames seen, by the frame's identity.
//
// The static baseline scores every metric twice on the same ground truth, and its conditioning
// frame is the same tensor at every step of a sample: SSIM's filtered moments, the cursor's
// detection, LPIPS's backbone features and a resized copy are computed once per frame this
// way. A frame is the same when it is the same view of the same storage (data pointer, sizes,
// strides, dtype, device) and was not written since (the in-place write counter). Each entry
// holds the tensor, so its storage cannot be freed and reused for another frame meanwhile.
// Thread-safe; the least recently used entry goes first.
#pragma once

#include <torch/types.h>

#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace ncb {

template <class V>
class TensorMemo {
 public:
  explicit TensorMemo(size_t capacity) : capacity_(capacity) {}
  void set_capacity(size_t capacity) {
    std::lock_guard lock(mu_);
    capacity_ = capacity;
  }

  // The value kept for `frame` under `tag` (what else the value depends on: a configuration).
  std::optional<V> Find(const torch::Tensor& frame, const std::string& tag = {}) {
    std::lock_guard lock(mu_);
    for (auto it = recent_.begin(); it != recent_.end(); ++it) {
      if (it->tag == tag && Same(it->frame, it->version, frame)) {
        Entry e = std::move(*it);
        recent_.erase(it);
        recent_.push_back(std::move(e));  // now the most recently used
        return recent_.back().value;
      }
    }
    return std::nullopt;
  }
  void Put(const torch::Tensor& frame, V value, const std::string& tag = {}) {
    std::lock_guard lock(mu_);
    recent_.push_back({frame, frame._version(), tag, std::move(value)});
    while (recent_.size() > capacity_) recent_.pop_front();
  }
  // Find, or compute with make() and keep.
  template <class Make>
  V Get(const torch::Tensor& frame, Make make, const std::string& tag = {}) {
    if (auto v = Find(frame, tag)) return std::move(*v);
    V v = make();
    Put(frame, v, tag);
    return v;
  }

 private:
  struct Entry {
    torch::Tensor frame;
    int64_t version;
    std::string tag;
    V value;
  };
  static bool Same(const torch::Tensor& a, int64_t version, const torch::Tensor& b) {
    return a.data_ptr() == b.data_ptr() && a.sizes() == b.sizes() && a.strides() == b.strides() &&
           a.scalar_type() == b.scalar_type() && a.device() == b.device() &&
           version == b._version();
  }

  size_t capacity_;
  std::mutex mu_;
  std::deque<Entry> recent_;
};

}  // namespace ncb
