// Event: a flag that is set once, and that any number of tasks can wait for.
//
// set() may come from any thread; every task waiting in wait() is then woken, and every
// later wait() is ready at once. It is never reset. The server uses one for each message of
// its shutdown ("this worker is stopping", "the grace period is cut short", "this worker
// has finished"): the same idea as Tokio's CancellationToken, or a .NET ManualResetEvent that
// nobody resets.
//
// A waiting future embeds its WaitNode (detail/wait_list.hpp), so waiting allocates
// nothing; like every such future it must not move once polled. The hazard is the usual
// lost wake-up: a set() between a waiter's check and its queueing. Both happen under the
// mutex, and set() raises the flag under it too, so a waiter either sees the flag or is in
// the list that set() drains (tests/test_event.cpp, "a set racing the waits wakes them all").
#pragma once

#include <atomic>
#include <cassert>
#include <mutex>
#include <utility>
#include <vector>

#include "runtime/detail/wait_list.hpp"
#include "runtime/future.hpp"

namespace runtime {

class Event {
 public:
  class Wait;

  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  // Raises the flag and wakes every waiter. Any thread; a second call does nothing.
  void set() {
    std::vector<Waker> to_wake;
    {
      std::lock_guard lock(mutex_);
      if (set_.exchange(true, std::memory_order_release)) return;
      while (!waiters_.empty())
        to_wake.push_back(waiters_.notify_one());
    }
    for (Waker& waker : to_wake)  // outside the lock: a wake may run code of its own
      std::move(waker).wake();
  }

  // No lock: a task may ask at every request, and the answer is a moment old anyway.
  bool is_set() const { return set_.load(std::memory_order_acquire); }

  // Ready once the flag is raised.
  Wait wait();

 private:
  std::mutex mutex_;
  std::atomic<bool> set_{false};  // written under mutex_
  detail::WaitList waiters_;
};

class Event::Wait {
 public:
  using Output = void;

  explicit Wait(Event& event) : event_(&event) {}
  // Only ever moved before its first poll: a queued node stays where it was queued.
  Wait(Wait&& other) noexcept : event_(other.event_) { assert(!other.node_.ever_linked); }
  Wait& operator=(Wait&&) = delete;
  ~Wait() {
    if (!node_.ever_linked) return;  // never queued: no other thread knows of it
    std::lock_guard lock(event_->mutex_);
    event_->waiters_.remove(node_);
  }

  Poll<void> poll(Context& cx) {
    if (event_->is_set()) return Ready{};
    std::lock_guard lock(event_->mutex_);
    if (event_->set_.load(std::memory_order_relaxed)) return Ready{};
    node_.waker = cx.waker();  // the latest waker: the task may have moved executors
    if (!node_.linked) event_->waiters_.push_back(node_);
    return Pending{};
  }

 private:
  Event* event_;
  detail::WaitNode node_;
};

inline Event::Wait Event::wait() {
  return Wait(*this);
}

}  // namespace runtime
