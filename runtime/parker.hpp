// Parker: how a worker thread goes to sleep in its reactor without missing work that
// another thread hands it at the same moment (the book's per-worker "parked" flag, made
// correct).
//
// The states, as the owner thread moves through them on one loop iteration:
//
//   1) kRunning   the owner is polling tasks. An unpark sets kNotified and makes no system
//                 call: the owner will look at its queue before it blocks.
//   2) kParked    the owner has announced that it is about to block (announce_park), and
//                 will then re-check every queue other threads push to. An unpark that
//                 finds kParked writes the wake-up fd, so the blocking call returns.
//   3) kNotified  an unpark has happened since the last announcement. Further unparks
//                 make no system call.
//   back to 1)    finish_park, once the owner is awake again (or found work on its
//                 re-check and did not block at all).
//
// Why nothing is lost: the unparker makes its work visible (pushes under the queue's
// mutex) *before* its exchange on the state; the owner announces kParked *before* its
// re-check (which takes the same mutex). Either the re-check sees the work, or the push
// came after the re-check, so the exchange came after the announcement, sees kParked and
// writes the fd. docs/RUNTIME.md walks through every interleaving;
// tests/test_parker.cpp hammers it with a watchdog.
#pragma once

#include <atomic>
#include <cstdint>

#include "runtime/wakeup_fd.hpp"

namespace runtime {

class Parker {
 public:
  enum class State : std::uint8_t { kRunning, kParked, kNotified };

  // Owner thread: say "I am about to block". Every work source must be re-checked after.
  void announce_park() { state_.store(State::kParked, std::memory_order_seq_cst); }
  // Owner thread: awake again, whether it blocked or not.
  void finish_park() { state_.store(State::kRunning, std::memory_order_seq_cst); }

  // Any thread, after making the work visible to the owner.
  void unpark() {
    if (state_.exchange(State::kNotified, std::memory_order_seq_cst) == State::kParked) {
      wakeup_writes_.fetch_add(1, std::memory_order_relaxed);
      fd_.notify();
    }
  }

  WakeupFd& wakeup_fd() { return fd_; }
  State state() const { return state_.load(); }
  // How many unparks needed a system call: the price of the protocol, for benchmarks.
  std::uint64_t wakeup_writes() const { return wakeup_writes_.load(std::memory_order_relaxed); }

 private:
  std::atomic<State> state_{State::kRunning};
  std::atomic<std::uint64_t> wakeup_writes_{0};
  WakeupFd fd_;
};

}  // namespace runtime
