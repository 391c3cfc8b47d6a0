// Sleep: a future that is ready once its deadline has passed (the book's Sleep, and the
// "work" a oneshot request does).
//
// The book's Sleep compares the clock on every poll and returns Pending until the time is
// up, so its executor polls it millions of times a second. This one registers its deadline
// with the reactor's timer heap on the first pending poll; the reactor blocks no longer
// than the next deadline and wakes the task when it passes. A sleeping task costs nothing.
// Destroying a Sleep early (cancellation, a lost race in when_any) removes its timer.
// A Sleep keeps a pointer to the reactor it registered with, so it must not outlive that
// executor: one awaited in place (co_await Sleep(d)) lives in the frame and always goes
// first; one awaited by reference must be declared inside the task that awaits it.
#pragma once

#include <chrono>

#include "runtime/future.hpp"
#include "runtime/reactor.hpp"

namespace runtime {

class Sleep {
 public:
  using Output = void;
  using Clock = std::chrono::steady_clock;

  explicit Sleep(Clock::duration duration) : deadline_(Clock::now() + duration) {}
  static Sleep until(Clock::time_point deadline);

  Sleep(Sleep&& other) noexcept;
  Sleep& operator=(Sleep&&) = delete;
  ~Sleep() { cancel(); }

  Poll<void> poll(Context& cx);
  Clock::time_point deadline() const { return deadline_; }

 private:
  void cancel();

  Clock::time_point deadline_;
  Reactor* reactor_ = nullptr;  // where the timer is registered, once it is
  TimerId timer_;
};

}  // namespace runtime
