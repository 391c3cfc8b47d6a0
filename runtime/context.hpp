// Context: what a poll is given. Today it carries only the waker of the task being polled,
// as Rust's std::task::Context does; a future registers that waker wherever it waits.
#pragma once

#include "runtime/waker.hpp"

namespace runtime {

class Context {
 public:
  explicit Context(const Waker& waker) : waker_(&waker) {}
  const Waker& waker() const { return *waker_; }

 private:
  const Waker* waker_;  // borrowed: lives as long as the poll that made this context
};

}  // namespace runtime
