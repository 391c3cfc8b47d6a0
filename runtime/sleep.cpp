#include "runtime/sleep.hpp"

#include <utility>

namespace runtime {

Sleep Sleep::until(Clock::time_point deadline) {
  Sleep sleep(Clock::duration::zero());
  sleep.deadline_ = deadline;
  return sleep;
}

Sleep::Sleep(Sleep&& other) noexcept
    : deadline_(other.deadline_),
      reactor_(std::exchange(other.reactor_, nullptr)),
      timer_(other.timer_) {}

Poll<void> Sleep::poll(Context& cx) {
  if (Clock::now() >= deadline_) {
    cancel();
    return Ready{};
  }
  if (reactor_) {
    reactor_->update_timer(timer_, cx.waker());  // the latest waker is the one to wake
  } else {
    reactor_ = &Reactor::current();
    timer_ = reactor_->add_timer(deadline_, cx.waker());
  }
  return Pending{};
}

void Sleep::cancel() {
  if (reactor_) std::exchange(reactor_, nullptr)->cancel_timer(timer_);
}

}  // namespace runtime
