// Timeout: with_timeout(future, limit) gives the output, or nullopt if the limit passes
// first; the late future is cancelled. One call makes it in time, one does not.
#include <chrono>
#include <cstdio>

#include "runtime/executor.hpp"
#include "runtime/sleep.hpp"
#include "runtime/task.hpp"
#include "runtime/with_timeout.hpp"

using namespace std::chrono_literals;

runtime::Task<int> slow_call(std::chrono::milliseconds takes) {
  co_await runtime::Sleep(takes);
  co_return 7;
}

runtime::Task<int> run() {
  auto quick = co_await runtime::with_timeout(slow_call(5ms), 100ms);
  std::printf("timeout: a 5 ms call with a 100 ms limit: %s\n",
              quick ? ("answered " + std::to_string(*quick)).c_str() : "timed out");
  auto late = co_await runtime::with_timeout(slow_call(1000ms), 20ms);
  std::printf("timeout: a 1 s call with a 20 ms limit: %s\n", late ? "answered" : "timed out");
  co_return quick && !late ? 0 : 1;
}

int main() {
  runtime::Executor executor;
  return executor.block_on(run());
}
