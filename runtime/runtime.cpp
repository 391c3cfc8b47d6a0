#include "runtime/runtime.hpp"

namespace runtime {

Runtime::Runtime(unsigned threads) {
  for (unsigned i = 0; i < std::max(threads, 1u); ++i) {
    std::promise<Executor*> started;
    auto executor = started.get_future();
    // The promise moves to the thread: it may still be inside set_value() when get() returns.
    threads_.emplace_back([this, started = std::move(started)]() mutable { run_thread(started); });
    try {
      executors_.push_back(executor.get());
    } catch (...) {
      shutdown();  // the threads already running, and this one, which has ended
      throw;
    }
  }
}

// The executor is made, run and destroyed here, on its own thread: its tasks are polled and
// cancelled only on it.
void Runtime::run_thread(std::promise<Executor*>& started) {
  std::optional<Executor> executor;
  try {
    executor.emplace();
  } catch (...) {
    started.set_exception(std::current_exception());
    return;
  }
  started.set_value(&*executor);
  executor->block_on(stop_.wait());
}

Executor& Runtime::next_executor() {
  return *executors_[next_.fetch_add(1, std::memory_order_relaxed) % executors_.size()];
}

void Runtime::shutdown() {
  {
    std::unique_lock lock(stopping_);
    if (stopped_) return;
    stopped_ = true;
  }
  stop_.set();
  for (std::thread& thread : threads_)
    if (thread.joinable()) thread.join();
  executors_.clear();
}

}  // namespace runtime
