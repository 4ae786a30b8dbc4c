// One long-lived thread that runs the tasks given to it, in order.
//
// std::async(std::launch::async) starts a thread for every call, and whatever a library keeps
// per thread starts cold each time: LibTorch's OpenMP team, and on CUDA cuDNN's execution
// plans, which LibTorch caches per thread. `eval`'s pipeline scores frame k-1 on this thread
// while the model makes frame k: with a new thread per frame, LPIPS on an H200 ran at 15
// frames/s, against 150 frames/s scored on the main thread (--no-pipeline).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>

namespace ncb {

// A task's result. Like std::async's future, and unlike std::packaged_task's, it waits for the
// task when it goes out of scope unread, so a task never outlives what it refers to.
template <class R>
class TaskResult {
 public:
  TaskResult() = default;
  explicit TaskResult(std::future<R> f) : f_(std::move(f)) {}
  TaskResult(TaskResult&&) noexcept = default;
  TaskResult& operator=(TaskResult&& o) noexcept {
    Wait();
    f_ = std::move(o.f_);
    return *this;
  }
  ~TaskResult() { Wait(); }
  R get() { return f_.get(); }  // rethrows what the task threw

 private:
  void Wait() {
    if (f_.valid()) f_.wait();
  }
  std::future<R> f_;
};

class WorkerThread {
 public:
  WorkerThread() : thread_([this] { Loop(); }) {}
  WorkerThread(const WorkerThread&) = delete;
  WorkerThread& operator=(const WorkerThread&) = delete;
  ~WorkerThread() {  // runs what was given, then ends the thread
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

  template <class F>
  TaskResult<std::invoke_result_t<F&>> Submit(F f) {
    using R = std::invoke_result_t<F&>;
    auto task = std::make_shared<std::packaged_task<R()>>(std::move(f));
    auto result = task->get_future();
    {
      std::lock_guard lock(mu_);
      queue_.emplace_back([task] { (*task)(); });
    }
    cv_.notify_one();
    return TaskResult<R>(std::move(result));
  }

 private:
  void Loop() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return done_ || !queue_.empty(); });
        if (queue_.empty()) return;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      job();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool done_ = false;
  std::thread thread_;  // last: it starts once the members above exist
};

}  // namespace ncb
