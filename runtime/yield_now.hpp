// yield_now(): lets the other ready tasks run before this one continues. It wakes its own
// task and returns Pending once, so the task goes to the back of the next batch.
#pragma once

#include "runtime/future.hpp"

namespace runtime {

class YieldNow {
 public:
  using Output = void;
  Poll<void> poll(Context& cx) {
    if (yielded_) return Ready{};
    yielded_ = true;
    cx.waker().wake_by_ref();  // the promise behind Pending, kept at once
    return Pending{};
  }

 private:
  bool yielded_ = false;
};

inline YieldNow yield_now() {
  return {};
}

}  // namespace runtime
