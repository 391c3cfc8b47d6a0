// SpinLock: a one-byte lock for critical sections of a few instructions that almost never
// meet another thread.
//
// Every spawned task has one (task_header.hpp): it guards the hand-over of the task's
// output to its JoinHandle, which is the only place two threads touch the same task, and
// then only when the handle is awaited from another thread at the moment the task ends.
// std::mutex would do the same job in 40 bytes, and with 10,000 connections each running
// one task, those bytes are a measurable part of what a waiting connection costs
// (docs/BENCHMARKS.md, memory). It satisfies BasicLockable, so std::lock_guard works.
#pragma once

#include <atomic>
#include <thread>

namespace runtime::detail {

class SpinLock {
 public:
  void lock() {
    while (locked_.exchange(true, std::memory_order_acquire)) {
      // The holder is inside a few instructions; if it was preempted there, let it run.
      while (locked_.load(std::memory_order_relaxed))
        std::this_thread::yield();
    }
  }
  void unlock() { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

}  // namespace runtime::detail
