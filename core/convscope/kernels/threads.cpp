#include "convscope/kernels/threads.hpp"

#include <algorithm>

// Emscripten builds have threads only when compiled with -pthread (the
// module for cross-origin-isolated pages, wasm/ in CMakeLists.txt).
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
#define CONVSCOPE_THREADS 0
#else
#define CONVSCOPE_THREADS 1
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>
#endif

namespace convscope::kernels {

#if CONVSCOPE_THREADS

namespace {

// Helper threads wait for a round: each round, the caller and the helpers
// take parts from one counter until none is left. In the threaded WASM
// module a thread is a worker from Emscripten's pool, which the module's
// start-up fills (-sPTHREAD_POOL_SIZE, the same count as helper_count()):
// a thread created beyond it would only start once the caller returned to
// its event loop, and the caller blocks here.
class Helpers {
 public:
  explicit Helpers(int count) {
    for (int i = 0; i < count; ++i) threads_.emplace_back([this] { serve(); });
  }
  ~Helpers() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (std::thread& t : threads_) t.join();
  }
  int count() const { return int(threads_.size()); }

  void run(int parts, const std::function<void(int)>& fn) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      fn_ = &fn;
      parts_ = parts;
      next_.store(0);
      busy_ = int(threads_.size());
      ++round_;
    }
    wake_.notify_all();
    take_parts(fn, parts);
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return busy_ == 0; });
    fn_ = nullptr;
  }

 private:
  void take_parts(const std::function<void(int)>& fn, int parts) {
    for (int p = next_.fetch_add(1); p < parts; p = next_.fetch_add(1)) fn(p);
  }
  void serve() {
    unsigned seen = 0;
    for (;;) {
      const std::function<void(int)>* fn;
      int parts;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || round_ != seen; });
        if (stopping_) return;
        seen = round_;
        fn = fn_;
        parts = parts_;
      }
      take_parts(*fn, parts);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        --busy_;
      }
      done_.notify_one();
    }
  }

  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int)>* fn_ = nullptr;
  int parts_ = 0, busy_ = 0;
  unsigned round_ = 0;
  bool stopping_ = false;
  std::atomic<int> next_{0};
};

int helper_count() {
  const int cores = int(std::thread::hardware_concurrency());  // 0 when unknown
  return std::max(0, std::min(cores, max_parallel_parts) - 1);
}

Helpers& helpers() {
  static Helpers pool(helper_count());
  return pool;
}

}  // namespace

int parallel_parts() { return 1 + helpers().count(); }

void run_parts(int parts, const std::function<void(int)>& fn) {
  if (parts <= 1 || helpers().count() == 0) {
    for (int p = 0; p < parts; ++p) fn(p);
    return;
  }
  helpers().run(parts, fn);
}

#else

int parallel_parts() { return 1; }

void run_parts(int parts, const std::function<void(int)>& fn) {
  for (int p = 0; p < parts; ++p) fn(p);
}

#endif

}  // namespace convscope::kernels
