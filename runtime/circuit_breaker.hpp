// CircuitBreaker: stops calling a service that keeps failing, then tries it again now and
// then (the book's circuit-breaker pattern, chapter 9). A client that hammers a dead server
// wastes its own time and the server's recovery; this one asks before each call.
//
//   1. kClosed: calls go through. `threshold` failures in a row -> 2.
//   2. kOpen: calls are refused, until `cooldown` has passed since it opened -> 3.
//   3. kHalfOpen: one call, the probe, goes through; the others are refused while it runs.
//      The probe succeeds -> 1; it fails -> 2, for another cooldown.
//
// A plain state machine with the time passed in, not read from a clock: the tests drive it
// with made-up instants, and it needs no lock because one task owns it (share it between
// threads behind a mutex). guarded() wraps an async call in it. (tests/test_circuit_breaker.cpp)
#pragma once

#include <chrono>
#include <exception>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "runtime/task.hpp"

namespace runtime {

class CircuitBreaker {
 public:
  using Clock = std::chrono::steady_clock;
  enum class State { kClosed = 1, kOpen = 2, kHalfOpen = 3 };

  CircuitBreaker(unsigned threshold, Clock::duration cooldown)
      : threshold_(threshold == 0 ? 1 : threshold), cooldown_(cooldown) {}

  // May a call go out at `now`? A true answer is a promise to report how it ended, with
  // succeeded() or failed().
  bool allow(Clock::time_point now) {
    switch (state_) {
      case State::kClosed:
        return true;
      case State::kOpen:
        if (now - opened_at_ < cooldown_) return false;
        state_ = State::kHalfOpen;
        probing_ = true;
        return true;  // this call is the probe
      case State::kHalfOpen:
        if (probing_) return false;
        probing_ = true;
        return true;
    }
    return false;
  }

  void succeeded() {
    failures_ = 0;
    probing_ = false;
    state_ = State::kClosed;
  }

  void failed(Clock::time_point now) {
    probing_ = false;
    if (state_ == State::kHalfOpen || ++failures_ >= threshold_) open(now);
  }

  // An allowed call ended with no outcome (it was cancelled): if it was the probe, the next
  // call gets to be the probe, instead of the breaker refusing every call for ever.
  void abandoned() { probing_ = false; }

  State state() const { return state_; }
  // While open: the instant from which allow() lets the probe through. A caller with nothing
  // else to do can sleep until then instead of asking again and again.
  Clock::time_point probe_at() const { return opened_at_ + cooldown_; }

 private:
  void open(Clock::time_point now) {
    state_ = State::kOpen;
    opened_at_ = now;
    failures_ = 0;
  }

  unsigned threshold_;
  Clock::duration cooldown_;
  State state_ = State::kClosed;
  unsigned failures_ = 0;  // in a row, while closed
  bool probing_ = false;   // a probe is out (half-open)
  Clock::time_point opened_at_{};
};

// What a call refused by an open breaker throws.
class CircuitOpen : public std::runtime_error {
 public:
  CircuitOpen()
      : std::runtime_error("circuit open: the service failed too often; not calling it") {}
};

// make()'s future, run only if the breaker allows it, and its outcome reported to it. The
// breaker must outlive the task.
namespace detail {

// The outcome of one allowed call, reported once: abandoned() if the task is destroyed
// before the call ended.
class BreakerCall {
 public:
  explicit BreakerCall(CircuitBreaker& breaker) : breaker_(&breaker) {}
  BreakerCall(const BreakerCall&) = delete;
  BreakerCall& operator=(const BreakerCall&) = delete;
  ~BreakerCall() {
    if (breaker_ != nullptr) breaker_->abandoned();
  }
  void succeeded() { std::exchange(breaker_, nullptr)->succeeded(); }
  void failed() { std::exchange(breaker_, nullptr)->failed(CircuitBreaker::Clock::now()); }

 private:
  CircuitBreaker* breaker_;
};

}  // namespace detail

template <class Make>
Task<OutputOf<std::invoke_result_t<Make&>>> guarded(CircuitBreaker& breaker, Make make) {
  if (!breaker.allow(CircuitBreaker::Clock::now())) throw CircuitOpen();
  detail::BreakerCall call(breaker);
  std::exception_ptr failure;
  try {
    if constexpr (std::is_void_v<OutputOf<std::invoke_result_t<Make&>>>) {
      co_await make();
      call.succeeded();
      co_return;
    } else {
      auto value = co_await make();
      call.succeeded();
      co_return value;
    }
  } catch (...) {
    failure = std::current_exception();
  }
  call.failed();
  std::rethrow_exception(failure);
}

}  // namespace runtime
