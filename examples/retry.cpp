// Retry: an operation that fails its first attempts is tried again, with exponential
// backoff and full jitter in between, until it succeeds or the attempts run out. The
// delays come from a seed, so this prints the same every run.
#include <chrono>
#include <cstdio>
#include <stdexcept>

#include "runtime/executor.hpp"
#include "runtime/retry.hpp"
#include "runtime/task.hpp"

using namespace std::chrono_literals;

// Fails its first `failures` calls: a service still starting up, say.
runtime::Task<int> flaky_call(int& calls, int failures) {
  ++calls;
  std::printf("  attempt %d: %s\n", calls, calls <= failures ? "failed" : "ok");
  if (calls <= failures) throw std::runtime_error("service unavailable");
  co_return 200;
}

runtime::Task<int> run() {
  runtime::RetryPolicy policy;
  policy.attempts = 5;
  policy.base_delay = 5ms;
  policy.max_delay = 100ms;
  policy.seed = 7;
  int calls = 0;
  const int status = co_await runtime::retry(policy, [&] { return flaky_call(calls, 2); });
  std::printf("retry: status %d after %d attempts\n", status, calls);

  policy.attempts = 2;
  int more_calls = 0;
  try {
    (void)co_await runtime::retry(policy, [&] { return flaky_call(more_calls, 100); });
  } catch (const std::exception& e) {
    std::printf("retry: gave up after %d attempts: %s\n", more_calls, e.what());
  }
  co_return status == 200 && calls == 3 && more_calls == 2 ? 0 : 1;
}

int main() {
  runtime::Executor executor;
  return executor.block_on(run());
}
