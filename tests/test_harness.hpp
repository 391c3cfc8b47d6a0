// Step-by-step test harness: drive a future by hand, one poll at a time, and watch what it
// does with its waker.
//
//   * CountingWaker: a Waker whose vtable counts clones, drops and wakes. Its destructor
//     checks that every reference it handed out came back (no leaked or doubly-dropped
//     waker), so a test that ends cleanly has also proved the refcount balanced.
//   * Stepper<F>: owns a future and polls it with a CountingWaker, as an executor would.
//     Every poll checks the wake contract of future.hpp: a Pending must have arranged a
//     wake-up (woken already, or left a reference to the waker with someone who will).
//   * Signal: a hand-made leaf future source. wait() is Pending until someone (any thread)
//     calls notify(); each notify lets exactly one wait() through. It counts its polls.
#pragma once

#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <utility>

#include "runtime/future.hpp"
#include "runtime/waker.hpp"

namespace test {

class CountingWaker {
 public:
  CountingWaker() = default;
  ~CountingWaker() {
    CHECK_MESSAGE(refs() == 0, "a Waker outlived its CountingWaker (leaked or dropped twice)");
  }
  CountingWaker(const CountingWaker&) = delete;
  CountingWaker& operator=(const CountingWaker&) = delete;

  // A new counted reference (as if cloned).
  runtime::Waker waker() { return runtime::Waker(clone(this)); }

  int clones() const { return clones_.load(); }
  int drops() const { return drops_.load(); }
  int wakes() const { return wakes_.load(); }                // by value: consumed a reference
  int wakes_by_ref() const { return wakes_by_ref_.load(); }  // kept its reference
  int woken() const { return wakes() + wakes_by_ref(); }
  // References handed out and not given back yet.
  int refs() const { return clones() - drops() - wakes(); }

 private:
  static CountingWaker* self(const void* data) {
    return static_cast<CountingWaker*>(const_cast<void*>(data));
  }
  static runtime::RawWaker clone(const void* data) {
    self(data)->clones_.fetch_add(1);
    return runtime::RawWaker{data, &kVTable};
  }
  static void wake(const void* data) { self(data)->wakes_.fetch_add(1); }
  static void wake_by_ref(const void* data) { self(data)->wakes_by_ref_.fetch_add(1); }
  static void drop(const void* data) { self(data)->drops_.fetch_add(1); }
  static constexpr runtime::RawWakerVTable kVTable{&clone, &wake, &wake_by_ref, &drop};

  std::atomic<int> clones_{0};
  std::atomic<int> drops_{0};
  std::atomic<int> wakes_{0};
  std::atomic<int> wakes_by_ref_{0};
};

// Polls `future` once with a new reference from `counter`, given back after the poll: for
// tests that step a future by hand without a Stepper.
template <class F>
auto poll_with(F& future, CountingWaker& counter) {
  const runtime::Waker waker = counter.waker();
  runtime::Context cx(waker);
  return future.poll(cx);
}

template <runtime::Future F>
class Stepper {
 public:
  using Output = runtime::OutputOf<F>;

  explicit Stepper(F future) : future_(std::move(future)) {}

  // One poll, checking the wake contract if the answer is Pending.
  runtime::Poll<Output> poll() {
    runtime::Context cx(held_);
    const int woken_before = counting_.woken();
    auto result = future_.poll(cx);
    ++polls_;
    woken_at_last_poll_ = counting_.woken();
    if (result.is_pending()) {
      // refs() > 1: someone besides this stepper holds the waker and can wake it later.
      CHECK_MESSAGE((counting_.woken() > woken_before || counting_.refs() > 1),
                    "Pending without arranging a wake-up: the task would hang");
    }
    return result;
  }

  int polls() const { return polls_; }
  // Wakes since the last poll returned: what an executor would have queued.
  int wakes_since_poll() const { return counting_.woken() - woken_at_last_poll_; }
  CountingWaker& waker() { return counting_; }
  F& future() { return future_; }

 private:
  CountingWaker counting_;                   // declared first: outlives the future's clones
  runtime::Waker held_ = counting_.waker();  // the stepper's own reference, lent to polls
  F future_;
  int polls_ = 0;
  int woken_at_last_poll_ = 0;
};

// A handle: copies share one signal, so a test keeps one and moves wait() into a task.
class Signal {
  struct State {
    std::mutex mutex;
    int permits = 0;
    int polls = 0;
    runtime::Waker waiter;  // the task to wake at the next notify
  };

 public:
  class Wait {
   public:
    using Output = void;
    explicit Wait(std::shared_ptr<State> state) : state_(std::move(state)) {}
    runtime::Poll<void> poll(runtime::Context& cx) {
      std::lock_guard lock(state_->mutex);
      ++state_->polls;
      if (state_->permits > 0) {
        --state_->permits;
        state_->waiter = runtime::Waker();
        return runtime::Ready{};
      }
      state_->waiter = cx.waker();  // the promise behind Pending
      return runtime::Pending{};
    }

   private:
    std::shared_ptr<State> state_;
  };

  Wait wait() const { return Wait(state_); }

  // Any thread: lets one wait() through and wakes its task. The wake happens outside the
  // lock, as real leaf futures do it, so a waker that runs code cannot deadlock on us.
  void notify() const {
    runtime::Waker waiter;
    {
      std::lock_guard lock(state_->mutex);
      ++state_->permits;
      waiter = std::move(state_->waiter);
    }
    std::move(waiter).wake();
  }

  int polls() const {
    std::lock_guard lock(state_->mutex);
    return state_->polls;
  }
  bool has_waiter() const {
    std::lock_guard lock(state_->mutex);
    return static_cast<bool>(state_->waiter);
  }

 private:
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace test
