// with_timeout(future, duration): the future's output, or nullopt if the time ran out
// first. The duration counts from the first poll that finds the future not ready (which,
// for a future awaited at once, is when it was made). The loser is simply destroyed with the
// WithTimeout: that is how a timed-out read or connect is cancelled (its reactor
// registration goes with it).
#pragma once

#include <chrono>
#include <optional>

#include "runtime/future.hpp"
#include "runtime/sleep.hpp"

namespace runtime {

template <Future F>
class WithTimeout {
 public:
  using Output = std::optional<ValueOf<OutputOf<F>>>;

  WithTimeout(F future, Sleep::Clock::duration limit) : future_(std::move(future)), limit_(limit) {}

  Poll<Output> poll(Context& cx) {
    auto result = future_.poll(cx);  // the future first: done on time beats a due timer
    if (result.is_ready()) {
      if constexpr (std::is_void_v<OutputOf<F>>) {
        return Output(Unit{});
      } else {
        return Output(std::move(result).value());
      }
    }
    // The timer starts when the future first has to wait: a read or write that is done at
    // once, the common case, costs no clock reading and no timer.
    if (!sleep_) sleep_.emplace(limit_);
    if (sleep_->poll(cx).is_ready()) return Output();
    return Pending{};
  }

 private:
  F future_;
  Sleep::Clock::duration limit_;
  std::optional<Sleep> sleep_;
};

template <Future F>
WithTimeout<F> with_timeout(F future, Sleep::Clock::duration limit) {
  return WithTimeout<F>(std::move(future), limit);
}

}  // namespace runtime
