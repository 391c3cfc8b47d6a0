// SpinLock: a one-byte lock for critical sections of a few steps that almost never meet
// another thread.
//
// Every spawned task has one (task_header.hpp): it guards the hand-over of the task's
// output to its JoinHandle, which is the only place two threads touch the same task, and
// then only when the handle is awaited from another thread at the moment the task ends.
// std::mutex would do the same job in many times the space, in every task, and a waiting
// connection is little more than its task (docs/BOOK.md, "Memory per connection is kept
// small"). It satisfies BasicLockable, so std::lock_guard works.
#pragma once

#include <atomic>
#include <thread>

namespace runtime::detail {

class SpinLock {
 public:
  void lock() {
    while (locked_.exchange(true, std::memory_order_acquire)) {
      // The holder is a few steps from unlocking; if it was preempted there, let it run.
      while (locked_.load(std::memory_order_relaxed))
        std::this_thread::yield();
    }
  }
  void unlock() { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

}  // namespace runtime::detail
