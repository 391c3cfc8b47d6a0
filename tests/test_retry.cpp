// retry(): attempts until one succeeds, at most `attempts`; rethrows the last failure, or at
// once one the policy refuses; gives up rather than sleep past its deadline; sleeps the
// seeded full-jitter delays between attempts (never less), and those delays stay within
// the exponential bound and cover it.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>

#include "runtime/executor.hpp"
#include "runtime/retry.hpp"
#include "runtime/task.hpp"

using namespace std::chrono_literals;
using runtime::Executor;
using runtime::RetryPolicy;
using runtime::Task;

namespace {

// Fails its first `failures` calls (with "failure N"), then answers `attempt`.
struct Flaky {
  int failures;
  int calls = 0;
  Task<int> operator()() { return call(*this); }
  static Task<int> call(Flaky& self) {
    const int attempt = ++self.calls;
    if (attempt <= self.failures) throw std::runtime_error("failure " + std::to_string(attempt));
    co_return attempt;
  }
};

RetryPolicy make_policy(unsigned attempts, std::chrono::milliseconds base,
                        std::chrono::milliseconds max, std::uint64_t seed = 1) {
  RetryPolicy policy;
  policy.attempts = attempts;
  policy.base_delay = base;
  policy.max_delay = max;
  policy.seed = seed;
  return policy;
}

}  // namespace

TEST_CASE("retry: attempts until one succeeds, sleeping the seeded delays in between") {
  Executor executor;
  Flaky flaky{2};
  const RetryPolicy policy = make_policy(5, 4ms, 50ms, 7);
  const auto started = std::chrono::steady_clock::now();
  CHECK(executor.block_on(runtime::retry(policy, [&] { return flaky(); })) == 3);
  CHECK(flaky.calls == 3);
  std::mt19937_64 same(policy.seed);
  const auto slept =
      runtime::backoff_delay(policy, 2, same) + runtime::backoff_delay(policy, 3, same);
  CHECK(std::chrono::steady_clock::now() - started >= slept);
}

TEST_CASE("retry: after the last attempt the last failure is rethrown") {
  Executor executor;
  Flaky flaky{100};
  const RetryPolicy policy = make_policy(3, 1ms, 2ms);
  CHECK_THROWS_WITH(executor.block_on(runtime::retry(policy, [&] { return flaky(); })),
                    "failure 3");
  CHECK(flaky.calls == 3);
}

TEST_CASE("retry: a failure the policy refuses is rethrown at once") {
  Executor executor;
  Flaky flaky{100};
  RetryPolicy policy = make_policy(10, 1ms, 1ms);
  policy.retry_on = [](const std::exception& e) { return std::string(e.what()) != "failure 2"; };
  CHECK_THROWS_WITH(executor.block_on(runtime::retry(policy, [&] { return flaky(); })),
                    "failure 2");
  CHECK(flaky.calls == 2);
}

TEST_CASE("retry: it gives up rather than sleep past the deadline") {
  RetryPolicy policy = make_policy(10, 1h, 1h);
  policy.deadline = 50ms;
  std::mt19937_64 random(policy.seed);
  REQUIRE(runtime::backoff_delay(policy, 2, random) > 50ms);  // this seed's first delay
  Executor executor;
  Flaky flaky{100};
  CHECK_THROWS_WITH(executor.block_on(runtime::retry(policy, [&] { return flaky(); })),
                    "failure 1");
  CHECK(flaky.calls == 1);  // and it did not sleep an hour: the test would not end
}

TEST_CASE("retry: the delays are full jitter under the exponential bound, and cover it") {
  const RetryPolicy policy = make_policy(3, 10ms, 300ms);
  std::mt19937_64 random(42);
  for (unsigned next = 2; next <= 12; ++next) {
    const auto bound = std::min(300ms, 10ms * (1 << (next - 2)));
    std::chrono::milliseconds longest{0};
    for (int draw = 0; draw < 200; ++draw) {
      const auto delay = runtime::backoff_delay(policy, next, random);
      CHECK(delay >= 0ms);
      CHECK(delay <= bound);
      longest = std::max(longest, delay);
    }
    CHECK(longest * 2 > bound);  // 200 uniform draws: one lands in the top half
  }
  std::mt19937_64 one(9), again(9);
  CHECK(runtime::backoff_delay(policy, 5, one) == runtime::backoff_delay(policy, 5, again));
}

TEST_CASE("retry: a void operation is retried the same way") {
  Executor executor;
  int calls = 0;
  auto make = [&calls]() -> Task<> {
    return [](int& calls) -> Task<> {
      if (++calls < 2) throw std::runtime_error("not yet");
      co_return;
    }(calls);
  };
  executor.block_on(runtime::retry(make_policy(3, 1ms, 1ms), make));
  CHECK(calls == 2);
}
