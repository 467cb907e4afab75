// worker_pool.cpp — see worker_pool.h. A mutex and two condition variables: plain, and clean
// under ThreadSanitizer. A job lasts milliseconds (a chunk of training steps), so the microseconds
// a wake-up costs do not matter and no worker spins.

#include "core/worker_pool.h"

#include <Eigen/Core>
#include <algorithm>

namespace bnlab {

WorkerPool::WorkerPool(int threads) {
  // Eigen reads the cache sizes into statics on first use; do it here, before any worker runs a
  // product, so that no two threads race on that first use.
  Eigen::initParallel();
  for (int w = 1; w < std::max(1, threads); ++w) threads_.emplace_back(&WorkerPool::loop, this, w);
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  start_.notify_all();
  for (auto& t : threads_) t.join();
}

void WorkerPool::run(const std::function<void(int)>& job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = &job;
    running_ = static_cast<int>(threads_.size());
    error_ = nullptr;
    ++generation_;
  }
  start_.notify_all();
  std::exception_ptr own;
  try {
    job(0);
  } catch (...) {
    own = std::current_exception();
  }
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [&] { return running_ == 0; });
  job_ = nullptr;
  if (own) std::rethrow_exception(own);
  if (error_) std::rethrow_exception(error_);
}

void WorkerPool::loop(int worker) {
  uint64_t seen = 0;
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    start_.wait(lock, [&] { return stop_ || generation_ != seen; });
    if (stop_) return;
    seen = generation_;
    const std::function<void(int)>* job = job_;
    lock.unlock();
    std::exception_ptr err;
    try {
      (*job)(worker);
    } catch (...) {
      err = std::current_exception();
    }
    lock.lock();
    if (err && !error_) error_ = err;
    if (--running_ == 0) done_.notify_one();
  }
}

int resolve_threads(int threads, bool leave_one_core) {
  if (threads >= 1) return threads;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(1, leave_one_core ? cores - 1 : cores);
}

}  // namespace bnlab
