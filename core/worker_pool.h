// worker_pool.h — a few persistent threads that run one job together and meet at its end.
//
// The CPU trainer hands each worker its share of the networks for a chunk of steps; run() returns
// when every worker has finished (the barrier), so between two run() calls the caller owns all
// the state again. The threads live as long as the pool: no thread is created per step. The
// calling thread is worker 0, so a pool of one thread is a plain function call.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace bnlab {

class WorkerPool {
 public:
  // `threads` ≥ 1 workers in all: the caller and threads − 1 started here.
  explicit WorkerPool(int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  int size() const { return static_cast<int>(threads_.size()) + 1; }

  // Runs job(w) for every worker w in [0, size()) — w = 0 on the calling thread — and returns
  // when all have finished. An exception thrown by a job is rethrown here (the first one), after
  // every worker has stopped.
  void run(const std::function<void(int)>& job);

 private:
  void loop(int worker);

  std::mutex mutex_;
  std::condition_variable start_;  // a new job (generation_ moved) or stop_
  std::condition_variable done_;   // running_ reached 0
  const std::function<void(int)>* job_ = nullptr;
  uint64_t generation_ = 0;  // counts jobs, so a worker runs each one exactly once
  int running_ = 0;          // workers (other than the caller) still in the current job
  bool stop_ = false;
  std::exception_ptr error_;
  std::vector<std::thread> threads_;
};

// The thread count a setting of `threads` means: itself when ≥ 1; 0 = every core, or every core
// but one when `leave_one_core` (the live lab keeps one for its window), at least 1.
int resolve_threads(int threads, bool leave_one_core);

}  // namespace bnlab
