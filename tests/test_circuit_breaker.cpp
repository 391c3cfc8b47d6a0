// CircuitBreaker: its three numbered states and every move between them, driven with
// made-up instants; guarded() refuses calls while open without making them, and a probe
// cancelled mid-call hands the probe's turn on instead of wedging the breaker half-open.
#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>

#include "runtime/circuit_breaker.hpp"
#include "runtime/executor.hpp"
#include "runtime/task.hpp"
#include "runtime/when_any.hpp"
#include "runtime/yield_now.hpp"
#include "tests/test_harness.hpp"

using namespace std::chrono_literals;
using runtime::CircuitBreaker;
using runtime::Executor;
using runtime::Task;
using State = CircuitBreaker::State;

namespace {

const CircuitBreaker::Clock::time_point t0{};

Task<int> failing(int& calls) {
  ++calls;
  throw std::runtime_error("down");
  co_return 0;
}

Task<int> waiting(int& calls, test::Signal signal) {
  ++calls;
  co_await signal.wait();
  co_return 1;
}

}  // namespace

TEST_CASE("circuit breaker: 1 -> 2 after threshold failures in a row; a success resets the run") {
  CircuitBreaker breaker(3, 1s);
  CHECK(breaker.state() == State::kClosed);
  breaker.failed(t0);
  breaker.failed(t0);
  breaker.succeeded();  // the run of failures starts again
  breaker.failed(t0);
  breaker.failed(t0);
  CHECK(breaker.allow(t0));
  CHECK(breaker.state() == State::kClosed);
  breaker.failed(t0);
  CHECK(breaker.state() == State::kOpen);
  CHECK_FALSE(breaker.allow(t0 + 999ms));
}

TEST_CASE("circuit breaker: 2 -> 3 after the cooldown, one probe; 3 -> 1 on its success") {
  CircuitBreaker breaker(1, 1s);
  breaker.failed(t0);
  CHECK_FALSE(breaker.allow(t0 + 500ms));
  CHECK(breaker.probe_at() == t0 + 1s);
  CHECK(breaker.allow(t0 + 1s));  // the probe
  CHECK(breaker.state() == State::kHalfOpen);
  CHECK_FALSE(breaker.allow(t0 + 1s));  // one probe at a time
  breaker.succeeded();
  CHECK(breaker.state() == State::kClosed);
  CHECK(breaker.allow(t0 + 1s));
}

TEST_CASE("circuit breaker: 3 -> 2 when the probe fails, for a new cooldown from then") {
  CircuitBreaker breaker(5, 1s);
  for (int i = 0; i < 5; ++i)
    breaker.failed(t0);
  REQUIRE(breaker.allow(t0 + 2s));
  breaker.failed(t0 + 2s);
  CHECK(breaker.state() == State::kOpen);
  CHECK(breaker.probe_at() == t0 + 3s);  // the cooldown counts from the failed probe
  CHECK_FALSE(breaker.allow(t0 + 2s + 999ms));
  CHECK(breaker.allow(t0 + 3s));
}

TEST_CASE("circuit breaker: guarded() refuses while open, without making the call") {
  Executor executor;
  CircuitBreaker breaker(2, 1h);
  int calls = 0;
  for (int i = 0; i < 2; ++i)
    CHECK_THROWS_WITH(executor.block_on(runtime::guarded(breaker, [&] { return failing(calls); })),
                      "down");
  CHECK(breaker.state() == State::kOpen);
  CHECK_THROWS_AS(executor.block_on(runtime::guarded(breaker, [&] { return failing(calls); })),
                  runtime::CircuitOpen);
  CHECK(calls == 2);
}

TEST_CASE("circuit breaker: a probe cancelled mid-call lets the next call probe") {
  Executor executor;
  CircuitBreaker breaker(1, 0s);
  breaker.failed(t0);  // open, with no cooldown: the next call is the probe
  int calls = 0;
  test::Signal never;
  auto raced = executor.block_on(runtime::when_any(
      runtime::guarded(breaker, [&] { return waiting(calls, never); }), runtime::yield_now()));
  CHECK(raced.index() == 1);  // the probe lost the race and was destroyed, mid-call
  CHECK(calls == 1);
  CHECK(breaker.state() == State::kHalfOpen);
  CHECK(breaker.allow(CircuitBreaker::Clock::now()));  // not wedged: this one is the probe
}
