// Small tasks that several test files spawn: one that finishes when the test opens its
// Signal, and one that yields a given number of times first. Both return a value the test
// picks, so it can tell which task a result came from.
#pragma once

#include "runtime/task.hpp"
#include "runtime/yield_now.hpp"
#include "tests/test_harness.hpp"

namespace test {

inline runtime::Task<int> wait_then_return(Signal signal, int value) {
  co_await signal.wait();
  co_return value;
}

inline runtime::Task<int> yield_then_return(int yields, int value) {
  for (int i = 0; i < yields; ++i)
    co_await runtime::yield_now();
  co_return value;
}

}  // namespace test
